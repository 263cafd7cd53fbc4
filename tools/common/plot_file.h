// A plot as the file a user named: PNG for FILE.png (any case), SVG otherwise.
#pragma once

#include <string>
#include <vector>

#include "tools/common/plot_painter.h"

namespace murmur::tools {

bool isPngPath(const std::string& path);

// The file's bytes: renderPng or renderSvg by the name's extension.
std::string renderPlotFile(const std::string& path,
                           const std::string& title,
                           const std::vector<PlotPanel>& panels);

}  // namespace murmur::tools
