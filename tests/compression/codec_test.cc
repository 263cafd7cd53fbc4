#include "compression/codec.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compression/half_float.h"
#include "runtime/error.h"

namespace murmur::compression {
namespace {

runtime::Blob bytesOf(std::shared_ptr<std::vector<float>> values, std::size_t offset = 0) {
  runtime::Blob blob;
  blob.data = reinterpret_cast<const std::byte*>(values->data()) + offset;
  blob.bytes = values->size() * sizeof(float) - offset;
  blob.dtype = runtime::DType::kUInt8;
  blob.keepAlive = values;
  return blob;
}

TEST(RawCodec, EncodeIsZeroCopyAndDecodeIsAFloatView) {
  auto values = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3});
  runtime::Blob source = bytesOf(values);
  source.dtype = runtime::DType::kFloat32;
  const Codec& raw = codecFor(CodecId::kRaw);
  runtime::Blob encoded = raw.encode(source, nullptr);
  EXPECT_EQ(encoded.data, source.data);
  runtime::Blob decoded = raw.decode(bytesOf(values), 3, nullptr);
  EXPECT_EQ(decoded.dtype, runtime::DType::kFloat32);
  EXPECT_EQ(decoded.as<float>()[2], 3.0F);
}

TEST(RawCodec, RejectsWrongSizesMisalignmentAndNonFiniteValues) {
  const Codec& raw = codecFor(CodecId::kRaw);
  auto values = std::make_shared<std::vector<float>>(8, 1.0F);
  EXPECT_THROW(raw.decode(bytesOf(values), 7, nullptr), runtime::Error);
  EXPECT_THROW(raw.decode(bytesOf(values, 2), 7, nullptr), runtime::Error);
  for (float poison : {std::numeric_limits<float>::infinity(),
                       -std::numeric_limits<float>::infinity(),
                       std::numeric_limits<float>::quiet_NaN()}) {
    (*values)[5] = poison;
    try {
      raw.decode(bytesOf(values), 8, nullptr);
      FAIL() << "accepted " << poison;
    } catch (const runtime::Error& e) {
      EXPECT_EQ(e.kind(), runtime::ErrorKind::kProtocol);
    }
  }
  (*values)[5] = std::numeric_limits<float>::max();  // large but finite is fine
  EXPECT_NO_THROW(raw.decode(bytesOf(values), 8, nullptr));
}

TEST(Codec, NamesAndIds) {
  for (CodecId id : {CodecId::kRaw, CodecId::kFp16, CodecId::kBf16, CodecId::kLossless}) {
    EXPECT_EQ(codecFromName(codecName(id)), id);
    EXPECT_EQ(codecFor(id).id(), id);
  }
  EXPECT_EQ(codecName(CodecId::kRaw), "raw");
  EXPECT_THROW(codecFromName("zip"), runtime::Error);
  EXPECT_THROW(codecFor(static_cast<CodecId>(200)), runtime::Error);
}

std::shared_ptr<std::vector<float>> randomModel(std::size_t numel, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0F, 0.05F);
  auto values = std::make_shared<std::vector<float>>(numel);
  for (float& v : *values) {
    v = normal(rng);
  }
  return values;
}

// Every dense codec round-trips any size; exact ones bit for bit, the half ones within their
// rounding (≤ half an ulp of 11 or 8 significant bits, relative).
TEST(Codec, EveryCodecRoundTripsWithinItsPrecision) {
  for (CodecId id : {CodecId::kRaw, CodecId::kFp16, CodecId::kBf16, CodecId::kLossless}) {
    const Codec& codec = codecFor(id);
    for (std::size_t numel : {0UL, 1UL, 3UL, 1000UL, 100003UL}) {
      SCOPED_TRACE(std::string(codecName(id)) + " numel=" + std::to_string(numel));
      auto model = randomModel(numel, numel);
      auto encodeScratch = std::make_shared<std::vector<std::byte>>();
      const runtime::Blob encoded = codec.encode(runtime::floatBlob(model), encodeScratch);
      if (id == CodecId::kFp16 || id == CodecId::kBf16) {
        EXPECT_EQ(encoded.bytes, numel * 2);
      }
      auto decodeScratch = std::make_shared<std::vector<float>>(numel);
      const runtime::Blob decoded = codec.decode(encoded, numel, decodeScratch);
      ASSERT_EQ(decoded.bytes, numel * sizeof(float));
      const float* out = decoded.as<float>();
      if (id != CodecId::kRaw && numel > 0) {
        EXPECT_EQ(out, decodeScratch->data()) << "decodes into the caller's buffer";
      }
      const double tolerance = id == CodecId::kFp16   ? std::ldexp(1.0, -11)
                               : id == CodecId::kBf16 ? std::ldexp(1.0, -8)
                                                      : 0.0;
      EXPECT_EQ(codec.exact(), tolerance == 0.0);
      for (std::size_t i = 0; i < numel; ++i) {
        const double x = (*model)[i];
        if (tolerance == 0) {
          ASSERT_EQ(std::memcmp(&out[i], &(*model)[i], sizeof(float)), 0) << i;
        } else if (id == CodecId::kBf16 || std::fabs(x) >= std::ldexp(1.0, -14)) {  // normals
          ASSERT_LE(std::fabs(out[i] - x), tolerance * std::fabs(x)) << i << ": " << x;
        } else {
          ASSERT_LE(std::fabs(out[i] - x), std::ldexp(1.0, -25)) << i << ": " << x;
        }
      }
    }
  }
}

TEST(Codec, HalfConversionsRoundToNearestEven) {
  EXPECT_EQ(floatToFp16(1.0F), 0x3c00);
  EXPECT_EQ(floatToFp16(-2.0F), 0xc000);
  EXPECT_EQ(floatToFp16(65504.0F), 0x7bff);
  EXPECT_EQ(floatToFp16(65520.0F), 0x7c00);               // rounds past the largest finite half
  EXPECT_EQ(floatToFp16(std::ldexp(1.0F, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(floatToFp16(std::ldexp(1.0F, -26)), 0x0000);  // a quarter ulp rounds to zero
  EXPECT_EQ(floatToFp16(0.1F), 0x2e66);
  EXPECT_EQ(floatToFp16(1.0F + std::ldexp(1.0F, -11)), 0x3c00);      // tie: to even
  EXPECT_EQ(floatToFp16(1.0F + 3 * std::ldexp(1.0F, -11)), 0x3c02);  // tie: to even
  EXPECT_EQ(floatToFp16(-0.0F), 0x8000);
  for (std::uint32_t h = 0; h < 0x10000; ++h) {  // every finite half survives the round trip
    const auto half = static_cast<std::uint16_t>(h);
    if ((half & 0x7c00) != 0x7c00) {
      ASSERT_EQ(floatToFp16(fp16ToFloat(half)), half) << std::hex << h;
    }
  }
  EXPECT_EQ(floatToBf16(1.0F), 0x3f80);
  EXPECT_EQ(floatToBf16(1.0F + std::ldexp(1.0F, -8)), 0x3f80);      // tie: to even
  EXPECT_EQ(floatToBf16(1.0F + 3 * std::ldexp(1.0F, -8)), 0x3f82);  // tie: to even
  EXPECT_EQ(bf16ToFloat(0xc040), -3.0F);
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(Codec, LossyAndLosslessCodecsRefuseWhatTheyCannotCarry) {
  auto model = randomModel(64, 9);
  (*model)[10] = 70000.0F;
  EXPECT_THROW(codecFor(CodecId::kFp16).encode(runtime::floatBlob(model), nullptr), runtime::Error);
  EXPECT_NO_THROW(codecFor(CodecId::kBf16).encode(runtime::floatBlob(model), nullptr));
  (*model)[10] = std::numeric_limits<float>::infinity();
  EXPECT_THROW(codecFor(CodecId::kBf16).encode(runtime::floatBlob(model), nullptr), runtime::Error);

  // A lossless stream with a NaN inside, truncated, or declaring another size is refused.
  (*model)[10] = std::numeric_limits<float>::quiet_NaN();
  const Codec& lossless = codecFor(CodecId::kLossless);
  const runtime::Blob poisoned = lossless.encode(runtime::floatBlob(model), nullptr);
  EXPECT_THROW(lossless.decode(poisoned, 64, nullptr), runtime::Error);
  (*model)[10] = 1.0F;
  runtime::Blob good = lossless.encode(runtime::floatBlob(model), nullptr);
  EXPECT_NO_THROW(lossless.decode(good, 64, nullptr));
  EXPECT_THROW(lossless.decode(good, 63, nullptr), runtime::Error);
  runtime::Blob truncated = good;
  truncated.bytes -= 3;
  EXPECT_THROW(lossless.decode(truncated, 64, nullptr), runtime::Error);
  auto garbage = std::make_shared<std::vector<float>>(32, 1.0F);
  EXPECT_THROW(lossless.decode(bytesOf(garbage), 64, nullptr), runtime::Error);

  // Half payloads: wrong sizes and non-finite halves.
  auto halves = std::make_shared<std::vector<std::uint16_t>>(8, std::uint16_t{0x3c00});
  runtime::Blob payload;
  payload.data = reinterpret_cast<const std::byte*>(halves->data());
  payload.bytes = 16;
  payload.keepAlive = halves;
  EXPECT_NO_THROW(codecFor(CodecId::kFp16).decode(payload, 8, nullptr));
  EXPECT_THROW(codecFor(CodecId::kFp16).decode(payload, 7, nullptr), runtime::Error);
  (*halves)[3] = 0x7c00;
  EXPECT_THROW(codecFor(CodecId::kFp16).decode(payload, 8, nullptr), runtime::Error);
  (*halves)[3] = 0x7f80;  // bf16 infinity
  EXPECT_THROW(codecFor(CodecId::kBf16).decode(payload, 8, nullptr), runtime::Error);
}

// A trained-looking model compresses a little; the gain is the exponent plane.
TEST(Codec, LosslessShrinksRealisticWeights) {
  auto model = randomModel(100000, 3);
  const runtime::Blob encoded =
      codecFor(CodecId::kLossless).encode(runtime::floatBlob(model), nullptr);
  EXPECT_LT(encoded.bytes, model->size() * sizeof(float));
}

}  // namespace
}  // namespace murmur::compression
