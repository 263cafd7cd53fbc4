#include "gossip/liveness.h"

#include <gtest/gtest.h>

namespace murmur::gossip {
namespace {

using std::chrono::seconds;

TEST(PeerLiveness, SilenceMakesAPeerDeadAndAMessageRevivesIt) {
  runtime::TimePoint t0{};
  PeerLiveness live(3, runtime::PeerId{0}, t0, LivenessOptions{seconds(3), seconds(10), 2});
  EXPECT_EQ(live.health(runtime::PeerId{1}, t0), PeerHealth::kSuspect);  // never heard yet
  live.heard(runtime::PeerId{1}, t0 + seconds(1));
  EXPECT_TRUE(live.usable(runtime::PeerId{1}, t0 + seconds(2)));
  EXPECT_EQ(live.health(runtime::PeerId{1}, t0 + seconds(5)), PeerHealth::kDead);
  live.heard(runtime::PeerId{1}, t0 + seconds(6));
  EXPECT_TRUE(live.usable(runtime::PeerId{1}, t0 + seconds(6)));
  EXPECT_EQ(live.health(runtime::PeerId{2}, t0 + seconds(11)), PeerHealth::kDead);
  EXPECT_TRUE(live.usable(runtime::PeerId{0}, t0 + seconds(100)));  // self
}

TEST(PeerLiveness, RepeatedTimeoutsMakeAPeerSuspectUntilHeard) {
  runtime::TimePoint t0{};
  PeerLiveness live(2, runtime::PeerId{0}, t0, LivenessOptions{seconds(3), seconds(10), 2});
  live.heard(runtime::PeerId{1}, t0);
  live.failed(runtime::PeerId{1});
  EXPECT_TRUE(live.usable(runtime::PeerId{1}, t0));
  live.failed(runtime::PeerId{1});
  EXPECT_EQ(live.health(runtime::PeerId{1}, t0), PeerHealth::kSuspect);
  live.heard(runtime::PeerId{1}, t0 + seconds(1));
  EXPECT_TRUE(live.usable(runtime::PeerId{1}, t0 + seconds(1)));
}

}  // namespace
}  // namespace murmur::gossip
