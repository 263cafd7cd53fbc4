#include "tools/common/png_plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "tools/common/pixel_font.h"

namespace murmur::tools {
namespace {

struct Rgb {
  std::uint8_t r = 255;
  std::uint8_t g = 255;
  std::uint8_t b = 255;
};

Rgb parseColour(const std::string& hex) {
  auto byte = [&](std::size_t at) {
    return static_cast<std::uint8_t>(std::stoi(hex.substr(at, 2), nullptr, 16));
  };
  return hex.size() == 7 && hex[0] == '#' ? Rgb{byte(1), byte(3), byte(5)} : Rgb{0, 0, 0};
}

class RasterPainter final : public PlotPainter {
 public:
  void begin(double width, double height, const std::string& /*title*/) override {
    width_ = static_cast<int>(std::ceil(width));
    height_ = static_cast<int>(std::ceil(height));
    pixels_.assign(static_cast<std::size_t>(width_) * static_cast<std::size_t>(height_), Rgb{});
  }

  void beginPanel(const PanelAxes& /*axes*/) override {}

  void text(double x,
            double y,
            const std::string& text,
            double size,
            TextAnchor anchor,
            bool bold,
            bool vertical) override {
    const int scale = std::max(1, static_cast<int>(std::lround(size / 6)));
    const std::vector<std::uint32_t> chars = codepoints(text);
    const int advance = (kGlyphWidth + 1) * scale;
    const int length = static_cast<int>(chars.size()) * advance - scale;
    const double shift = anchor == TextAnchor::kStart    ? 0
                         : anchor == TextAnchor::kMiddle ? length / 2.0
                                                         : length;
    // Along the text from its anchor (u), and up from the baseline (v).
    const Rgb ink{0, 0, 0};
    for (std::size_t k = 0; k < chars.size(); ++k) {
      const Glyph& g = glyphFor(chars[k]);
      for (int row = 0; row < kGlyphHeight; ++row) {
        for (int col = 0; col < kGlyphWidth; ++col) {
          if ((g[static_cast<std::size_t>(row)] >> (kGlyphWidth - 1 - col) & 1) == 0) {
            continue;
          }
          for (int dy = 0; dy < scale; ++dy) {
            for (int dx = 0; dx < scale + (bold ? 1 : 0); ++dx) {
              const double u =
                  static_cast<double>(static_cast<int>(k) * advance + col * scale + dx) - shift;
              const double v = static_cast<double>((kGlyphHeight - row) * scale - dy);
              if (vertical) {
                put(static_cast<int>(std::lround(x - v)),
                    static_cast<int>(std::lround(y - u)),
                    ink);
              } else {
                put(static_cast<int>(std::lround(x + u)),
                    static_cast<int>(std::lround(y - v)),
                    ink);
              }
            }
          }
        }
      }
    }
  }

  void line(double x1, double y1, double x2, double y2, const std::string& colour, double width)
      override {
    const Rgb c = parseColour(colour);
    const double length = std::hypot(x2 - x1, y2 - y1);
    const int steps = std::max(1, static_cast<int>(std::ceil(length * 2)));
    for (int s = 0; s <= steps; ++s) {
      const double t = static_cast<double>(s) / steps;
      stamp(x1 + (x2 - x1) * t, y1 + (y2 - y1) * t, width / 2, c);
    }
  }

  void frame(double x, double y, double width, double height) override {
    const std::string c = "#444444";
    line(x, y, x + width, y, c, 1);
    line(x + width, y, x + width, y + height, c, 1);
    line(x + width, y + height, x, y + height, c, 1);
    line(x, y + height, x, y, c, 1);
  }

  void series(const std::string& /*label*/,
              const std::vector<std::pair<double, double>>& points,
              const std::string& colour,
              double width) override {
    for (std::size_t i = 1; i < points.size(); ++i) {
      line(points[i - 1].first,
           points[i - 1].second,
           points[i].first,
           points[i].second,
           colour,
           width);
    }
  }

  void dot(double x, double y, double radius, const std::string& colour) override {
    stamp(x, y, radius, parseColour(colour));
  }

  void endPanel() override {}

  void end() override {}

  std::string png() const;

 private:
  void put(int x, int y, Rgb c) {
    if (x >= 0 && y >= 0 && x < width_ && y < height_) {
      pixels_[static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) +
              static_cast<std::size_t>(x)] = c;
    }
  }

  // A filled disc (at least the one pixel under the point).
  void stamp(double x, double y, double radius, Rgb c) {
    const int r = static_cast<int>(std::ceil(radius));
    const int cx = static_cast<int>(std::floor(x));
    const int cy = static_cast<int>(std::floor(y));
    for (int dy = -r; dy <= r; ++dy) {
      for (int dx = -r; dx <= r; ++dx) {
        if ((dx == 0 && dy == 0) || std::hypot(dx, dy) <= radius) {
          put(cx + dx, cy + dy, c);
        }
      }
    }
  }

  int width_ = 0;
  int height_ = 0;
  std::vector<Rgb> pixels_;
};

std::uint32_t crc32(const std::string& bytes, std::size_t from) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) {
        c = (c & 1) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      }
      t[n] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFU;
  for (std::size_t i = from; i < bytes.size(); ++i) {
    c = table[(c ^ static_cast<std::uint8_t>(bytes[i])) & 0xFF] ^ (c >> 8);
  }
  return c ^ 0xFFFFFFFFU;
}

void putU32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

void chunk(std::string& out, const char* type, const std::string& data) {
  putU32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out += type;
  out += data;
  putU32(out, crc32(out, start));
}

// A zlib stream of stored (uncompressed) deflate blocks.
std::string zlibStored(const std::string& raw) {
  std::string out = {'\x78', '\x01'};
  std::uint32_t a = 1;
  std::uint32_t b = 0;
  for (char ch : raw) {
    a = (a + static_cast<std::uint8_t>(ch)) % 65521;
    b = (b + a) % 65521;
  }
  std::size_t at = 0;
  do {
    const std::size_t n = std::min<std::size_t>(65535, raw.size() - at);
    const bool last = at + n == raw.size();
    out.push_back(last ? '\x01' : '\x00');
    out.push_back(static_cast<char>(n & 0xFF));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(~n & 0xFF));
    out.push_back(static_cast<char>((~n >> 8) & 0xFF));
    out.append(raw, at, n);
    at += n;
  } while (at < raw.size());
  putU32(out, (b << 16) | a);
  return out;
}

std::string RasterPainter::png() const {
  std::string out = "\x89PNG\r\n\x1a\n";
  std::string header;
  putU32(header, static_cast<std::uint32_t>(width_));
  putU32(header, static_cast<std::uint32_t>(height_));
  header += std::string{'\x08', '\x02', '\x00', '\x00', '\x00'};  // 8-bit RGB, no interlace
  chunk(out, "IHDR", header);
  std::string raw;
  raw.reserve(static_cast<std::size_t>(height_) * (1 + 3 * static_cast<std::size_t>(width_)));
  for (int y = 0; y < height_; ++y) {
    raw.push_back('\0');  // filter: none
    for (int x = 0; x < width_; ++x) {
      const Rgb& p = pixels_[static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) +
                             static_cast<std::size_t>(x)];
      raw.push_back(static_cast<char>(p.r));
      raw.push_back(static_cast<char>(p.g));
      raw.push_back(static_cast<char>(p.b));
    }
  }
  chunk(out, "IDAT", zlibStored(raw));
  chunk(out, "IEND", "");
  return out;
}

}  // namespace

std::string renderPng(const std::string& title, const std::vector<PlotPanel>& panels) {
  RasterPainter painter;
  paintPlot(title, panels, painter);
  return painter.png();
}

}  // namespace murmur::tools
