// specs/a2cid2.md acceptance tests 2, 3 and 8: graph constants.
#include "momentum/acid_constants.h"

#include <cmath>

#include <gtest/gtest.h>

#include "gossip/topology.h"
#include "runtime/error.h"

namespace murmur::momentum {
namespace {

// The lists gossip/ actually samples (spec §4.2: the constants must come from them), so the
// table below checks gossip's conventions as well as the formulas.
NeighbourLists ring(std::uint32_t n) {
  return gossip::ringTopology(n);
}

NeighbourLists exponential(std::uint32_t n) {
  return gossip::exponentialTopology(n);
}

NeighbourLists complete(std::uint32_t n) {
  return gossip::completeTopology(n);
}

// 4 significant digits.
// 4 significant digits, or half a unit of the 4th decimal where the table prints fewer digits.
void expectClose4(double actual, double expected, const char* what) {
  EXPECT_NEAR(actual, expected, std::max(5e-4 * std::abs(expected), 5e-5)) << what;
}

struct Row {
  const char* graph;
  std::uint32_t n;
  double rate;
  double chi1;
  double chi2;
  double eta;
  double alphaTilde;
};

// specs/a2cid2.md §4.3.
const Row kTable[] = {
    {"ring", 8, 1, 3.4142, 0.8750, 0.2893, 0.9877},
    {"ring", 8, 2, 1.7071, 0.4375, 0.5786, 0.9877},
    {"ring", 16, 1, 13.137, 0.9375, 0.1425, 1.8717},
    {"ring", 32, 1, 52.043, 0.9688, 0.0704, 3.6648},
    {"ring", 64, 1, 207.67, 0.9844, 0.0350, 7.2624},
    {"ring", 64, 2, 103.84, 0.4922, 0.0699, 7.2624},
    {"exponential", 8, 1, 1.5000, 0.9637, 0.4159, 0.6238},
    {"exponential", 16, 1, 2.0000, 1.0097, 0.3519, 0.7037},
    {"exponential", 32, 1, 2.5000, 1.0229, 0.3127, 0.7817},
    {"exponential", 64, 1, 3.0000, 1.0241, 0.2853, 0.8558},
};

NeighbourLists listsFor(const Row& row) {
  return std::string(row.graph) == "ring" ? ring(row.n) : exponential(row.n);
}

TEST(AcidConstants, Ring64MatchesTheReferenceConstants) {
  AcidConstants c = computeAcidConstants(ring(64), 1.0);
  EXPECT_NEAR(c.eta, 0.034970, 1e-6);
  EXPECT_NEAR(c.alphaTilde, 7.262385, 1e-6);
  AcidConstants c32 = computeAcidConstants(ring(32), 1.0);
  EXPECT_NEAR(c32.eta, 0.070418, 1e-6);
  EXPECT_NEAR(c32.alphaTilde, 3.664773, 1e-6);
}

// Every row of the table from one way of computing the constants.
void expectTable(AcidConstants (*compute)(const NeighbourLists&, double)) {
  for (const Row& row : kTable) {
    SCOPED_TRACE(std::string(row.graph) + " " + std::to_string(row.n) +
                 " r=" + std::to_string(row.rate));
    AcidConstants c = compute(listsFor(row), row.rate);
    expectClose4(c.chi1, row.chi1, "chi1");
    expectClose4(c.chi2, row.chi2, "chi2");
    expectClose4(c.eta, row.eta, "eta");
    expectClose4(c.alphaTilde, row.alphaTilde, "alphaTilde");
  }
}

TEST(AcidConstants, TableRowsFromTheCirculantPath) {
  expectTable(computeAcidConstantsCirculant);
}

TEST(AcidConstants, TableRowsFromTheDenseJacobiPath) {
  expectTable(computeAcidConstantsDense);
}

TEST(AcidConstants, RingClosedFormsAgree) {
  constexpr double kPi = 3.14159265358979323846;
  for (std::uint32_t n : {5U, 8U, 16U, 33U, 64U}) {
    for (double r : {0.5, 1.0, 2.0}) {
      AcidConstants c = computeAcidConstants(ring(n), r);
      EXPECT_NEAR(c.chi1, 1.0 / (r * (1 - std::cos(2 * kPi / n))), 1e-9 * c.chi1) << n;
      EXPECT_NEAR(c.chi2, (n - 1.0) / (n * r), 1e-9) << n;
    }
  }
}

TEST(AcidConstants, AlphaTildeIgnoresTheRateAndEtaScalesWithIt) {
  for (const NeighbourLists& lists : {ring(16), exponential(16)}) {
    AcidConstants one = computeAcidConstants(lists, 1.0);
    AcidConstants two = computeAcidConstants(lists, 2.0);
    EXPECT_NEAR(two.alphaTilde, one.alphaTilde, 1e-12);
    EXPECT_NEAR(two.eta, 2 * one.eta, 1e-12);
  }
}

TEST(AcidConstants, CompleteGraphIsExactlyTheBaseline) {
  for (std::uint32_t n : {2U, 4U, 7U, 16U}) {
    AcidConstants c = computeAcidConstants(complete(n), 1.0);
    EXPECT_EQ(c.alphaTilde, 0.5) << n;
    EXPECT_TRUE(c.equalsBaseline);
    EXPECT_NEAR(c.eta, n / (2.0 * (n - 1)), 1e-9);
    EXPECT_NEAR(computeAcidConstantsDense(complete(n), 1.0).alphaTilde, 0.5, 1e-12);
  }
}

TEST(AcidConstants, ExponentialListsTheAntipodeTwice) {
  NeighbourLists lists = exponential(8);
  for (std::uint32_t i = 0; i < 8; ++i) {
    ASSERT_EQ(lists[i].size(), 6U);
    EXPECT_EQ(std::count(lists[i].begin(), lists[i].end(), (i + 4) % 8), 2);
  }
  AcidConstants c = computeAcidConstants(lists, 1.0);
  expectClose4(c.eta, 0.4159, "eta");
  expectClose4(c.alphaTilde, 0.6238, "alphaTilde");
}

TEST(AcidConstants, IrregularGraphUsesTheDensePath) {
  // A path graph 0-1-2-3: not circulant; χ₂ ≤ χ₁ and α̃ > ½.
  NeighbourLists path = {{1}, {0, 2}, {1, 3}, {2}};
  AcidConstants c = computeAcidConstants(path, 1.0);
  EXPECT_LE(c.chi2, c.chi1);
  EXPECT_GT(c.alphaTilde, 0.5);
  EXPECT_THROW(computeAcidConstantsCirculant(path, 1.0), runtime::Error);
}

TEST(AcidConstants, RejectsBadGraphs) {
  EXPECT_THROW(computeAcidConstants({{}}, 1.0), runtime::Error);
  EXPECT_THROW(computeAcidConstants(ring(4), 0.0), runtime::Error);
  EXPECT_THROW(computeAcidConstants({{1}, {0}, {3}, {2}}, 1.0), runtime::Error);  // disconnected
  EXPECT_THROW(computeAcidConstants({{0}, {0}}, 1.0), runtime::Error);            // self-loop
  EXPECT_THROW(computeAcidConstants({{5}, {0}}, 1.0), runtime::Error);            // out of range
}

TEST(AcidConstants, MixingFractionIsStableAndClamped) {
  EXPECT_EQ(mixingFraction(0.3, -1.0), 0.0);
  EXPECT_EQ(mixingFraction(0.3, 0.0), 0.0);
  EXPECT_NEAR(mixingFraction(0.034970, 1.0), 0.033775, 1e-6);
  EXPECT_LT(mixingFraction(10.0, 1e6), 0.5 + 1e-15);
  EXPECT_NEAR(mixingFraction(1e-12, 1.0), 1e-12, 1e-20);  // expm1 keeps tiny values exact
}

}  // namespace
}  // namespace murmur::momentum
