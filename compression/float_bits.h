// The bits of a float32 and back (through memcpy: no aliasing trouble), and a finite check over
// many values in one pass that vectorises (exponent bits all ones: inf or NaN). The codecs'
// portable integer code and the payload checks share them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace murmur::compression {

inline std::uint32_t floatBits(float value) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

inline float floatFromBits(std::uint32_t bits) {
  float value = 0;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

inline bool allFinite(const float* values, std::size_t n) {
  std::uint32_t nonFinite = 0;
  for (std::size_t i = 0; i < n; ++i) {
    nonFinite |= static_cast<std::uint32_t>((floatBits(values[i]) & 0x7f800000U) == 0x7f800000U);
  }
  return nonFinite == 0;
}

}  // namespace murmur::compression
