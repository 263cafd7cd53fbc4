#include "tools/common/svg_plot.h"

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

constexpr std::array<const char*, 8> kColours = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

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

void renderPanel(const PlotPanel& panel, double originX, double originY, std::string& out) {
  Range xr;
  Range yr;
  for (const PlotSeries& s : panel.series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y) || (panel.logY && y <= 0)) {
        continue;
      }
      xr.add(x);
      yr.add(panel.logY ? std::log10(y) : y);
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
  // Pixel coordinates to a tenth: finer would only lengthen the file.
  const auto tenth = [](double v) { return std::round(v * 10) / 10; };
  const auto px = [&](double x) { return tenth(x0 + (x - xr.low) / (xr.high - xr.low) * plotW); };
  const auto py = [&](double y) {
    return tenth(y0 + plotH - (std::max(y, yr.low) - yr.low) / (yr.high - yr.low) * plotH);
  };

  out += fmt::format(
      "<g class=\"panel\" data-title=\"{}\" data-x-min=\"{}\" data-x-max=\"{}\" "
      "data-y-min=\"{}\" data-y-max=\"{}\" data-log-y=\"{}\">\n",
      escape(panel.title),
      xr.low,
      xr.high,
      panel.logY ? std::pow(10.0, yr.low) : yr.low,
      panel.logY ? std::pow(10.0, yr.high) : yr.high,
      panel.logY ? 1 : 0);
  out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
                     x0,
                     originY + 22,
                     escape(panel.title));
  out += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n",
      x0,
      y0,
      plotW,
      plotH);
  for (double t : xTicks) {
    if (t < xr.low || t > xr.high) {
      continue;
    }
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#ddd\"/>"
        "<text x=\"{0}\" y=\"{3}\" font-size=\"11\" text-anchor=\"middle\">{4}</text>\n",
        px(t),
        y0,
        y0 + plotH,
        y0 + plotH + 15,
        tickLabel(t));
  }
  for (double t : yTicks) {
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#ddd\"/>"
        "<text x=\"{3}\" y=\"{4}\" font-size=\"11\" text-anchor=\"end\">{5}</text>\n",
        x0,
        py(t),
        x0 + plotW,
        x0 - 5,
        py(t) + 4,
        tickLabel(panel.logY ? std::pow(10.0, t) : t));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>\n",
                     x0 + plotW / 2,
                     y0 + plotH + 34,
                     escape(panel.xLabel));
  out += fmt::format(
      "<text x=\"{0}\" y=\"{1}\" font-size=\"12\" text-anchor=\"middle\" "
      "transform=\"rotate(-90 {0} {1})\">{2}</text>\n",
      originX + 18,
      y0 + plotH / 2,
      escape(panel.yLabel));
  std::size_t colour = 0;
  double legendY = y0 + 6;
  for (const PlotSeries& s : panel.series) {
    const std::string stroke = s.emphasis ? "#000" : kColours[colour++ % kColours.size()];
    const double width = s.emphasis ? 2.5 : 1.2;
    std::string points;
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y) || (panel.logY && y <= 0)) {
        continue;
      }
      points += fmt::format("{:.1f},{:.1f} ", px(x), py(panel.logY ? std::log10(y) : y));
    }
    if (!points.empty()) {
      out += fmt::format(
          "<polyline class=\"series\" data-label=\"{}\" fill=\"none\" stroke=\"{}\" "
          "stroke-width=\"{}\" points=\"{}\"/>\n",
          escape(s.label),
          stroke,
          width,
          points);
      if (s.points.size() == 1) {  // a lone point: a dot, or it would not show
        out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n",
                           px(s.points[0].first),
                           py(panel.logY ? std::log10(s.points[0].second) : s.points[0].second),
                           stroke);
      }
    }
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"{4}\"/>"
        "<text x=\"{5}\" y=\"{6}\" font-size=\"11\">{7}</text>\n",
        x0 + plotW + 10,
        legendY,
        x0 + plotW + 30,
        stroke,
        width,
        x0 + plotW + 35,
        legendY + 4,
        escape(s.label));
    legendY += 16;
  }
  out += "</g>\n";
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

std::string renderSvg(const std::string& title, const std::vector<PlotPanel>& panels) {
  const std::size_t rows = (panels.size() + 1) / 2;
  const double width = 2 * kPanelWidth;
  const double height = kTitleHeight + static_cast<double>(rows) * kPanelHeight;
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"26\" font-size=\"18\" text-anchor=\"middle\">{3}</text>\n",
      width,
      height,
      width / 2,
      escape(title));
  for (std::size_t i = 0; i < panels.size(); ++i) {
    renderPanel(panels[i],
                static_cast<double>(i % 2) * kPanelWidth,
                kTitleHeight + static_cast<double>(i / 2) * kPanelHeight,
                out);
  }
  out += "</svg>\n";
  return out;
}

}  // namespace murmur::tools
