#include "peer/lr_schedule.h"

#include <gtest/gtest.h>

#include "runtime/error.h"

namespace murmur::peer {
namespace {

TEST(LrSchedule, ConstantIsTheWarmUpThenThePeak) {
  LrScheduleOptions o{LrSchedule::kConstant, 10, 100};
  EXPECT_DOUBLE_EQ(learningRateScale(o, 0, 0), 0.1);
  EXPECT_DOUBLE_EQ(learningRateScale(o, 4, 4), 0.5);
  EXPECT_DOUBLE_EQ(learningRateScale(o, 9, 9), 1.0);
  EXPECT_DOUBLE_EQ(learningRateScale(o, 99, 99), 1.0);
}

TEST(LrSchedule, CosineDecaysFromThePeakAfterTheWarmUpToNearZeroAtTheLastStep) {
  LrScheduleOptions o{LrSchedule::kCosine, 10, 110};
  EXPECT_DOUBLE_EQ(learningRateScale(o, 4, 4), 0.5);  // warming up
  EXPECT_DOUBLE_EQ(learningRateScale(o, 10, 10), 1.0);
  EXPECT_NEAR(learningRateScale(o, 60, 60), 0.5, 1e-12);  // half-way through the decay
  const double last = learningRateScale(o, 109, 109);
  EXPECT_GT(last, 0.0);
  EXPECT_LT(last, 1e-3);
  double previous = 1.0;
  for (std::int64_t step = 10; step < 110; ++step) {
    const double scale = learningRateScale(o, step, step);
    EXPECT_LE(scale, previous) << "step " << step;
    previous = scale;
  }
  EXPECT_DOUBLE_EQ(learningRateScale(o, 500, 500), 0.0);  // past the run: nothing left
}

TEST(LrSchedule, AResumedRunWarmsUpAgainWhereTheCosineLeftOff) {
  LrScheduleOptions o{LrSchedule::kCosine, 10, 110};
  // 60 steps before the restart, 0 by this process: a tenth of the rate at the half-way point.
  EXPECT_NEAR(learningRateScale(o, 60, 0), 0.05, 1e-12);
  EXPECT_NEAR(learningRateScale(o, 69, 9), learningRateScale(o, 69, 69), 1e-12);
}

TEST(LrSchedule, NamesAreCheckedWithTheChoicesInTheMessage) {
  EXPECT_EQ(lrScheduleFromName("cosine"), LrSchedule::kCosine);
  EXPECT_EQ(lrScheduleFromName("constant"), LrSchedule::kConstant);
  try {
    lrScheduleFromName("linear");
    FAIL() << "no error";
  } catch (const runtime::Error& e) {
    EXPECT_NE(std::string(e.what()).find("constant, cosine"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace murmur::peer
