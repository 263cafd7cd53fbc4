// The ring all-reduce of an FDA sync (specs/fda.md §4.3), sans-I/O: the K members of an agreed
// view (ordered by id) average a d-vector in 2(K−1) steps, each moving one of K segments to the
// next member of the ring: K−1 reduce-scatter steps (receive, add), then K−1 all-gather steps
// (receive, copy). Every segment's sum is accumulated in one fixed order along the ring and then
// only copied, so the mean is bit-identical on every member. Chunks carry (epoch, attempt): a
// member that fails makes the caller abort and retry with a smaller view as the next attempt, and
// chunks of another epoch or attempt are refused. Chunks that arrive early are held.
// Thread: one owner.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/ids.h"
#include "sync/ring_segment_codec.h"

namespace murmur::sync {

enum class RingPhase : std::uint8_t { kReduceScatter, kAllGather };

// A digest of a (sorted) view: chunks carry it, so that a ring built on another view is noticed.
std::uint64_t viewDigest(const std::vector<runtime::PeerId>& view);

struct RingChunk {
  std::uint64_t epoch = 0;
  std::uint32_t attempt = 0;
  std::uint64_t view = 0;  // viewDigest of the sender's view
  RingPhase phase = RingPhase::kReduceScatter;
  std::uint32_t step = 0;          // 0 .. K−2 within the phase
  std::uint32_t segment = 0;       // which of the K segments
  std::vector<float> data;         // the segment's values (rings without a segment codec)
  std::vector<std::byte> encoded;  // its encoded sum (rings with one)
};

struct OutgoingChunk {
  runtime::PeerId to;
  RingChunk chunk;
};

enum class ChunkVerdict : std::uint8_t {
  kAccepted,
  kHeld,                // early: kept until its turn
  kWrongRound,          // another epoch or attempt
  kOtherView,           // the sender's ring is built on another view: retry the sync
  kNotFromPredecessor,  // only our predecessor sends to us
  kMalformed,           // wrong segment or size, or a replay
  kCodecFailed,         // the segment codec could not add or decode it: retry without the codec
};

class RingAllReduce {
 public:
  // `view` holds every member once, ourselves included; it is sorted here. `values` is our vector.
  // `digest` names the view on the wire (default: viewDigest(view)); give one when the ids are
  // local ranks and the members' names are what identifies the view. With a `codec`, chunks carry
  // encoded sums instead of floats (every member of the ring must use the same codec: a chunk of
  // the other kind is kOtherView).
  RingAllReduce(std::vector<runtime::PeerId> view,
                runtime::PeerId self,
                std::uint64_t epoch,
                std::uint32_t attempt,
                std::vector<float> values,
                std::optional<std::uint64_t> digest = std::nullopt,
                std::unique_ptr<RingSegmentCodec> codec = nullptr);

  // The first chunk to send (none when we are alone, or when the codec failed: see failed()).
  std::vector<OutgoingChunk> start();

  // The segment codec could not carry this sync (kCodecFailed, or start()): retry without it.
  bool failed() const { return failed_; }

  // What the codec said of its failure ("" when it said nothing).
  std::string codecFailure() const { return codec_ ? codec_->failure() : std::string(); }

  bool encoded() const { return codec_ != nullptr; }

  // A chunk from `from`. Appends what to send next to `out`.
  ChunkVerdict onChunk(runtime::PeerId from,
                       const RingChunk& chunk,
                       std::vector<OutgoingChunk>& out);

  bool done() const { return done_; }

  // The mean over the view (valid once done()).
  const std::vector<float>& result() const { return values_; }

  const std::vector<runtime::PeerId>& view() const { return view_; }

  std::uint64_t digest() const { return digest_; }

  std::uint64_t epoch() const { return epoch_; }

  std::uint32_t attempt() const { return attempt_; }

  runtime::PeerId successor() const { return view_[(position_ + 1) % view_.size()]; }

  runtime::PeerId predecessor() const {
    return view_[(position_ + view_.size() - 1) % view_.size()];
  }

 private:
  std::pair<std::size_t, std::size_t> bounds(std::uint32_t segment) const;
  OutgoingChunk chunkFor(RingPhase phase, std::uint32_t step, std::uint32_t segment) const;
  OutgoingChunk encodedChunk(RingPhase phase,
                             std::uint32_t step,
                             std::uint32_t segment,
                             std::vector<std::byte> bytes) const;
  void absorb(const RingChunk& chunk, std::vector<OutgoingChunk>& out);
  bool absorbEncoded(const RingChunk& chunk, std::vector<OutgoingChunk>& out);

  std::vector<runtime::PeerId> view_;
  std::size_t position_ = 0;
  std::uint64_t epoch_;
  std::uint32_t attempt_;
  std::uint64_t digest_;
  std::vector<float> values_;
  RingPhase phase_ = RingPhase::kReduceScatter;
  std::uint32_t step_ = 0;  // the next step we expect to receive
  bool done_ = false;
  std::map<std::pair<RingPhase, std::uint32_t>, RingChunk> early_;
  std::unique_ptr<RingSegmentCodec> codec_;
  bool failed_ = false;
};

}  // namespace murmur::sync
