// Line plots as SVG (plot_painter.h lays them out). Each panel's group carries its axis ranges as
// data-* attributes and each series is a polyline with its label, which tests read back.
#pragma once

#include <string>
#include <vector>

#include "tools/common/plot_painter.h"

namespace murmur::tools {

// An SVG document: `title` on top, then the panels two per row.
std::string renderSvg(const std::string& title, const std::vector<PlotPanel>& panels);

}  // namespace murmur::tools
