// The LHC segment codec of --sync-codec lhc, between in-memory members: off the binary grid the
// mean is the exact one to within the quantum; a dense change travels dense; corrupt or foreign
// partial sums are refused and never written into the mean.
#include "peer/lhc_ring_codec.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace murmur::peer {
namespace {

constexpr std::size_t kN = 5000;

std::shared_ptr<const std::vector<float>> reference(std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0.0F, 0.1F);
  auto ref = std::make_shared<std::vector<float>>(kN);
  for (float& v : *ref) {
    v = normal(rng);
  }
  return ref;
}

// A member's model: the reference plus a change at 1 % of the positions.
std::vector<float> changed(const std::vector<float>& ref, std::mt19937_64& rng) {
  std::vector<float> x = ref;
  std::normal_distribution<float> normal(0.0F, 0.01F);
  for (int i = 0; i < 50; ++i) {
    x[rng() % kN] += normal(rng);
  }
  return x;
}

TEST(LhcRingCodec, MeanOffTheGridIsExactToTheQuantum) {
  std::mt19937_64 rng(1);
  auto ref = reference(rng);
  runtime::MetricsRegistry metrics;
  std::vector<std::vector<float>> xs;
  std::vector<std::unique_ptr<LhcRingCodec>> codecs;
  for (std::uint32_t rank = 0; rank < 3; ++rank) {
    xs.push_back(changed(*ref, rng));
    // Roomy tables (30 %): this test is about exactness, not about the ~0.2 % of sums whose two
    // positions share all three cells at 5 % (those fail visibly: LhcCodec's own tests).
    codecs.push_back(std::make_unique<LhcRingCodec>(ref, rank, 42, 0.3, metrics));
  }
  std::vector<std::byte> partial;
  for (std::size_t m = 0; m < 3; ++m) {
    ASSERT_TRUE(codecs[m]->add(0, 0, xs[m].data(), kN, partial));
  }
  std::vector<float> mean(kN);
  ASSERT_TRUE(codecs[1]->finish(0, 0, partial, 3, mean.data(), kN)) << metrics.renderPrometheus();
  for (std::size_t i = 0; i < kN; ++i) {
    const double exact = (static_cast<double>(xs[0][i]) + xs[1][i] + xs[2][i]) / 3;
    ASSERT_NEAR(mean[i], exact, 1e-7 * std::max(1.0, std::fabs(exact))) << i;
  }
  std::vector<float> again(kN);
  ASSERT_TRUE(codecs[2]->finish(0, 0, partial, 3, again.data(), kN));
  EXPECT_EQ(std::memcmp(mean.data(), again.data(), kN * sizeof(float)), 0)
      << "every member decodes the same bits";
}

TEST(LhcRingCodec, CorruptOrForeignPartialsAreRefusedAndNothingIsWritten) {
  std::mt19937_64 rng(2);
  auto ref = reference(rng);
  runtime::MetricsRegistry metrics;
  LhcRingCodec a(ref, 0, 42, 0.05, metrics);
  LhcRingCodec b(ref, 1, 42, 0.05, metrics);
  const std::vector<float> xa = changed(*ref, rng);
  const std::vector<float> xb = changed(*ref, rng);
  std::vector<std::byte> partial;
  ASSERT_TRUE(a.add(0, 0, xa.data(), kN, partial));

  std::vector<float> mean(kN, -7.0F);
  std::vector<std::byte> truncated(partial.begin(), partial.end() - 8);
  EXPECT_FALSE(b.add(0, 0, xb.data(), kN, truncated));
  EXPECT_FALSE(b.finish(0, 0, truncated, 2, mean.data(), kN));
  std::vector<std::byte> twice = partial;
  EXPECT_FALSE(a.add(0, 0, xa.data(), kN, twice)) << "contributor 0 counted twice";
  std::vector<std::byte> flipped = partial;
  flipped[flipped.size() - 100] ^= std::byte{0x10};  // a value of the list
  EXPECT_FALSE(b.finish(0, 0, flipped, 1, mean.data(), kN));
  LhcRingCodec otherSeed(ref, 1, 43, 0.05, metrics);
  EXPECT_FALSE(otherSeed.finish(0, 0, partial, 1, mean.data(), kN));
  for (float v : mean) {
    ASSERT_EQ(v, -7.0F) << "a refused sum wrote into the mean";
  }
  EXPECT_GE(metrics.read("lhc_failed_total{reason=\"malformed\"}"), 1.0);
  EXPECT_GE(metrics.read("lhc_failed_total{reason=\"overlapping_contributors\"}"), 1.0);
  EXPECT_GE(metrics.read("lhc_failed_total{reason=\"inconsistent\"}"), 1.0);

  std::vector<float> far = *ref;
  far[9] = 1000.0F;  // beyond the scale's range (4·max|reference|)
  std::vector<std::byte> fresh;
  EXPECT_FALSE(b.add(0, 0, far.data(), kN, fresh));
  EXPECT_GE(metrics.read("lhc_failed_total{reason=\"overflow\"}"), 1.0);
  EXPECT_NE(b.failure().find("segment 0 chunk 0: overflow"), std::string::npos) << b.failure();
}

// A change too dense for the tables is not a failure: from the hop where it would overflow, the
// chunk goes on dense (specs/lhc.md §4's uncompressed resend, taken before a peel can fail).
TEST(LhcRingCodec, ADenseChangeTravelsDenseAndSparseOnesTravelSmall) {
  std::mt19937_64 rng(3);
  auto ref = reference(rng);
  runtime::MetricsRegistry metrics;
  std::vector<std::unique_ptr<LhcRingCodec>> codecs;
  std::vector<std::vector<float>> xs;
  for (std::uint32_t rank = 0; rank < 3; ++rank) {
    codecs.push_back(std::make_unique<LhcRingCodec>(ref, rank, 42, 0.05, metrics));
    xs.push_back(changed(*ref, rng));
  }
  for (float& v : xs[1]) {
    v += 0.001F;  // every position moves
  }
  std::vector<std::byte> partial;
  ASSERT_TRUE(codecs[0]->add(0, 0, xs[0].data(), kN, partial));
  EXPECT_LT(partial.size(), kN * sizeof(float) / 4) << "50 changes travel as a short list";
  ASSERT_TRUE(codecs[1]->add(0, 0, xs[1].data(), kN, partial));
  ASSERT_TRUE(codecs[2]->add(0, 0, xs[2].data(), kN, partial));
  EXPECT_LE(partial.size(), kN * sizeof(float) + 64) << "dense: raw's size";
  std::vector<float> mean(kN);
  ASSERT_TRUE(codecs[0]->finish(0, 0, partial, 3, mean.data(), kN));
  for (std::size_t i = 0; i < kN; ++i) {
    const double exact = (static_cast<double>(xs[0][i]) + xs[1][i] + xs[2][i]) / 3;
    ASSERT_NEAR(mean[i], exact, 1e-6 * std::max(1.0, std::fabs(exact))) << i;
  }
  EXPECT_EQ(metrics.read("lhc_sum_chunks_total{form=\"dense\"}"), 1.0);
  EXPECT_EQ(metrics.read("lhc_failed_total{reason=\"overflow\"}"), 0.0);
}

}  // namespace
}  // namespace murmur::peer
