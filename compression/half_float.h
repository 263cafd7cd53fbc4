// float32 ↔ IEEE fp16 and bfloat16, round to nearest even, in portable integer code: the same
// bits on every machine (no F16C, no fast-math), so lossy codecs stay deterministic across peers.
// Thread: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace murmur::compression {

inline constexpr float kFp16Max = 65504.0F;

// Finite values beyond ±65504 (after rounding) become ±infinity; NaN stays NaN.
std::uint16_t floatToFp16(float value);
float fp16ToFloat(std::uint16_t half);

// Finite values that round past FLT_MAX become ±infinity; NaN stays a (quiet) NaN.
std::uint16_t floatToBf16(float value);
float bf16ToFloat(std::uint16_t half);

// Array forms; each returns false when an output is infinite or NaN (nothing is thrown, so the
// caller names the tensor and the peer).
bool floatsToFp16(const float* in, std::size_t n, std::uint16_t* out);
bool fp16ToFloats(const std::uint16_t* in, std::size_t n, float* out);
bool floatsToBf16(const float* in, std::size_t n, std::uint16_t* out);
bool bf16ToFloats(const std::uint16_t* in, std::size_t n, float* out);

}  // namespace murmur::compression
