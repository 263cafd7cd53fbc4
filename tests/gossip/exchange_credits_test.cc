#include "gossip/exchange_credits.h"

#include <gtest/gtest.h>

namespace murmur::gossip {
namespace {

TEST(ExchangeCredits, MeanCreditsPerStepIsTheRate) {
  for (double rate : {0.5, 1.0, 2.0}) {
    ExchangeCredits credits(CreditOptions{rate, 1e9});
    runtime::Rng rng(42);
    std::uint64_t earned = 0;
    for (int step = 0; step < 10000; ++step) {
      earned += credits.earnForStep(rng);
    }
    EXPECT_NEAR(static_cast<double>(earned) / 10000, rate, 0.05 * rate) << rate;
  }
}

TEST(ExchangeCredits, AcceptsAtZeroCreditStillCount) {
  ExchangeCredits credits(CreditOptions{1.0, 4});
  EXPECT_FALSE(credits.canInitiate());
  credits.spend();  // an accepted exchange at zero credit
  EXPECT_EQ(credits.exchanges(), 1U);
  EXPECT_LT(credits.balance(), 0);
  for (int i = 0; i < 100; ++i) {
    credits.spend();
  }
  EXPECT_EQ(credits.balance(), -4);  // debt is bounded by the cap
}

TEST(ExchangeCredits, ComputeWaitsOnlyAboveTheCap) {
  ExchangeCredits credits(CreditOptions{1.0, 0});  // cap defaults to max(4, 4r)
  runtime::Rng rng(1);
  while (credits.balance() <= 4) {
    EXPECT_FALSE(credits.overCap());
    credits.earnForStep(rng);
  }
  EXPECT_TRUE(credits.overCap());
  EXPECT_GT(credits.dropExcess(), 0);
  EXPECT_FALSE(credits.overCap());
  EXPECT_TRUE(credits.canInitiate());
}

}  // namespace
}  // namespace murmur::gossip
