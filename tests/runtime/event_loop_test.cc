#include <vector>

#include <gtest/gtest.h>

#include "runtime/clock.h"
#include "runtime/error.h"
#include "runtime/manual_event_loop.h"

namespace murmur::runtime {
namespace {

using std::chrono::milliseconds;

TEST(ManualEventLoop, FiresTimersInTimeOrderThenCreationOrder) {
  ManualEventLoop loop;
  std::vector<int> order;
  loop.runAfter(milliseconds(20), [&] { order.push_back(3); });
  loop.runAfter(milliseconds(10), [&] { order.push_back(1); });
  loop.runAfter(milliseconds(10), [&] { order.push_back(2); });
  loop.post([&] { order.push_back(0); });
  EXPECT_EQ(loop.advanceBy(milliseconds(15)), 3U);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  loop.advanceBy(milliseconds(5));
  EXPECT_EQ(order.back(), 3);
  EXPECT_TRUE(loop.idle());
}

TEST(ManualEventLoop, CancelledTimersNeverFireAndTimeIsVirtual) {
  ManualEventLoop loop;
  bool fired = false;
  TimerId id = loop.runAfter(milliseconds(5), [&] { fired = true; });
  loop.cancel(id);
  loop.cancel(id);  // twice is harmless
  loop.advanceBy(std::chrono::hours(1));
  EXPECT_FALSE(fired);
  EXPECT_EQ(loop.now() - TimePoint{}, std::chrono::hours(1));
}

TEST(ManualEventLoop, CallbacksMaySchedule) {
  ManualEventLoop loop;
  int ticks = 0;
  std::function<void()> tick = [&] {
    if (++ticks < 5) {
      loop.runAfter(milliseconds(1), tick);
    }
  };
  loop.post(tick);
  loop.advanceBy(milliseconds(100));
  EXPECT_EQ(ticks, 5);
}

TEST(ManualClock, NeverGoesBackwards) {
  ManualClock clock;
  clock.advanceBy(milliseconds(3));
  EXPECT_EQ(clock.now() - TimePoint{}, milliseconds(3));
  EXPECT_THROW(clock.advanceTo(TimePoint{}), Error);
}

}  // namespace
}  // namespace murmur::runtime
