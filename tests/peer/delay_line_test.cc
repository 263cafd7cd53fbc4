// The transport's latency injection, on a manual clock: hold, release in order, retry what the
// socket refuses, bound the line.
#include "peer/transport/delay_line.h"

#include <gtest/gtest.h>

namespace murmur::peer::transport {
namespace {

using std::chrono::milliseconds;

std::vector<std::byte> tagged(std::uint8_t tag) {
  return std::vector<std::byte>(1, std::byte{tag});
}

TEST(DelayLine, ReleasesEachMessageWhenDueInOrderPerPeer) {
  DelayLine line(milliseconds(100), 8);
  runtime::TimePoint t0{milliseconds(1000)};
  ASSERT_TRUE(line.hold(1, tagged(1), {}, t0));
  ASSERT_TRUE(line.hold(2, tagged(2), {}, t0 + milliseconds(10)));
  ASSERT_TRUE(line.hold(1, tagged(3), {}, t0 + milliseconds(20)));
  EXPECT_EQ(line.nextDue(), t0 + milliseconds(100));
  std::vector<std::pair<std::uint32_t, int>> sent;
  auto record = [&](std::uint32_t to, const DelayedMessage& m) {
    sent.emplace_back(to, static_cast<int>(m.envelope[0]));
    return true;
  };
  line.release(t0 + milliseconds(99), record);
  EXPECT_TRUE(sent.empty()) << "released early";
  line.release(t0 + milliseconds(115), record);
  EXPECT_EQ(sent, (std::vector<std::pair<std::uint32_t, int>>{{1, 1}, {2, 2}}));
  EXPECT_EQ(line.nextDue(), t0 + milliseconds(120));
  line.release(t0 + milliseconds(120), record);
  EXPECT_EQ(sent.back(), (std::pair<std::uint32_t, int>{1, 3}));
  EXPECT_EQ(line.held(), 0U);
  EXPECT_FALSE(line.nextDue().has_value());
}

TEST(DelayLine, ARefusedMessageWaitsAtTheHeadAndIsRetriedNotLost) {
  DelayLine line(milliseconds(10), 8);
  runtime::TimePoint t0{milliseconds(1000)};
  line.hold(1, tagged(1), {}, t0);
  line.hold(1, tagged(2), {}, t0);
  bool up = false;
  std::vector<int> sent;
  auto send = [&](std::uint32_t, const DelayedMessage& m) {
    if (up) {
      sent.push_back(static_cast<int>(m.envelope[0]));
    }
    return up;
  };
  line.release(t0 + milliseconds(20), send);
  EXPECT_EQ(line.held(), 2U);
  ASSERT_TRUE(line.nextDue().has_value());
  EXPECT_GT(*line.nextDue(), t0 + milliseconds(20)) << "a refused head must not spin the poll";
  up = true;
  line.release(*line.nextDue(), send);
  EXPECT_EQ(sent, (std::vector<int>{1, 2}));
}

TEST(DelayLine, AFullLineRefusesAndADroppedPeerIsForgotten) {
  DelayLine line(milliseconds(10), 2);
  runtime::TimePoint t0{milliseconds(1000)};
  EXPECT_TRUE(line.hold(1, tagged(1), {}, t0));
  EXPECT_TRUE(line.hold(1, tagged(2), {}, t0));
  EXPECT_FALSE(line.hold(1, tagged(3), {}, t0));
  EXPECT_TRUE(line.hold(2, tagged(4), {}, t0)) << "lines are per peer";
  line.drop(1);
  EXPECT_EQ(line.held(), 1U);
  EXPECT_THROW(DelayLine(milliseconds(-1), 2), std::exception);
}

}  // namespace
}  // namespace murmur::peer::transport
