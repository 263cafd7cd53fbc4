// The FDA sync's ring all-reduce, sans-I/O: K members exchanging chunks through a simulated network
// that delivers in random order end on the same mean, bit for bit; chunks of another epoch or
// attempt, from a non-neighbour, or of the wrong shape are refused.
#include "sync/ring_all_reduce.h"

#include <cstring>
#include <deque>
#include <memory>

#include <gtest/gtest.h>

#include "runtime/rng.h"

namespace murmur::sync {
namespace {

using runtime::PeerId;

struct InFlight {
  PeerId from;
  OutgoingChunk out;
};

// A segment codec that carries float32 sums as bytes, adding in the ring's own order: a ring with
// it must end on exactly the plain ring's mean. `failAt`: the member whose adds fail.
class FloatBytesCodec final : public RingSegmentCodec {
 public:
  explicit FloatBytesCodec(bool fail = false) : fail_(fail) {}

  bool add(std::uint32_t /*segment*/,
           std::size_t /*offset*/,
           const float* values,
           std::size_t n,
           std::vector<std::byte>& partial) override {
    if (fail_) {
      return false;
    }
    std::vector<float> sum(values, values + n);
    if (!partial.empty()) {
      const auto* in = reinterpret_cast<const float*>(partial.data());
      for (std::size_t i = 0; i < n; ++i) {
        sum[i] += in[i];  // the plain ring's order: ours += incoming
      }
    }
    partial.resize(n * sizeof(float));
    std::memcpy(partial.data(), sum.data(), partial.size());
    return true;
  }

  bool finish(std::uint32_t /*segment*/,
              std::size_t /*offset*/,
              const std::vector<std::byte>& sum,
              std::size_t members,
              float* mean,
              std::size_t n) override {
    if (sum.size() != n * sizeof(float)) {
      return false;
    }
    const auto* in = reinterpret_cast<const float*>(sum.data());
    for (std::size_t i = 0; i < n; ++i) {
      mean[i] = in[i] / static_cast<float>(members);
    }
    return true;
  }

 private:
  bool fail_;
};

// Runs K members to completion, delivering in-flight chunks in a random order; with
// `encodedFailAt` ≥ 0 the members carry FloatBytesCodec and that member's adds fail.
std::vector<RingAllReduce> runRing(const std::vector<std::vector<float>>& values,
                                   std::uint64_t shuffleSeed,
                                   bool encoded = false,
                                   int failAt = -1) {
  std::vector<PeerId> view;
  for (std::uint32_t i = 0; i < values.size(); ++i) {
    view.push_back(PeerId{i * 3 + 1});  // ids need not be dense
  }
  std::vector<RingAllReduce> members;
  std::vector<InFlight> wire;
  for (std::size_t i = 0; i < values.size(); ++i) {
    members.emplace_back(
        view,
        view[i],
        9,
        0,
        values[i],
        std::nullopt,
        encoded ? std::make_unique<FloatBytesCodec>(static_cast<int>(i) == failAt) : nullptr);
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
    EXPECT_TRUE(v == ChunkVerdict::kAccepted || v == ChunkVerdict::kHeld ||
                (failAt >= 0 && (v == ChunkVerdict::kCodecFailed ||
                                 v == ChunkVerdict::kMalformed)));  // sent to the failed one
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

// A segment codec changes what travels, not the result; a codec that cannot carry the sync stops
// the ring where it fails (the caller retries without it), and a chunk of the other kind is a
// ring built differently.
TEST(RingAllReduce, EncodedSegmentsGiveThePlainRingsMeanOrFailVisibly) {
  runtime::Rng rng(3);
  for (std::size_t k : {2U, 3U, 5U}) {
    std::vector<std::vector<float>> values(k, std::vector<float>(101));
    for (auto& v : values) {
      for (float& x : v) {
        x = static_cast<float>(rng.normal());
      }
    }
    std::vector<RingAllReduce> plain = runRing(values, 7);
    std::vector<RingAllReduce> encoded = runRing(values, 8, true);
    for (const RingAllReduce& m : encoded) {
      ASSERT_TRUE(m.done() && !m.failed());
      EXPECT_EQ(std::memcmp(m.result().data(), plain[0].result().data(), 101 * sizeof(float)), 0)
          << "k=" << k;
    }
    std::vector<RingAllReduce> failing = runRing(values, 9, true, 1);
    EXPECT_TRUE(failing[1].failed());
    for (const RingAllReduce& m : failing) {
      EXPECT_FALSE(m.done()) << "no member completes a sync a member could not carry";
    }
  }
  std::vector<PeerId> view = {PeerId{0}, PeerId{1}};
  RingAllReduce ring(view,
                     PeerId{1},
                     2,
                     0,
                     std::vector<float>(4, 1.0F),
                     std::nullopt,
                     std::make_unique<FloatBytesCodec>());
  RingChunk plainChunk;
  plainChunk.epoch = 2;
  plainChunk.view = viewDigest(view);
  plainChunk.segment = 0;
  plainChunk.data.assign(2, 1.0F);
  std::vector<OutgoingChunk> next;
  EXPECT_EQ(ring.onChunk(PeerId{0}, plainChunk, next), ChunkVerdict::kOtherView);
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
