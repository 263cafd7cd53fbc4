// ChunkSummer (specs/lhc.md §8): a growing sum of sparse contributions moves from a list to an LHC
// table to dense as its union grows, always in the smallest form, and finishes to the exact sum;
// a sparse sum finishes to the same bits in any order; bad contributions and malformed sums are
// refused without touching the sum; a table that does not peel names the positions it left.
#include "compression/chunk_sum.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace murmur::compression {
namespace {

constexpr std::uint32_t kD = 20000;
// 30 % of the chunk, cells for 1.3 per position: a table undercuts the list once the union passes
// ~5400 positions (specs/lhc.md §5: with int64 values a list is smaller below that).
constexpr std::uint64_t kCapacity = 6000;

LhcGeometry geometry(std::uint64_t capacity) {
  LhcGeometry g;
  g.runSeed = 0x5EED;
  g.positions = kD;
  g.subtableCells = lhcSubtableCells(capacity, 1.3);
  g.scaleExp = lhcScaleExp(4.0);
  return g;
}

// A contribution with `nnz` nonzeros on the binary grid k·2^−10 (float sums of them are exact).
std::vector<float> contribution(std::uint32_t nnz, std::mt19937_64& rng) {
  std::vector<float> x(kD, 0.0F);
  for (std::uint32_t i = 0; i < nnz; ++i) {
    const auto k = static_cast<int>(rng() % 2001) - 1000;
    x[rng() % kD] = std::ldexp(static_cast<float>(k == 0 ? 1 : k), -10);
  }
  return x;
}

std::vector<float> finished(ChunkSummer& summer, const ChunkSum& sum, double divisor) {
  std::vector<float> reference(kD, 0.5F);
  std::vector<float> out(kD);
  EXPECT_EQ(summer.finish(sum, reference.data(), divisor, out.data()), LhcStatus::kOk);
  return out;
}

TEST(ChunkSum, AGrowingUnionGoesFromListToTableToDenseAndStaysExact) {
  std::mt19937_64 rng(11);
  ChunkSummer summer(geometry(kCapacity), kCapacity);
  ASSERT_LT(summer.tableBytes(), summer.denseBytes());
  ChunkSum sum;
  std::vector<double> exact(kD, 0.0);
  std::vector<SumForm> seen;
  for (std::uint32_t id = 0; id < 60; ++id) {
    const std::vector<float> x = contribution(150, rng);
    ASSERT_EQ(summer.add(x.data(), id, sum), LhcStatus::kOk) << id;
    ASSERT_EQ(summer.validate(sum), LhcStatus::kOk) << id;
    for (std::uint32_t p = 0; p < kD; ++p) {
      exact[p] += x[p];
    }
    if (seen.empty() || seen.back() != sum.form) {
      seen.push_back(sum.form);
    }
    // The smallest form that can hold the sum: a list while cheaper than dense, and than the
    // table while the union fits it.
    if (sum.form == SumForm::kList) {
      const std::size_t n = sum.positions.size();
      EXPECT_LE(summer.listBytes(n), summer.denseBytes()) << id;
      EXPECT_TRUE(n > kCapacity || summer.listBytes(n) <= summer.tableBytes()) << id;
    }
    if (sum.form == SumForm::kTable) {
      EXPECT_LE(sum.table.nnzUpper, kCapacity) << id << ": a table beyond its capacity";
    }
    const std::vector<float> out = finished(summer, sum, id + 1.0);
    for (std::uint32_t p = 0; p < kD; ++p) {
      ASSERT_EQ(out[p], static_cast<float>(0.5 + exact[p] / (id + 1.0)))
          << "contributor " << id << " position " << p << " form " << sumFormName(sum.form);
    }
  }
  // Past the table's capacity it is decoded, and the exact union goes on as a list until dense is
  // smaller.
  EXPECT_EQ(
      seen,
      (std::vector<SumForm>{SumForm::kList, SumForm::kTable, SumForm::kList, SumForm::kDense}));
  EXPECT_EQ(sum.contributors.size(), 60U);
}

TEST(ChunkSum, ASparseSumFinishesToTheSameBitsInAnyOrder) {
  std::mt19937_64 rng(12);
  std::vector<std::vector<float>> xs;
  for (int w = 0; w < 8; ++w) {
    std::vector<float> x = contribution(100, rng);
    for (float& v : x) {
      v *= 1.0F + 1e-3F * static_cast<float>(w);  // off the grid: only the integers are exact
    }
    xs.push_back(x);
  }
  std::vector<float> first;
  std::vector<std::uint32_t> order(xs.size());
  std::iota(order.begin(), order.end(), 0);
  for (int trial = 0; trial < 6; ++trial) {
    std::shuffle(order.begin(), order.end(), rng);
    ChunkSummer summer(geometry(kCapacity), kCapacity);
    ChunkSum sum;
    for (std::uint32_t w : order) {
      ASSERT_EQ(summer.add(xs[w].data(), w, sum), LhcStatus::kOk);
    }
    ASSERT_NE(sum.form, SumForm::kDense);
    const std::vector<float> out = finished(summer, sum, 8);
    if (first.empty()) {
      first = out;
    }
    EXPECT_EQ(std::memcmp(out.data(), first.data(), kD * sizeof(float)), 0) << "trial " << trial;
  }
}

TEST(ChunkSum, BadContributionsAreRefusedAndLeaveTheSumAsItWas) {
  std::mt19937_64 rng(13);
  ChunkSummer summer(geometry(kCapacity), kCapacity);
  ChunkSum sum;
  const std::vector<float> x = contribution(50, rng);
  ASSERT_EQ(summer.add(x.data(), 3, sum), LhcStatus::kOk);
  const ChunkSum before = sum;
  EXPECT_EQ(summer.add(x.data(), 3, sum), LhcStatus::kOverlap);
  std::vector<float> bad = contribution(50, rng);
  bad[7] = std::nanf("");
  EXPECT_EQ(summer.add(bad.data(), 4, sum), LhcStatus::kNonFinite);
  bad[7] = 1e6F;  // beyond the scale's range of 4
  EXPECT_EQ(summer.add(bad.data(), 4, sum), LhcStatus::kOverflow);
  EXPECT_EQ(sum.contributors, before.contributors);
  EXPECT_EQ(sum.positions, before.positions);
  EXPECT_EQ(sum.values, before.values);
}

TEST(ChunkSum, MalformedSumsDoNotValidate) {
  std::mt19937_64 rng(14);
  ChunkSummer summer(geometry(kCapacity), kCapacity);
  ChunkSum sum;
  const std::vector<float> x = contribution(50, rng);
  ASSERT_EQ(summer.add(x.data(), 0, sum), LhcStatus::kOk);
  ASSERT_EQ(sum.form, SumForm::kList);
  ASSERT_EQ(summer.validate(sum), LhcStatus::kOk);
  auto refused = [&](auto&& corrupt) {
    ChunkSum bad = sum;
    corrupt(bad);
    return summer.validate(bad) != LhcStatus::kOk;
  };
  EXPECT_TRUE(refused([](ChunkSum& s) { std::swap(s.positions[0], s.positions[1]); }));
  EXPECT_TRUE(refused([](ChunkSum& s) { s.values[2] = 0; }));
  EXPECT_TRUE(refused([](ChunkSum& s) { s.positions.back() = kD; }));
  EXPECT_TRUE(refused([](ChunkSum& s) { s.values.pop_back(); }));
  EXPECT_TRUE(refused([](ChunkSum& s) { s.contributors.clear(); }));
  EXPECT_TRUE(refused([](ChunkSum& s) { s.contributors = {2, 1}; }));
  EXPECT_TRUE(refused([](ChunkSum& s) {
    s.form = SumForm::kDense;
    s.dense.assign(kD, 0.0F);
    s.dense[5] = std::numeric_limits<float>::infinity();
  }));
  EXPECT_TRUE(refused([](ChunkSum& s) {
    s.form = SumForm::kDense;
    s.dense.assign(kD - 1, 0.0F);
  }));
  // A value changed on the way passes validation (it is well formed) but not the checksum.
  ChunkSum changed = sum;
  changed.values[3] += 1;
  std::vector<float> reference(kD, 0.0F);
  std::vector<float> out(kD, -7.0F);
  EXPECT_EQ(summer.finish(changed, reference.data(), 1, out.data()), LhcStatus::kInconsistent);
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](float v) { return v == -7.0F; }));
}

// Two positions that share all three cells cannot be peeled (specs/lhc.md §4's floor): a table
// holding both fails visibly, names them, and writes nothing.
TEST(ChunkSum, ATableThatDoesNotPeelNamesThePositionsAndWritesNothing) {
  constexpr std::uint64_t kSmall = 200;
  ChunkSummer summer(geometry(kSmall), kSmall);
  const LhcCodec& codec = summer.codec();
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  std::map<std::array<std::uint32_t, 3>, std::uint32_t> seen;
  for (std::uint32_t p = 0; p < kD && a == b; ++p) {
    const std::array<std::uint32_t, 3> cells{codec.cell(0, p), codec.cell(1, p), codec.cell(2, p)};
    const auto [it, fresh] = seen.emplace(cells, p);
    if (!fresh) {
      a = it->second;
      b = p;
    }
  }
  ASSERT_NE(a, b) << "no pair of positions shares all three cells";
  std::vector<float> x(kD, 0.0F);
  x[a] = 1.0F;
  x[b] = 2.0F;
  x[(b + 1) % kD] = 0.5F;
  ChunkSum sum;
  sum.form = SumForm::kTable;
  sum.contributors = {0};
  ASSERT_EQ(codec.encode(x.data(), 0, sum.table), LhcStatus::kOk);
  ASSERT_EQ(summer.validate(sum), LhcStatus::kOk);
  std::vector<float> reference(kD, 0.0F);
  std::vector<float> out(kD, -7.0F);
  EXPECT_EQ(summer.finish(sum, reference.data(), 1, out.data()), LhcStatus::kStalled);
  EXPECT_EQ(summer.unresolved(), (std::vector<std::uint32_t>{std::min(a, b), std::max(a, b)}));
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](float v) { return v == -7.0F; }));
}

}  // namespace
}  // namespace murmur::compression
