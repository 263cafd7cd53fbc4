// Θ: fixed, or adaptive (rounds shorter than the target raise it, longer ones lower it, by at most
// 4× a round), and the flag's parsing.
#include "sync/fda_threshold.h"

#include <gtest/gtest.h>

namespace murmur::sync {
namespace {

TEST(FdaThreshold, AFixedThetaNeverMoves) {
  FdaThreshold t = FdaThreshold::fixed(1.5);
  t.roundEnded(10, 100.0);
  EXPECT_EQ(t.theta(), 1.5);
  EXPECT_FALSE(t.isAdaptive());
  EXPECT_THROW(FdaThreshold::fixed(0), std::exception);
}

TEST(FdaThreshold, AdaptiveThetaStartsAtTheRuleOfThumbAndAimsAtTheTargetRoundLength) {
  FdaThreshold t = FdaThreshold::adaptive(61706, 200);
  EXPECT_NEAR(t.theta(), 2.4, 0.01);  // LeNet-5: c·d (specs/fda.md §3.1)
  t.roundEnded(100, 2.0);             // half the target length: Θ = (200/100)·2.0
  EXPECT_DOUBLE_EQ(t.theta(), 4.0);
  t.roundEnded(400, 4.4);  // twice the target: Θ = 2.2
  EXPECT_DOUBLE_EQ(t.theta(), 2.2);
  t.roundEnded(1, 1000.0);  // an odd round: clamped to 4×
  EXPECT_DOUBLE_EQ(t.theta(), 8.8);
  t.roundEnded(0, 1.0);  // degenerate: ignored
  EXPECT_DOUBLE_EQ(t.theta(), 8.8);
}

TEST(FdaThreshold, ParsesAutoOrAPositiveNumberAndNamesWhatItRejects) {
  std::string error;
  EXPECT_TRUE(FdaThreshold::parse("auto", 1000, 100, &error)->isAdaptive());
  EXPECT_EQ(FdaThreshold::parse("0.5", 1000, 100, &error)->theta(), 0.5);
  for (const char* bad : {"", "-1", "0", "1.5x", "nan", "inf"}) {
    EXPECT_FALSE(FdaThreshold::parse(bad, 1000, 100, &error).has_value()) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace murmur::sync
