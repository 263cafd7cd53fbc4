// A 3×5 pixel font for plots drawn without a font library (png_plot.h): digits, Latin capitals
// and common punctuation; lower case is drawn as capitals, a few Greek and math signs as their
// nearest Latin look-alike, anything else as '?'.
// Thread: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace murmur::tools {

inline constexpr int kGlyphWidth = 3;
inline constexpr int kGlyphHeight = 5;

// Five rows, top first; bit 2 of a row is its left pixel.
using Glyph = std::array<std::uint8_t, kGlyphHeight>;

const Glyph& glyphFor(std::uint32_t codepoint);

// The code points of UTF-8 text (a malformed byte counts as one unknown code point).
std::vector<std::uint32_t> codepoints(const std::string& utf8);

}  // namespace murmur::tools
