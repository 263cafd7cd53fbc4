#include "compression/codec.h"

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

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
  runtime::Blob encoded = raw.encode(source);
  EXPECT_EQ(encoded.data, source.data);
  runtime::Blob decoded = raw.decode(bytesOf(values), 3);
  EXPECT_EQ(decoded.dtype, runtime::DType::kFloat32);
  EXPECT_EQ(decoded.as<float>()[2], 3.0F);
}

TEST(RawCodec, RejectsWrongSizesMisalignmentAndNonFiniteValues) {
  const Codec& raw = codecFor(CodecId::kRaw);
  auto values = std::make_shared<std::vector<float>>(8, 1.0F);
  EXPECT_THROW(raw.decode(bytesOf(values), 7), runtime::Error);
  EXPECT_THROW(raw.decode(bytesOf(values, 2), 7), runtime::Error);
  for (float poison : {std::numeric_limits<float>::infinity(),
                       -std::numeric_limits<float>::infinity(),
                       std::numeric_limits<float>::quiet_NaN()}) {
    (*values)[5] = poison;
    try {
      raw.decode(bytesOf(values), 8);
      FAIL() << "accepted " << poison;
    } catch (const runtime::Error& e) {
      EXPECT_EQ(e.kind(), runtime::ErrorKind::kProtocol);
    }
  }
  (*values)[5] = std::numeric_limits<float>::max();  // large but finite is fine
  EXPECT_NO_THROW(raw.decode(bytesOf(values), 8));
}

TEST(Codec, NamesAndIds) {
  EXPECT_EQ(codecFromName("raw"), CodecId::kRaw);
  EXPECT_EQ(codecName(CodecId::kRaw), "raw");
  EXPECT_THROW(codecFromName("zip"), runtime::Error);
  EXPECT_THROW(codecFor(static_cast<CodecId>(200)), runtime::Error);
}

}  // namespace
}  // namespace murmur::compression
