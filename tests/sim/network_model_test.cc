// The simulator's network model: uplink serialization, latency, and loss as TCP resends.
#include "tools/sim/network_model.h"

#include <gtest/gtest.h>

#include "runtime/error.h"

namespace murmur::sim {
namespace {

using runtime::TimePoint;
using std::chrono::milliseconds;

TEST(NetworkModel, MessagesLeaveOneAfterAnotherAtTheUplinkRate) {
  LinkModel link;
  link.latency = milliseconds(5);
  link.bandwidthBytesPerSecond = 1e6;  // 1 MB/s: 1000 bytes take 1 ms
  NetworkModel net(2, link, {1.0, 0.5});
  runtime::Rng rng(1);
  TimePoint t0{};
  EXPECT_EQ(net.deliveryTime(0, 1, 1000, t0, rng), t0 + milliseconds(6));
  // The second message waits for the first to leave.
  EXPECT_EQ(net.deliveryTime(0, 1, 1000, t0, rng), t0 + milliseconds(7));
  // Peer 1's uplink is half as fast, and its own: it does not queue behind peer 0.
  EXPECT_EQ(net.deliveryTime(1, 0, 1000, t0, rng), t0 + milliseconds(7));
  EXPECT_EQ(net.bytesSent(), 3000U);
  EXPECT_EQ(net.bytesSentBy(0), 2000U);
}

TEST(NetworkModel, LossDelaysByDoublingTimeoutsAndLosesNothing) {
  LinkModel link;
  link.latency = milliseconds(0);
  link.loss = 0.5;
  NetworkModel net(2, link, {});
  runtime::Rng rng(7);
  const int messages = 4000;
  double delaySeconds = 0;
  for (int i = 0; i < messages; ++i) {
    // Sent far apart, so in-order delivery never adds to a delay.
    TimePoint sent = TimePoint{} + std::chrono::hours(i);
    runtime::Duration d = net.deliveryTime(0, 1, 10, sent, rng) - sent;
    // Every delay is a sum of 200·2^k ms for k = 0, 1, ...: 0, 200, 600, 1400, ...
    auto ms = std::chrono::duration_cast<milliseconds>(d).count();
    EXPECT_EQ((ms + 200) % 200, 0) << ms;
    EXPECT_EQ(((ms + 200) / 200) & ((ms + 200) / 200 - 1), 0) << ms << " is not 200·(2^k − 1)";
    delaySeconds += runtime::toSeconds(d);
  }
  // At 50 % loss a message is resent once on average.
  EXPECT_NEAR(static_cast<double>(net.retransmissions()) / messages, 1.0, 0.1);
  EXPECT_GT(delaySeconds, 0);
}

// TCP: a message held up by a resend holds up what follows it on the same connection.
TEST(NetworkModel, AConnectionDeliversInOrder) {
  LinkModel link;
  link.latency = milliseconds(1);
  link.loss = 0.3;
  NetworkModel net(3, link, {});
  runtime::Rng rng(3);
  TimePoint previous{};
  for (int i = 0; i < 1000; ++i) {
    TimePoint now = TimePoint{} + milliseconds(i);
    TimePoint arrival = net.deliveryTime(0, 1, 10, now, rng);
    EXPECT_GE(arrival, previous) << i;
    previous = arrival;
  }
  EXPECT_GT(net.retransmissions(), 100U);
}

TEST(NetworkModel, RefusesImpossibleLinks) {
  LinkModel lossy;
  lossy.loss = 1.0;
  EXPECT_THROW(NetworkModel(2, lossy, {}), runtime::Error);
  EXPECT_THROW(NetworkModel(3, LinkModel{}, {1.0}), runtime::Error);
}

}  // namespace
}  // namespace murmur::sim
