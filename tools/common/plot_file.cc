#include "tools/common/plot_file.h"

#include <algorithm>
#include <cctype>

#include "tools/common/png_plot.h"
#include "tools/common/svg_plot.h"

namespace murmur::tools {

bool isPngPath(const std::string& path) {
  if (path.size() < 4) {
    return false;
  }
  std::string ext = path.substr(path.size() - 4);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return ext == ".png";
}

std::string renderPlotFile(const std::string& path,
                           const std::string& title,
                           const std::vector<PlotPanel>& panels) {
  return isPngPath(path) ? renderPng(title, panels) : renderSvg(title, panels);
}

}  // namespace murmur::tools
