#include "tools/common/pixel_font.h"

#include <map>

namespace murmur::tools {
namespace {

const std::map<std::uint32_t, Glyph>& glyphs() {
  static const std::map<std::uint32_t, Glyph> table = {
      {' ', {0, 0, 0, 0, 0}},  {'0', {7, 5, 5, 5, 7}}, {'1', {2, 6, 2, 2, 7}},
      {'2', {7, 1, 7, 4, 7}},  {'3', {7, 1, 3, 1, 7}}, {'4', {5, 5, 7, 1, 1}},
      {'5', {7, 4, 7, 1, 7}},  {'6', {7, 4, 7, 5, 7}}, {'7', {7, 1, 1, 2, 2}},
      {'8', {7, 5, 7, 5, 7}},  {'9', {7, 5, 7, 1, 7}}, {'A', {2, 5, 7, 5, 5}},
      {'B', {6, 5, 6, 5, 6}},  {'C', {3, 4, 4, 4, 3}}, {'D', {6, 5, 5, 5, 6}},
      {'E', {7, 4, 6, 4, 7}},  {'F', {7, 4, 6, 4, 4}}, {'G', {3, 4, 5, 5, 3}},
      {'H', {5, 5, 7, 5, 5}},  {'I', {7, 2, 2, 2, 7}}, {'J', {1, 1, 1, 5, 2}},
      {'K', {5, 5, 6, 5, 5}},  {'L', {4, 4, 4, 4, 7}}, {'M', {5, 7, 7, 5, 5}},
      {'N', {6, 5, 5, 5, 5}},  {'O', {2, 5, 5, 5, 2}}, {'P', {6, 5, 6, 4, 4}},
      {'Q', {2, 5, 5, 6, 3}},  {'R', {6, 5, 6, 5, 5}}, {'S', {3, 4, 2, 1, 6}},
      {'T', {7, 2, 2, 2, 2}},  {'U', {5, 5, 5, 5, 7}}, {'V', {5, 5, 5, 5, 2}},
      {'W', {5, 5, 7, 7, 5}},  {'X', {5, 5, 2, 5, 5}}, {'Y', {5, 5, 2, 2, 2}},
      {'Z', {7, 1, 2, 4, 7}},  {'.', {0, 0, 0, 0, 2}}, {',', {0, 0, 0, 2, 4}},
      {'-', {0, 0, 7, 0, 0}},  {'+', {0, 2, 7, 2, 0}}, {'(', {1, 2, 2, 2, 1}},
      {')', {4, 2, 2, 2, 4}},  {'/', {1, 1, 2, 4, 4}}, {':', {0, 2, 0, 2, 0}},
      {'%', {5, 1, 2, 4, 5}},  {'_', {0, 0, 0, 0, 7}}, {'=', {0, 7, 0, 7, 0}},
      {'\'', {2, 2, 0, 0, 0}}, {'*', {5, 2, 5, 0, 0}}, {'?', {7, 1, 2, 0, 2}},
      {'[', {3, 2, 2, 2, 3}},  {']', {6, 2, 2, 2, 6}}, {'<', {1, 2, 4, 2, 1}},
      {'>', {4, 2, 1, 2, 4}},  {'~', {0, 3, 6, 0, 0}}, {'|', {2, 2, 2, 2, 2}},
      {'#', {5, 7, 5, 7, 5}},  {'&', {2, 5, 2, 5, 3}}, {'!', {2, 2, 2, 0, 2}},
      {'^', {2, 5, 0, 0, 0}},
  };
  return table;
}

// Signs murmur's labels use, drawn as the glyph they look most like.
std::uint32_t lookAlike(std::uint32_t c) {
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 'A';
  }
  switch (c) {
    case 0x00B2:  // ²
      return '2';
    case 0x00B3:  // ³
      return '3';
    case 0x00D7:  // ×
    case 0x03C7:  // χ
      return 'X';
    case 0x00B7:  // ·
      return '.';
    case 0x0398:  // Θ
    case 0x03B8:  // θ
      return 'O';
    case 0x03B1:  // α
      return 'A';
    case 0x03B7:  // η
      return 'N';
    case 0x0394:  // Δ
    case 0x03B4:  // δ
      return 'D';
    case 0x03B3:  // γ
      return 'Y';
    case 0x2013:  // –
    case 0x2014:  // —
    case 0x2212:  // −
      return '-';
    case 0x2264:  // ≤
      return '<';
    case 0x2265:  // ≥
      return '>';
    case 0x0303:  // combining tilde (x̃): drawn as nothing
      return ' ';
    default:
      return c;
  }
}

}  // namespace

const Glyph& glyphFor(std::uint32_t codepoint) {
  const auto& table = glyphs();
  auto it = table.find(lookAlike(codepoint));
  return it != table.end() ? it->second : table.at('?');
}

std::vector<std::uint32_t> codepoints(const std::string& utf8) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    const int extra = lead < 0x80         ? 0
                      : (lead >> 5) == 6  ? 1
                      : (lead >> 4) == 14 ? 2
                      : (lead >> 3) == 30 ? 3
                                          : -1;
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= utf8.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    std::uint32_t c = extra == 0 ? lead : lead & (0x3F >> extra);
    bool ok = true;
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(utf8[i + static_cast<std::size_t>(k)]);
      ok = ok && (next >> 6) == 2;
      c = (c << 6) | (next & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(c);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

}  // namespace murmur::tools
