// A sum of sparse contributions to one chunk, carried in whichever of four forms is smallest
// (specs/lhc.md §8): nothing (every contribution zero), a sorted index/value list of the union, an
// LHC table (fixed size, adds without decoding), or dense float32 (above the break-even density).
// List and table hold exact integer sums of the quantized values (LhcCodec's grid), so a sum that
// stays sparse is the same integers whatever the order; a chunk whose union outgrows its table is
// decoded once and goes on dense from that hop: the "send that chunk uncompressed" fallback, taken
// where the table would overflow instead of after a failed peel.
// Sans-I/O. Thread: a ChunkSummer and the sums it adds into are owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "compression/lhc.h"

namespace murmur::compression {

enum class SumForm : std::uint8_t { kZero = 0, kList = 1, kTable = 2, kDense = 3 };

inline constexpr std::uint8_t kSumForms = 4;

std::string_view sumFormName(SumForm form);

struct ChunkSum {
  SumForm form = SumForm::kZero;
  std::vector<std::uint32_t> contributors;  // ascending ids; empty before the first add
  std::vector<std::uint32_t> positions;     // kList: the union, ascending
  std::vector<std::int64_t> values;         // kList: Σq at each position, never 0
  std::uint64_t checksum = 0;  // kList: Σ of the contributors' Σ q_p·ψ(p), as LHC's
  LhcChunk table;              // kTable
  std::vector<float> dense;    // kDense: Σ of the contributions at every position
};

class ChunkSummer {
 public:
  // `capacity`: the most union positions the table (sized for it by `geometry`) is trusted with:
  // a table is only formed, or added into, while its nnzUpper stays within it.
  ChunkSummer(LhcGeometry geometry, std::uint64_t capacity);

  const LhcCodec& codec() const { return codec_; }

  std::uint32_t positions() const { return codec_.geometry().positions; }

  // sum += x[0..D) as contributor `id`; a sum with no contributors becomes x. The form after is
  // the smallest that holds the result (a dense sum stays dense). kNonFinite, kOverflow,
  // kOverlap, or kStalled (a table that had to be decoded would not peel): `sum` is unchanged.
  LhcStatus add(const float* x, std::uint32_t id, ChunkSum& sum);

  // A received sum: contributors sorted and unique (1 to 4096), lists ascending within the chunk
  // and without zeros, the table valid for this geometry, dense values finite.
  LhcStatus validate(const ChunkSum& sum) const;

  // Writes reference[p] + Σ/divisor into out[0..D): the integers of a list or table scaled in
  // double with one rounding to float, a dense sum likewise. kStalled or kInconsistent when a
  // table does not peel or a list fails its checksum: nothing is written then.
  LhcStatus finish(const ChunkSum& sum, const float* reference, double divisor, float* out);

  // The positions the last finish() or add() could not peel (after kStalled), ascending.
  const std::vector<std::uint32_t>& unresolved() const { return decoded_.unresolved; }

  // Bytes of each form on the wire (ChunkSum's payload, without its contributors).
  std::size_t listBytes(std::size_t entries) const;
  std::size_t tableBytes() const;
  std::size_t denseBytes() const;
  std::size_t wireBytes(const ChunkSum& sum) const;

 private:
  LhcStatus quantize(const float* x);
  std::uint64_t checksumOf(const std::vector<std::uint32_t>& at,
                           const std::vector<std::int64_t>& values) const;
  // The smallest form for the list now in `sum` (which must be of form kList).
  void settle(ChunkSum& sum);
  void toDense(ChunkSum& sum);

  LhcCodec codec_;
  std::uint64_t capacity_;
  double unit_;  // 2^−s: one quantum
  // scratch, reused
  std::vector<std::uint32_t> ownPositions_;
  std::vector<std::int64_t> ownValues_;
  std::vector<std::uint32_t> mergedPositions_;
  std::vector<std::int64_t> mergedValues_;
  LhcDecoded decoded_;
};

}  // namespace murmur::compression
