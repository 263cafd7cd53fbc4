// A small SVG writer for line plots: panels in a grid, each with axes, ticks at round numbers
// (or powers of ten on a log scale), one polyline per series and a legend. No dependencies, so
// `murmur report` draws on any machine. Each panel's group carries its axis ranges as data-*
// attributes, which tests read back.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace murmur::tools {

struct PlotSeries {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in this order
  bool emphasis = false;                          // thick and black: the swarm's mean
};

struct PlotPanel {
  std::string title;
  std::string xLabel;
  std::string yLabel;
  bool logY = false;  // non-positive y values are left out
  std::vector<PlotSeries> series;
};

// An SVG document: `title` on top, then the panels two per row.
std::string renderSvg(const std::string& title, const std::vector<PlotPanel>& panels);

// Round tick positions covering [low, high] (about `count` of them, steps of 1, 2 or 5 × 10^k).
std::vector<double> niceTicks(double low, double high, int count);

}  // namespace murmur::tools
