#include "tools/common/plot_painter.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace murmur::tools {
namespace {

constexpr double kPanelWidth = 520;
constexpr double kPanelHeight = 340;
constexpr double kLeft = 70;    // room for tick labels and the y label
constexpr double kRight = 150;  // the legend
constexpr double kTop = 36;
constexpr double kBottom = 50;
constexpr double kTitleHeight = 40;
const char* const kGrid = "#dddddd";

constexpr std::array<const char*, 8> kColours = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string tickLabel(double v) {
  if (v == 0) {
    return "0";
  }
  const double a = std::fabs(v);
  if (a >= 1e5 || a < 1e-3) {
    return fmt::format("{:.0e}", v);
  }
  return fmt::format("{:g}", v);
}

struct Range {
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();

  void add(double v) {
    low = std::min(low, v);
    high = std::max(high, v);
  }

  bool empty() const { return low > high; }
};

bool drawn(const PlotPanel& panel, double x, double y) {
  return std::isfinite(x) && std::isfinite(y) && !(panel.logY && y <= 0);
}

void paintPanel(const PlotPanel& panel, double originX, double originY, PlotPainter& painter) {
  Range xr;
  Range yr;
  for (const PlotSeries& s : panel.series) {
    for (const auto& [x, y] : s.points) {
      if (drawn(panel, x, y)) {
        xr.add(x);
        yr.add(panel.logY ? std::log10(y) : y);
      }
    }
  }
  if (xr.empty()) {
    xr.add(0);
    xr.add(1);
    yr.add(0);
    yr.add(1);
  }
  // Axes from zero when the data is non-negative; a little room when a range is one value.
  if (xr.low > 0) {
    xr.low = 0;
  }
  if (!panel.logY && yr.low > 0) {
    yr.low = 0;
  }
  if (xr.high == xr.low) {
    xr.high = xr.low + 1;
  }
  if (panel.logY) {
    // Six decades at most: an exchange right after another can measure ~0 (1e-19), which would
    // squash everything else; what lies below is drawn on the bottom edge.
    yr.low = std::floor(std::max(yr.low, yr.high - 6));
    yr.high = std::max(std::ceil(yr.high), yr.low + 1);
  } else if (yr.high == yr.low) {
    yr.high = yr.low + 1;
  }
  const std::vector<double> xTicks = niceTicks(xr.low, xr.high, 6);
  xr.high = std::max(xr.high, xTicks.back());
  std::vector<double> yTicks;
  if (panel.logY) {
    for (double e = yr.low; e <= yr.high; ++e) {
      yTicks.push_back(e);
    }
  } else {
    yTicks = niceTicks(yr.low, yr.high, 5);
    yr.high = std::max(yr.high, yTicks.back());
  }
  const double plotW = kPanelWidth - kLeft - kRight;
  const double plotH = kPanelHeight - kTop - kBottom;
  const double x0 = originX + kLeft;
  const double y0 = originY + kTop;
  // Pixel coordinates to a tenth: finer would only lengthen an SVG.
  const auto tenth = [](double v) { return std::round(v * 10) / 10; };
  const auto px = [&](double x) { return tenth(x0 + (x - xr.low) / (xr.high - xr.low) * plotW); };
  const auto py = [&](double y) {
    return tenth(y0 + plotH - (std::max(y, yr.low) - yr.low) / (yr.high - yr.low) * plotH);
  };

  painter.beginPanel(PanelAxes{panel.title,
                               xr.low,
                               xr.high,
                               panel.logY ? std::pow(10.0, yr.low) : yr.low,
                               panel.logY ? std::pow(10.0, yr.high) : yr.high,
                               panel.logY});
  painter.text(x0, originY + 22, panel.title, 15, TextAnchor::kStart, true);
  painter.frame(x0, y0, plotW, plotH);
  for (double t : xTicks) {
    if (t < xr.low || t > xr.high) {
      continue;
    }
    painter.line(px(t), y0, px(t), y0 + plotH, kGrid, 1);
    painter.text(px(t), y0 + plotH + 15, tickLabel(t), 11, TextAnchor::kMiddle);
  }
  for (double t : yTicks) {
    painter.line(x0, py(t), x0 + plotW, py(t), kGrid, 1);
    painter.text(
        x0 - 5, py(t) + 4, tickLabel(panel.logY ? std::pow(10.0, t) : t), 11, TextAnchor::kEnd);
  }
  painter.text(x0 + plotW / 2, y0 + plotH + 34, panel.xLabel, 12, TextAnchor::kMiddle);
  painter.text(originX + 18, y0 + plotH / 2, panel.yLabel, 12, TextAnchor::kMiddle, false, true);
  std::size_t colour = 0;
  double legendY = y0 + 6;
  for (const PlotSeries& s : panel.series) {
    const std::string stroke = s.emphasis ? "#000000" : kColours[colour++ % kColours.size()];
    const double width = s.emphasis ? 2.5 : 1.2;
    std::vector<std::pair<double, double>> points;
    for (const auto& [x, y] : s.points) {
      if (drawn(panel, x, y)) {
        points.emplace_back(px(x), py(panel.logY ? std::log10(y) : y));
      }
    }
    if (!points.empty()) {
      painter.series(s.label, points, stroke, width);
      if (points.size() == 1) {  // a lone point: a dot, or it would not show
        painter.dot(points[0].first, points[0].second, 3, stroke);
      }
    }
    painter.line(x0 + plotW + 10, legendY, x0 + plotW + 30, legendY, stroke, width);
    painter.text(x0 + plotW + 35, legendY + 4, s.label, 11, TextAnchor::kStart);
    legendY += 16;
  }
  painter.endPanel();
}

}  // namespace

std::vector<double> niceTicks(double low, double high, int count) {
  const double span = high > low ? high - low : 1;
  const double raw = span / std::max(count, 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  }
  std::vector<double> ticks;
  for (double t = std::floor(low / step) * step; t < high + step * 0.999; t += step) {
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

void paintPlot(const std::string& title,
               const std::vector<PlotPanel>& panels,
               PlotPainter& painter) {
  const std::size_t rows = (panels.size() + 1) / 2;
  const double width = 2 * kPanelWidth;
  const double height = kTitleHeight + static_cast<double>(rows) * kPanelHeight;
  painter.begin(width, height, title);
  painter.text(width / 2, 26, title, 18, TextAnchor::kMiddle);
  for (std::size_t i = 0; i < panels.size(); ++i) {
    paintPanel(panels[i],
               static_cast<double>(i % 2) * kPanelWidth,
               kTitleHeight + static_cast<double>(i / 2) * kPanelHeight,
               painter);
  }
  painter.end();
}

}  // namespace murmur::tools
