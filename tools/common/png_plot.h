// Line plots as PNG (plot_painter.h lays them out): rasterized here with a 3×5 pixel font
// (pixel_font.h) and written as an uncompressed PNG (zlib stored blocks), so no image or
// compression library is needed. About 3 bytes per pixel: ~2.2 MB for four panels.
#pragma once

#include <string>
#include <vector>

#include "tools/common/plot_painter.h"

namespace murmur::tools {

// A PNG file's bytes: `title` on top, then the panels two per row (as renderSvg draws them).
std::string renderPng(const std::string& title, const std::vector<PlotPanel>& panels);

}  // namespace murmur::tools
