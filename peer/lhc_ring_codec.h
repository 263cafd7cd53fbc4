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
// range is 4·max|w_ref| (at least 1). Each hop carries each chunk's sum in its smallest form
// (compression/chunk_sum.h): nothing, an index/value list, an LHC table, or dense float32 once the
// union outgrows the table. A value beyond the range, or a table that does not peel (rare: two
// positions sharing all three cells), fails the sync, which is retried raw; nothing is applied.
// Thread: comm (the ring's owner).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compression/chunk_sum.h"
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

  // Why the last add or finish returned false (the chunk, the reason, unresolved positions).
  std::string failure() const override { return failure_; }

 private:
  // The summers of a segment's chunks (built on first use).
  std::vector<compression::ChunkSummer>& summersFor(std::uint32_t segment, std::size_t n);
  bool parse(const std::vector<std::byte>& bytes,
             const std::vector<compression::ChunkSummer>& summers,
             std::vector<compression::ChunkSum>& sums) const;
  bool failed(std::uint32_t segment, std::size_t chunk, compression::LhcStatus status);

  std::shared_ptr<const std::vector<float>> reference_;
  std::uint32_t rank_;
  std::uint64_t runSeed_;
  double capacity_;
  std::int32_t scaleExp_;
  runtime::MetricsRegistry& metrics_;
  std::vector<std::vector<compression::ChunkSummer>> summers_;  // by segment
  std::vector<float> drift_;
  std::vector<compression::ChunkSum> sums_;
  std::vector<float> mean_;
  std::string failure_;
};

// Bytes of chunk sums: per chunk its form (u8, padded to 4), the contributor count (u32) and ids
// (u32, padded to 8), then a list's length and checksum (u64), positions (u32, padded to 8) and
// values (i64); a table's nnzUpper and checksum (u64), bitmap and cells (u64 words); dense float32
// values (padded to 8); nothing for a zero sum. Little-endian.
void serializeChunkSums(const std::vector<compression::ChunkSum>& sums,
                        std::vector<std::byte>& out);

}  // namespace murmur::peer
