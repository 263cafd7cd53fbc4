// The A²CiD² claims of specs/a2cid2.md §6 and acceptance test 9, reproduced by murmur-sim with
// the peers' own code on virtual time. Scenario values depend on the RNG; the tests check
// orderings and factors, with margins, averaged over seeds.
#include <gtest/gtest.h>

#include "tests/sim/sim_scenarios.h"
#include "tools/sim/simulation.h"

namespace murmur::sim {
namespace {

using tests::meanDistance;
using tests::scenario;
using tests::variant;

// Spec §6 (a), acceptance 9: on ring-32, A²CiD² at r = 1 ends ≥ 100× below the baseline at r = 2
// (spec: 1.0e-6 against 1.6e-3; measured here 3.6e-6 against 6.8e-3, seed 1).
TEST(Simulation, OnRing32ACiDAtRate1DecaysFarBelowTheBaselineAtRate2) {
  SimOptions o = scenario(32, "ring", "decay", 150, 0);
  double acid = meanDistance(variant(o, true, 1), 2, false);
  double baseline2 = meanDistance(variant(o, false, 2), 2, false);
  double baseline1 = meanDistance(variant(o, false, 1), 2, false);
  EXPECT_LT(acid * 100, baseline2) << acid << " vs " << baseline2;
  EXPECT_LT(baseline2, baseline1);
}

// Spec §6 (b) and issue 8: with slow low-frequency drift, on rings of 16, 32 and 64 A²CiD² at
// r = 1 holds the peers closer than the baseline at r = 2, which beats the baseline at r = 1.
class DriftOnRings : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(DriftOnRings, ACiDAtRate1BeatsTheBaselineAtRate2) {
  SimOptions o = scenario(GetParam(), "ring", "drift", 3000, 500);
  double acid = meanDistance(variant(o, true, 1), 2, true);
  double baseline2 = meanDistance(variant(o, false, 2), 2, true);
  double baseline1 = meanDistance(variant(o, false, 1), 2, true);
  EXPECT_LT(acid, baseline2) << "ring " << GetParam();
  EXPECT_LT(baseline2, baseline1) << "ring " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Rings, DriftOnRings, ::testing::Values(16U, 32U, 64U));

// Spec §6 (c): under white noise the gain vanishes. Measured over 6 seeds on ring-64: A²CiD² r=1
// 13.6, baseline r=1 12.3, baseline r=2 7.2 (spec: 9.62, 9.74, 5.21).
TEST(Simulation, UnderWhiteNoiseTheGainVanishes) {
  SimOptions o = scenario(64, "ring", "noise", 3000, 500);
  double acid = meanDistance(variant(o, true, 1), 6, true);
  double baseline1 = meanDistance(variant(o, false, 1), 6, true);
  double baseline2 = meanDistance(variant(o, false, 2), 6, true);
  EXPECT_NEAR(acid / baseline1, 1.0, 0.3) << acid << " vs " << baseline1;
  EXPECT_GT(acid, baseline2) << "A²CiD² at r = 1 no longer matches r = 2";
}

// Heterogeneous optima are drift by another name: the same ordering shows in the loss.
TEST(Simulation, QuadraticLossFallsAndACiDHoldsItLowest) {
  SimOptions o = scenario(32, "ring", "quadratic", 400, 200);
  SimResult acid = simulate(variant(o, true, 1));
  SimResult baseline2 = simulate(variant(o, false, 2));
  SimResult baseline1 = simulate(variant(o, false, 1));
  ASSERT_TRUE(acid.lossMean && baseline1.lossMean && baseline2.lossMean);
  EXPECT_LT(*acid.lossMean * 10, *acid.samples.front().loss) << "the loss falls from x = 3";
  EXPECT_LT(*acid.lossMean, *baseline2.lossMean);
  EXPECT_LT(*baseline2.lossMean, *baseline1.lossMean);
}

}  // namespace
}  // namespace murmur::sim
