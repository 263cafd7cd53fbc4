// The layout of murmur's line plots, apart from how they are drawn: panels two per row, each with
// axes, ticks at round numbers (or powers of ten on a log scale), one line per series and a
// legend. paintPlot() lays a plot out and calls a PlotPainter for each mark; svg_plot.h writes
// them as SVG, png_plot.h rasterizes them. No dependencies, so plots draw on any machine.
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

enum class TextAnchor { kStart, kMiddle, kEnd };

// A panel's axis ranges as drawn (on a log scale, the values, not their logarithms).
struct PanelAxes {
  std::string title;
  double xMin = 0;
  double xMax = 1;
  double yMin = 0;
  double yMax = 1;
  bool logY = false;
};

// What a plot is made of, in pixel coordinates (origin top left). Colours are "#rrggbb".
class PlotPainter {
 public:
  virtual ~PlotPainter() = default;
  virtual void begin(double width, double height, const std::string& title) = 0;
  virtual void beginPanel(const PanelAxes& axes) = 0;
  virtual void text(double x,
                    double y,
                    const std::string& text,
                    double size,
                    TextAnchor anchor,
                    bool bold = false,
                    bool vertical = false) = 0;  // vertical: rotated a quarter turn, bottom up
  virtual void line(
      double x1, double y1, double x2, double y2, const std::string& colour, double width) = 0;
  virtual void frame(double x, double y, double width, double height) = 0;
  virtual void series(const std::string& label,
                      const std::vector<std::pair<double, double>>& points,
                      const std::string& colour,
                      double width) = 0;
  virtual void dot(double x, double y, double radius, const std::string& colour) = 0;
  virtual void endPanel() = 0;
  virtual void end() = 0;
};

// Lays `panels` out under `title` and paints them.
void paintPlot(const std::string& title,
               const std::vector<PlotPanel>& panels,
               PlotPainter& painter);

// Round tick positions covering [low, high] (about `count` of them, steps of 1, 2 or 5 × 10^k).
std::vector<double> niceTicks(double low, double high, int count);

}  // namespace murmur::tools
