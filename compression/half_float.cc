#include "compression/half_float.h"

#include "compression/float_bits.h"

namespace murmur::compression {
namespace {

constexpr std::uint16_t kFp16ExponentMask = 0x7c00;
constexpr std::uint16_t kBf16ExponentMask = 0x7f80;

}  // namespace

std::uint16_t floatToFp16(float value) {
  std::uint32_t bits = floatBits(value);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000U);
  bits &= 0x7fffffffU;
  std::uint16_t half = 0;
  if (bits >= 0x47800000U) {  // |x| ≥ 2^16, infinity or NaN
    half = bits > 0x7f800000U ? 0x7e00 : 0x7c00;
  } else if (bits < 0x38800000U) {
    // Below 2^−14: a subnormal half. Adding 0.5 aligns the half's ulp (2^−24) with the float's
    // last mantissa bit, so the FPU's own round-to-nearest-even does the rounding.
    const float shifted = floatFromBits(bits) + 0.5F;
    half = static_cast<std::uint16_t>(floatBits(shifted) - 0x3f000000U);
  } else {
    // Rebias the exponent, then round the 13 dropped mantissa bits to nearest even.
    const std::uint32_t odd = (bits >> 13) & 1U;
    bits += 0xc8000000U + 0xfffU + odd;  // (15 − 127) << 23, wrapping
    half = static_cast<std::uint16_t>(bits >> 13);
  }
  return static_cast<std::uint16_t>(half | sign);
}

float fp16ToFloat(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000U) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1fU;
  const std::uint32_t mantissa = half & 0x3ffU;
  std::uint32_t bits = 0;
  if (exponent == 0x1f) {
    bits = 0x7f800000U | (mantissa << 13);  // infinity or NaN
  } else if (exponent != 0) {
    bits = ((exponent + 112) << 23) | (mantissa << 13);  // rebias 15 → 127
  } else if (mantissa != 0) {
    bits = floatBits(static_cast<float>(mantissa) *
                     floatFromBits(0x33800000U));  // mantissa · 2^−24, exact
  }
  return floatFromBits(bits | sign);
}

std::uint16_t floatToBf16(float value) {
  const std::uint32_t bits = floatBits(value);
  if ((bits & 0x7fffffffU) > 0x7f800000U) {
    return static_cast<std::uint16_t>((bits >> 16) | 0x40U);  // NaN stays NaN (quiet)
  }
  const std::uint32_t rounded = bits + 0x7fffU + ((bits >> 16) & 1U);
  return static_cast<std::uint16_t>(rounded >> 16);
}

float bf16ToFloat(std::uint16_t half) {
  return floatFromBits(static_cast<std::uint32_t>(half) << 16);
}

bool floatsToFp16(const float* in, std::size_t n, std::uint16_t* out) {
  std::uint16_t nonFinite = 0;
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = floatToFp16(in[i]);
    nonFinite |= static_cast<std::uint16_t>((out[i] & kFp16ExponentMask) == kFp16ExponentMask);
  }
  return nonFinite == 0;
}

bool fp16ToFloats(const std::uint16_t* in, std::size_t n, float* out) {
  std::uint16_t nonFinite = 0;
  for (std::size_t i = 0; i < n; ++i) {
    nonFinite |= static_cast<std::uint16_t>((in[i] & kFp16ExponentMask) == kFp16ExponentMask);
    out[i] = fp16ToFloat(in[i]);
  }
  return nonFinite == 0;
}

bool floatsToBf16(const float* in, std::size_t n, std::uint16_t* out) {
  std::uint16_t nonFinite = 0;
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = floatToBf16(in[i]);
    nonFinite |= static_cast<std::uint16_t>((out[i] & kBf16ExponentMask) == kBf16ExponentMask);
  }
  return nonFinite == 0;
}

bool bf16ToFloats(const std::uint16_t* in, std::size_t n, float* out) {
  std::uint16_t nonFinite = 0;
  for (std::size_t i = 0; i < n; ++i) {
    nonFinite |= static_cast<std::uint16_t>((in[i] & kBf16ExponentMask) == kBf16ExponentMask);
    out[i] = bf16ToFloat(in[i]);
  }
  return nonFinite == 0;
}

}  // namespace murmur::compression
