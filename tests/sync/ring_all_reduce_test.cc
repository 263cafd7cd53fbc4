// The FDA sync's ring all-reduce, sans-I/O: K members exchanging chunks through a simulated network
// that delivers in random order end on the same mean, bit for bit; chunks of another epoch or
// attempt, from a non-neighbour, or of the wrong shape are refused.
#include "sync/ring_all_reduce.h"

#include <cstring>
#include <deque>

#include <gtest/gtest.h>

#include "runtime/rng.h"

namespace murmur::sync {
namespace {

using runtime::PeerId;

struct InFlight {
  PeerId from;
  OutgoingChunk out;
};

// Runs K members to completion, delivering in-flight chunks in a random order.
std::vector<RingAllReduce> runRing(const std::vector<std::vector<float>>& values,
                                   std::uint64_t shuffleSeed) {
  std::vector<PeerId> view;
  for (std::uint32_t i = 0; i < values.size(); ++i) {
    view.push_back(PeerId{i * 3 + 1});  // ids need not be dense
  }
  std::vector<RingAllReduce> members;
  std::vector<InFlight> wire;
  for (std::size_t i = 0; i < values.size(); ++i) {
    members.emplace_back(view, view[i], 9, 0, values[i]);
  }
  for (std::size_t i = 0; i < members.size(); ++i) {
    for (OutgoingChunk& c : members[i].start()) {
      wire.push_back({view[i], std::move(c)});
    }
  }
  runtime::Rng rng(shuffleSeed);
  while (!wire.empty()) {
    std::size_t pick = rng.below(wire.size());
    InFlight msg = std::move(wire[pick]);
    wire.erase(wire.begin() + static_cast<std::ptrdiff_t>(pick));
    std::size_t to = (msg.out.to.value - 1) / 3;
    std::vector<OutgoingChunk> next;
    ChunkVerdict v = members[to].onChunk(msg.from, msg.out.chunk, next);
    EXPECT_TRUE(v == ChunkVerdict::kAccepted || v == ChunkVerdict::kHeld);
    for (OutgoingChunk& c : next) {
      wire.push_back({msg.out.to, std::move(c)});
    }
  }
  return members;
}

TEST(RingAllReduce, EveryMemberEndsOnTheSameMeanBitForBit) {
  runtime::Rng rng(1);
  for (std::size_t k : {1U, 2U, 3U, 5U, 8U}) {
    for (std::size_t d : {k, k + 1, std::size_t{1003}}) {
      std::vector<std::vector<float>> values(k, std::vector<float>(d));
      std::vector<double> mean(d, 0.0);
      for (auto& v : values) {
        for (std::size_t i = 0; i < d; ++i) {
          v[i] = static_cast<float>(rng.normal());
          mean[i] += v[i] / static_cast<double>(k);
        }
      }
      std::vector<RingAllReduce> members = runRing(values, k * 100 + d);
      for (const RingAllReduce& m : members) {
        ASSERT_TRUE(m.done()) << "k=" << k << " d=" << d;
        EXPECT_EQ(std::memcmp(m.result().data(), members[0].result().data(), d * sizeof(float)), 0)
            << "k=" << k << " d=" << d << ": results differ between members";
      }
      for (std::size_t i = 0; i < d; ++i) {
        ASSERT_NEAR(members[0].result()[i], mean[i], 1e-5) << "k=" << k << " d=" << d;
      }
    }
  }
}

TEST(RingAllReduce, RefusesChunksOfAnotherRoundAStrangerOrTheWrongShape) {
  std::vector<PeerId> view = {PeerId{0}, PeerId{1}, PeerId{2}};
  RingAllReduce ring(view, PeerId{1}, 4, 2, std::vector<float>(30, 1.0F));
  EXPECT_EQ(ring.predecessor(), PeerId{0});
  EXPECT_EQ(ring.successor(), PeerId{2});
  std::vector<OutgoingChunk> out = ring.start();
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].to, PeerId{2});
  RingChunk good;
  good.epoch = 4;
  good.attempt = 2;
  good.view = viewDigest(view);
  good.segment = 0;  // reduce-scatter step 0: our predecessor's own segment
  good.data.assign(10, 2.0F);
  std::vector<OutgoingChunk> next;
  RingChunk stale = good;
  stale.attempt = 1;
  EXPECT_EQ(ring.onChunk(PeerId{0}, stale, next), ChunkVerdict::kWrongRound);
  stale = good;
  stale.epoch = 3;
  EXPECT_EQ(ring.onChunk(PeerId{0}, stale, next), ChunkVerdict::kWrongRound);
  EXPECT_EQ(ring.onChunk(PeerId{2}, good, next), ChunkVerdict::kNotFromPredecessor);
  RingChunk otherView = good;
  otherView.view = viewDigest({PeerId{0}, PeerId{1}, PeerId{2}, PeerId{3}});
  EXPECT_EQ(ring.onChunk(PeerId{0}, otherView, next), ChunkVerdict::kOtherView);
  EXPECT_NE(viewDigest({PeerId{0}, PeerId{1}, PeerId{2}}),
            viewDigest({PeerId{0}, PeerId{1}, PeerId{3}}));
  RingChunk shape = good;
  shape.data.resize(9);
  EXPECT_EQ(ring.onChunk(PeerId{0}, shape, next), ChunkVerdict::kMalformed);
  RingChunk segment = good;
  segment.segment = 1;
  EXPECT_EQ(ring.onChunk(PeerId{0}, segment, next), ChunkVerdict::kMalformed);
  EXPECT_TRUE(next.empty()) << "a refused chunk must not move the ring";
  EXPECT_EQ(ring.onChunk(PeerId{0}, good, next), ChunkVerdict::kAccepted);
  ASSERT_EQ(next.size(), 1U);
  EXPECT_EQ(next[0].chunk.step, 1U);
  EXPECT_EQ(ring.onChunk(PeerId{0}, good, next), ChunkVerdict::kMalformed) << "a replay";
  EXPECT_THROW(RingAllReduce({PeerId{0}}, PeerId{5}, 0, 0, {1.0F}), std::exception);
}

}  // namespace
}  // namespace murmur::sync
