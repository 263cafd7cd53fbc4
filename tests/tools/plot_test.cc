// murmur's plots as SVG and as PNG from one layout: the PNG is a valid file (chunk CRCs, zlib
// stream and its Adler-32), of the layout's size, with each series drawn in its colour and the
// text in black; the SVG carries the same panels and series for tests and viewers to read.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tools/common/pixel_font.h"
#include "tools/common/plot_file.h"
#include "tools/common/png_plot.h"
#include "tools/common/svg_plot.h"

namespace murmur::tools {
namespace {

std::uint32_t be32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    v = v << 8 | static_cast<std::uint8_t>(s[at + i]);
  }
  return v;
}

std::uint32_t crc32(const std::string& s) {
  std::uint32_t c = 0xFFFFFFFFU;
  for (char ch : s) {
    c ^= static_cast<std::uint8_t>(ch);
    for (int k = 0; k < 8; ++k) {
      c = (c >> 1) ^ (0xEDB88320U & (0U - (c & 1U)));
    }
  }
  return ~c;
}

struct Image {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::string rgb;  // rows without their filter bytes

  std::size_t count(std::uint8_t r, std::uint8_t g, std::uint8_t b, std::uint32_t rows) const {
    std::size_t n = 0;
    for (std::size_t i = 0; i + 2 < std::size_t{rows} * width * 3; i += 3) {
      n += static_cast<std::uint8_t>(rgb[i]) == r && static_cast<std::uint8_t>(rgb[i + 1]) == g &&
                   static_cast<std::uint8_t>(rgb[i + 2]) == b
               ? 1
               : 0;
    }
    return n;
  }
};

// Reads an 8-bit RGB PNG whose IDAT holds stored deflate blocks, checking every checksum.
Image decode(const std::string& png) {
  Image image;
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::string zlib;
  for (std::size_t at = 8; at + 12 <= png.size();) {
    const std::uint32_t n = be32(png, at);
    const std::string typeAndData = png.substr(at + 4, 4 + n);
    EXPECT_EQ(crc32(typeAndData), be32(png, at + 8 + n)) << typeAndData.substr(0, 4);
    if (typeAndData.compare(0, 4, "IHDR") == 0) {
      image.width = be32(typeAndData, 4);
      image.height = be32(typeAndData, 8);
      EXPECT_EQ(typeAndData[12], 8);  // bit depth
      EXPECT_EQ(typeAndData[13], 2);  // RGB
    } else if (typeAndData.compare(0, 4, "IDAT") == 0) {
      zlib += typeAndData.substr(4);
    }
    at += 12 + n;
  }
  std::string raw;
  for (std::size_t at = 2; at < zlib.size() - 4;) {
    const bool last = (zlib[at] & 1) != 0;
    const std::size_t len = static_cast<std::uint8_t>(zlib[at + 1]) |
                            static_cast<std::size_t>(static_cast<std::uint8_t>(zlib[at + 2])) << 8;
    raw += zlib.substr(at + 5, len);
    at += 5 + len;
    if (last) {
      break;
    }
  }
  std::uint32_t a = 1;
  std::uint32_t b = 0;
  for (char ch : raw) {
    a = (a + static_cast<std::uint8_t>(ch)) % 65521;
    b = (b + a) % 65521;
  }
  EXPECT_EQ((b << 16) | a, be32(zlib, zlib.size() - 4)) << "Adler-32";
  const std::size_t stride = 1 + 3 * std::size_t{image.width};
  EXPECT_EQ(raw.size(), stride * image.height);
  for (std::size_t row = 0; row * stride < raw.size(); ++row) {
    EXPECT_EQ(raw[row * stride], 0) << "filter of row " << row;
    image.rgb += raw.substr(row * stride + 1, stride - 1);
  }
  return image;
}

std::vector<PlotPanel> twoSeries() {
  PlotPanel panel{"accuracy over time", "time (s)", "accuracy", false, {}};
  panel.series.push_back({"peer0", {{0, 0.1}, {10, 0.5}, {20, 0.8}}, false});
  panel.series.push_back({"peer1", {{0, 0.2}, {10, 0.4}, {20, 0.9}}, false});
  return {panel};
}

TEST(Plot, PngIsAValidImageWithEverySeriesInItsColourAndTheTextInBlack) {
  const Image image = decode(renderPng("murmur run demo", twoSeries()));
  EXPECT_EQ(image.width, 1040U);
  EXPECT_EQ(image.height, 40U + 340U);
  EXPECT_GT(image.count(0x1f, 0x77, 0xb4, image.height), 200U) << "peer0's line and swatch";
  EXPECT_GT(image.count(0xff, 0x7f, 0x0e, image.height), 200U) << "peer1's line and swatch";
  EXPECT_GT(image.count(0, 0, 0, 40), 100U) << "the title, in the top 40 rows";
  EXPECT_GT(image.count(0xff, 0xff, 0xff, image.height), image.width * image.height / 2)
      << "a white background";
}

TEST(Plot, TheFileNameChoosesTheFormat) {
  EXPECT_TRUE(isPngPath("run.png"));
  EXPECT_TRUE(isPngPath("RUN.PNG"));
  EXPECT_FALSE(isPngPath("run.svg"));
  EXPECT_FALSE(isPngPath("png"));
  const std::string svg = renderPlotFile("run.svg", "demo", twoSeries());
  EXPECT_EQ(svg.rfind("<svg", 0), 0U);
  EXPECT_NE(svg.find("data-label=\"peer1\""), std::string::npos);
  EXPECT_NE(svg.find("data-title=\"accuracy over time\""), std::string::npos);
  EXPECT_EQ(renderPlotFile("run.png", "demo", twoSeries()).rfind("\x89PNG", 0), 0U);
}

TEST(Plot, ThePixelFontDecodesUtf8AndDrawsLookAlikes) {
  const std::vector<std::uint32_t> cps = codepoints("A²\xff");
  ASSERT_EQ(cps.size(), 3U);
  EXPECT_EQ(cps[1], 0x00B2U);
  EXPECT_EQ(cps[2], 0xFFFDU) << "a malformed byte is one unknown code point";
  EXPECT_EQ(glyphFor(0x00B2), glyphFor('2'));
  EXPECT_EQ(glyphFor('a'), glyphFor('A'));
  EXPECT_EQ(glyphFor(0x1F600), glyphFor('?'));
  EXPECT_NE(glyphFor('0'), glyphFor('8'));
}

}  // namespace
}  // namespace murmur::tools
