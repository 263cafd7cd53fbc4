#include "sync/ring_all_reduce.h"

#include <algorithm>
#include <string>

#include "runtime/error.h"
#include "runtime/rng.h"

namespace murmur::sync {

std::uint64_t viewDigest(const std::vector<runtime::PeerId>& view) {
  std::string bytes;
  for (runtime::PeerId id : view) {
    for (int shift = 0; shift < 32; shift += 8) {
      bytes.push_back(static_cast<char>((id.value >> shift) & 0xFF));
    }
  }
  return runtime::stableHash(bytes);
}

RingAllReduce::RingAllReduce(std::vector<runtime::PeerId> view,
                             runtime::PeerId self,
                             std::uint64_t epoch,
                             std::uint32_t attempt,
                             std::vector<float> values,
                             std::optional<std::uint64_t> digest,
                             std::unique_ptr<RingSegmentCodec> codec)
    : view_(std::move(view)),
      epoch_(epoch),
      attempt_(attempt),
      values_(std::move(values)),
      codec_(std::move(codec)) {
  std::sort(view_.begin(), view_.end());
  MURMUR_REQUIRE(std::adjacent_find(view_.begin(), view_.end()) == view_.end(),
                 "a ring view holds a member twice");
  auto at = std::find(view_.begin(), view_.end(), self);
  MURMUR_REQUIRE(at != view_.end(), "a ring view must hold ourselves");
  position_ = static_cast<std::size_t>(at - view_.begin());
  digest_ = digest ? *digest : viewDigest(view_);
  MURMUR_REQUIRE(values_.size() >= view_.size(), "fewer values than ring members");
  done_ = view_.size() == 1;
}

std::pair<std::size_t, std::size_t> RingAllReduce::bounds(std::uint32_t segment) const {
  const std::size_t k = view_.size();
  const std::size_t d = values_.size();
  return {d * segment / k, d * (segment + 1) / k};
}

OutgoingChunk RingAllReduce::chunkFor(RingPhase phase,
                                      std::uint32_t step,
                                      std::uint32_t segment) const {
  auto [begin, end] = bounds(segment);
  OutgoingChunk out;
  out.to = successor();
  out.chunk.epoch = epoch_;
  out.chunk.attempt = attempt_;
  out.chunk.view = digest_;
  out.chunk.phase = phase;
  out.chunk.step = step;
  out.chunk.segment = segment;
  out.chunk.data.assign(values_.begin() + static_cast<std::ptrdiff_t>(begin),
                        values_.begin() + static_cast<std::ptrdiff_t>(end));
  return out;
}

OutgoingChunk RingAllReduce::encodedChunk(RingPhase phase,
                                          std::uint32_t step,
                                          std::uint32_t segment,
                                          std::vector<std::byte> bytes) const {
  OutgoingChunk out = chunkFor(phase, step, segment);
  out.chunk.data.clear();
  out.chunk.encoded = std::move(bytes);
  return out;
}

std::vector<OutgoingChunk> RingAllReduce::start() {
  if (done_) {
    return {};
  }
  // Reduce-scatter step 0: we send our own segment, numbered by our position.
  const auto segment = static_cast<std::uint32_t>(position_);
  if (!codec_) {
    return {chunkFor(RingPhase::kReduceScatter, 0, segment)};
  }
  auto [begin, end] = bounds(segment);
  std::vector<std::byte> partial;
  if (!codec_->add(segment, begin, values_.data() + begin, end - begin, partial)) {
    failed_ = true;
    return {};
  }
  return {encodedChunk(RingPhase::kReduceScatter, 0, segment, std::move(partial))};
}

ChunkVerdict RingAllReduce::onChunk(runtime::PeerId from,
                                    const RingChunk& chunk,
                                    std::vector<OutgoingChunk>& out) {
  if (chunk.epoch != epoch_ || chunk.attempt != attempt_) {
    return ChunkVerdict::kWrongRound;
  }
  if (chunk.view != digest_) {
    return ChunkVerdict::kOtherView;
  }
  if (from != predecessor()) {
    return ChunkVerdict::kNotFromPredecessor;
  }
  const auto k = static_cast<std::uint32_t>(view_.size());
  // At reduce-scatter step s our predecessor sends segment (position − s − 1); at all-gather step
  // s, the one it completed or received last: (position − s).
  const std::uint32_t back = chunk.phase == RingPhase::kReduceScatter ? chunk.step + 1 : chunk.step;
  const auto expectedSegment = static_cast<std::uint32_t>((position_ + k - back % k) % k);
  if ((codec_ != nullptr) != !chunk.encoded.empty()) {
    return ChunkVerdict::kOtherView;  // the sender's ring runs with the other codec
  }
  auto [begin, end] = bounds(chunk.segment);
  if (done_ || failed_ || chunk.step + 1 >= k || chunk.segment != expectedSegment ||
      (!codec_ && chunk.data.size() != end - begin)) {
    return ChunkVerdict::kMalformed;
  }
  if (chunk.phase != phase_ || chunk.step != step_) {
    const bool later = chunk.phase > phase_ || (chunk.phase == phase_ && chunk.step > step_);
    if (!later) {
      return ChunkVerdict::kMalformed;  // a step we already took
    }
    early_.insert_or_assign({chunk.phase, chunk.step}, chunk);
    return ChunkVerdict::kHeld;
  }
  absorb(chunk, out);
  // Chunks that came early may now be due.
  for (auto it = early_.find({phase_, step_}); !done_ && !failed_ && it != early_.end();
       it = early_.find({phase_, step_})) {
    RingChunk next = std::move(it->second);
    early_.erase(it);
    absorb(next, out);
  }
  return failed_ ? ChunkVerdict::kCodecFailed : ChunkVerdict::kAccepted;
}

bool RingAllReduce::absorbEncoded(const RingChunk& chunk, std::vector<OutgoingChunk>& out) {
  const auto k = static_cast<std::uint32_t>(view_.size());
  auto [begin, end] = bounds(chunk.segment);
  float* mine = values_.data() + begin;
  std::vector<std::byte> sum = chunk.encoded;
  if (phase_ == RingPhase::kReduceScatter) {
    if (!codec_->add(chunk.segment, begin, mine, end - begin, sum)) {
      return false;
    }
    if (step_ + 2 < k) {
      ++step_;
      out.push_back(encodedChunk(RingPhase::kReduceScatter, step_, chunk.segment, std::move(sum)));
      return true;
    }
    phase_ = RingPhase::kAllGather;
    step_ = 0;
  } else if (step_ + 2 < k) {
    ++step_;
  } else {
    done_ = true;
  }
  // The complete sum: its mean here, and the same encoding goes round (every member decodes the
  // same bytes, so every member gets the same mean).
  if (!codec_->finish(chunk.segment, begin, sum, k, mine, end - begin)) {
    return false;
  }
  if (!done_) {
    out.push_back(encodedChunk(RingPhase::kAllGather, step_, chunk.segment, std::move(sum)));
  }
  return true;
}

void RingAllReduce::absorb(const RingChunk& chunk, std::vector<OutgoingChunk>& out) {
  if (codec_) {
    failed_ = !absorbEncoded(chunk, out);
    return;
  }
  const auto k = static_cast<std::uint32_t>(view_.size());
  auto [begin, end] = bounds(chunk.segment);
  float* mine = values_.data() + begin;
  if (phase_ == RingPhase::kReduceScatter) {
    for (std::size_t i = 0; i < end - begin; ++i) {
      mine[i] += chunk.data[i];
    }
    if (step_ + 2 < k) {
      ++step_;
      out.push_back(chunkFor(RingPhase::kReduceScatter, step_, chunk.segment));
      return;
    }
    // This segment's sum is complete here, and only here: the mean, then it goes round.
    for (std::size_t i = 0; i < end - begin; ++i) {
      mine[i] /= static_cast<float>(k);
    }
    phase_ = RingPhase::kAllGather;
    step_ = 0;
    out.push_back(chunkFor(RingPhase::kAllGather, 0, chunk.segment));
    return;
  }
  std::copy(chunk.data.begin(), chunk.data.end(), mine);
  if (step_ + 2 < k) {
    ++step_;
    out.push_back(chunkFor(RingPhase::kAllGather, step_, chunk.segment));
    return;
  }
  done_ = true;
}

}  // namespace murmur::sync
