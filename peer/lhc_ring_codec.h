// `--sync-codec lhc`: the sync ring carries LHC encodings of each member's drift from the swarm's
// reference (u = x − w_ref, the previous sync's mean, bit-identical on every member) instead of
// the models. Each reduce-scatter hop adds its encoding into the one it received without decoding
// (specs/lhc.md §6); the complete sum goes round the all-gather and every member decodes the same
// bytes, so the mean w_ref + Σu/K is bit-identical everywhere. Worth it when updates are sparse
// (embeddings under plain SGD, top-k deltas); a dense drift overflows the tables at once and the
// sync is retried raw.
//
// Geometry, derived identically on every member without a pre-round: chunks of ≤ 2^20 positions
// of each ring segment, tables sized for `capacity`·positions union nonzeros, and a scale whose
// range is 4·max|w_ref| (at least 1): a member whose drift has more nonzeros than the tables hold,
// or a value beyond the range, reports failure and the sync is retried without LHC; a sum that
// does not peel is never applied (it fails the same way on every member).
// Thread: comm (the ring's owner).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "compression/lhc.h"
#include "runtime/metrics.h"
#include "sync/ring_segment_codec.h"

namespace murmur::peer {

inline constexpr double kDefaultLhcCapacity = 0.05;  // union nonzeros per position

class LhcRingCodec final : public sync::RingSegmentCodec {
 public:
  // `reference`: w_ref; `rank`: ours in the ring (a contributor id); `runSeed`: the hashes'.
  LhcRingCodec(std::shared_ptr<const std::vector<float>> reference,
               std::uint32_t rank,
               std::uint64_t runSeed,
               double capacity,
               runtime::MetricsRegistry& metrics);

  bool add(std::uint32_t segment,
           std::size_t offset,
           const float* values,
           std::size_t n,
           std::vector<std::byte>& partial) override;

  bool finish(std::uint32_t segment,
              std::size_t offset,
              const std::vector<std::byte>& sum,
              std::size_t members,
              float* mean,
              std::size_t n) override;

 private:
  // The codecs of a segment's chunks (built on first use).
  const std::vector<compression::LhcCodec>& codecsFor(std::uint32_t segment, std::size_t n);
  bool parse(const std::vector<std::byte>& bytes,
             const std::vector<compression::LhcCodec>& codecs,
             std::vector<compression::LhcChunk>& chunks) const;
  void failed(const char* reason);

  std::shared_ptr<const std::vector<float>> reference_;
  std::uint32_t rank_;
  std::uint64_t runSeed_;
  double capacity_;
  std::int32_t scaleExp_;
  runtime::MetricsRegistry& metrics_;
  std::vector<std::vector<compression::LhcCodec>> codecs_;  // by segment
  std::vector<float> drift_;
  std::vector<compression::LhcChunk> ours_;
  std::vector<compression::LhcChunk> theirs_;
  compression::LhcDecoded decoded_;
};

// Bytes of encoded chunks: per chunk, nnzUpper and checksum (u64), the contributor count (u32) and
// ids (u32, padded to 8 bytes), the bitmap and the cells (u64 words, little-endian).
void serializeLhcChunks(const std::vector<compression::LhcChunk>& chunks,
                        std::vector<std::byte>& out);

}  // namespace murmur::peer
