#include "tools/common/svg_plot.h"

#include <fmt/format.h>

namespace murmur::tools {
namespace {

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

const char* anchorName(TextAnchor anchor) {
  switch (anchor) {
    case TextAnchor::kMiddle:
      return "middle";
    case TextAnchor::kEnd:
      return "end";
    case TextAnchor::kStart:
      break;
  }
  return "start";
}

class SvgPainter final : public PlotPainter {
 public:
  void begin(double width, double height, const std::string& /*title*/) override {
    out_ += fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
        "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\">\n"
        "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        width,
        height);
  }

  void beginPanel(const PanelAxes& a) override {
    out_ += fmt::format(
        "<g class=\"panel\" data-title=\"{}\" data-x-min=\"{}\" data-x-max=\"{}\" "
        "data-y-min=\"{}\" data-y-max=\"{}\" data-log-y=\"{}\">\n",
        escape(a.title),
        a.xMin,
        a.xMax,
        a.yMin,
        a.yMax,
        a.logY ? 1 : 0);
  }

  void text(double x,
            double y,
            const std::string& text,
            double size,
            TextAnchor anchor,
            bool bold,
            bool vertical) override {
    out_ += fmt::format("<text x=\"{0}\" y=\"{1}\" font-size=\"{2}\" text-anchor=\"{3}\"{4}{5}>",
                        x,
                        y,
                        size,
                        anchorName(anchor),
                        bold ? " font-weight=\"bold\"" : "",
                        vertical ? fmt::format(" transform=\"rotate(-90 {} {})\"", x, y) : "");
    out_ += escape(text) + "</text>\n";
  }

  void line(double x1, double y1, double x2, double y2, const std::string& colour, double width)
      override {
    out_ += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"/>\n",
        x1,
        y1,
        x2,
        y2,
        colour,
        width);
  }

  void frame(double x, double y, double width, double height) override {
    out_ += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n",
        x,
        y,
        width,
        height);
  }

  void series(const std::string& label,
              const std::vector<std::pair<double, double>>& points,
              const std::string& colour,
              double width) override {
    std::string coordinates;
    for (const auto& [x, y] : points) {
      coordinates += fmt::format("{:.1f},{:.1f} ", x, y);
    }
    out_ += fmt::format(
        "<polyline class=\"series\" data-label=\"{}\" fill=\"none\" stroke=\"{}\" "
        "stroke-width=\"{}\" points=\"{}\"/>\n",
        escape(label),
        colour,
        width,
        coordinates);
  }

  void dot(double x, double y, double radius, const std::string& colour) override {
    out_ += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\"/>\n", x, y, radius, colour);
  }

  void endPanel() override { out_ += "</g>\n"; }

  void end() override { out_ += "</svg>\n"; }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string renderSvg(const std::string& title, const std::vector<PlotPanel>& panels) {
  SvgPainter painter;
  paintPlot(title, panels, painter);
  return painter.take();
}

}  // namespace murmur::tools
