// murmur-sim's per-value codecs: each snapshot goes through murmur's own codec, the view both ends
// mix with is what the partner decodes, and a value a cast cannot carry sends that snapshot raw.
#include "tools/sim/snapshot_codec.h"

#include <vector>

#include <gtest/gtest.h>

#include "compression/half_float.h"
#include "runtime/error.h"
#include "runtime/rng.h"

namespace murmur::sim {
namespace {

std::vector<double> randomModel(std::size_t n) {
  runtime::Rng rng(7);
  std::vector<double> x(n);
  for (double& v : x) {
    v = rng.normal() * 0.1;
  }
  return x;
}

TEST(SnapshotCodec, Fp16IsWhatThePartnerDecodesInHalfTheBytes) {
  const std::vector<double> x = randomModel(1000);
  SnapshotCodec codec("fp16");
  SnapshotCodec::Encoded e = codec.encode(x);
  EXPECT_EQ(e.wireBytes, 2000U);
  ASSERT_EQ(e.view->size(), x.size());
  std::size_t rounded = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float f = static_cast<float>(x[i]);
    EXPECT_EQ((*e.view)[i], compression::fp16ToFloat(compression::floatToFp16(f))) << i;
    rounded += (*e.view)[i] != f ? 1 : 0;
  }
  EXPECT_GT(rounded, 900U) << "fp16 keeps 11 bits of a random float's 24";
  EXPECT_EQ(codec.fallbacks(), 0U);
}

TEST(SnapshotCodec, LosslessGivesTheFloatsBackExactly) {
  std::vector<double> x = randomModel(4096);
  for (std::size_t i = 0; i < x.size(); i += 2) {
    x[i] = 0;  // half zeros: something for zstd to find
  }
  SnapshotCodec codec("lossless");
  SnapshotCodec::Encoded e = codec.encode(x);
  EXPECT_LT(e.wireBytes, 4 * x.size() * 3 / 4);
  ASSERT_EQ(e.view->size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ((*e.view)[i], static_cast<double>(static_cast<float>(x[i]))) << i;
  }
}

TEST(SnapshotCodec, AValueBeyondFp16GoesRawAndIsCounted) {
  std::vector<double> x = randomModel(100);
  x[17] = 1e6;
  SnapshotCodec codec("fp16");
  SnapshotCodec::Encoded e = codec.encode(x);
  EXPECT_EQ(e.wireBytes, 400U);
  EXPECT_EQ((*e.view)[17], 1e6);
  EXPECT_EQ(codec.fallbacks(), 1U);
}

TEST(SnapshotCodec, RefusesCodecsThatAreNotPerValue) {
  EXPECT_THROW(SnapshotCodec("lbgm"), runtime::Error);
  EXPECT_THROW(SnapshotCodec("lhc"), runtime::Error);
  EXPECT_THROW(SnapshotCodec("gzip"), runtime::Error);
}

}  // namespace
}  // namespace murmur::sim
