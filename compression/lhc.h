// LHC, lossless homomorphic compression (specs/lhc.md): a sparse chunk of D positions becomes a
// bitmap of its nonzero positions plus a count sketch of its values in int64 cells (k = 3
// partitioned subtables of W cells). Encodings with the same geometry add without decoding
// (bitmaps by OR, cells by wrapping addition), in any order, bit-identically; a peeling decoder
// recovers the sum exactly or names the positions it could not solve. Never an estimate.
// Sans-I/O. Thread: an LhcCodec is immutable and safe to share; LhcChunk and LhcDecoded are owned
// by one thread and reused between calls (no allocation once warm).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace murmur::compression {

inline constexpr std::uint32_t kLhcChunkPositions = 1U << 20;  // D_c: positions per chunk
inline constexpr std::uint32_t kLhcHashes = 3;                 // k
inline constexpr std::uint32_t kLhcMinSubtableCells = 64;      // W floor
inline constexpr int kLhcDefaultGuardBits = 10;                // sums of ≤ 1024 contributors

// SplitMix64's finaliser: the pinned, full-avalanche mixer every hash of LHC derives from.
std::uint64_t mix64(std::uint64_t z);

// Strictly ascending (sorted, no repeats): contributor ids and sparse positions must be.
bool sortedUnique(const std::vector<std::uint32_t>& ids);

// Everything two encodings must share to be added: derived identically on every peer.
struct LhcGeometry {
  std::uint64_t runSeed = 0;
  std::uint32_t tensorId = 0;
  std::uint32_t chunkId = 0;
  std::uint32_t positions = 0;                         // D of this chunk (≤ kLhcChunkPositions)
  std::uint32_t subtableCells = kLhcMinSubtableCells;  // W; the table has 3W cells
  std::int32_t scaleExp = 0;                           // s: a value x is carried as round(x·2^s)
  std::int32_t guardBits = kLhcDefaultGuardBits;       // g: room for 2^g contributors' sum

  bool operator==(const LhcGeometry& other) const;

  bool operator!=(const LhcGeometry& other) const { return !(*this == other); }
};

// The margin c = m / n_u the spec sizes tables with: 1.3 from 10⁴ union positions, 1.5 from 10³,
// 2.0 below (small tables fail more often, specs/lhc.md §4).
double lhcDefaultMargin(std::uint64_t capacity);

// W = max(64, ⌈c·capacity/3⌉) for `capacity` union positions; margin ≤ 0 picks the default.
std::uint32_t lhcSubtableCells(std::uint64_t capacity, double margin = 0);

// s = 62 − g − E, where E is the smallest exponent with max|x| < 2^E over every contributor:
// any sum of 2^g quantized values then fits in int64. maxAbs must be finite.
std::int32_t lhcScaleExp(double maxAbs, int guardBits = kLhcDefaultGuardBits);

enum class LhcStatus : std::uint8_t {
  kOk,
  kNonFinite,         // encode: a NaN or infinity in the input
  kOverflow,          // encode: |x| ≥ 2^E, beyond what the scale leaves room for
  kStalled,           // decode: peeling stopped with positions left (see LhcDecoded::unresolved)
  kInconsistent,      // decode: leftover cells, a nonzero empty cell or a checksum mismatch
  kGeometryMismatch,  // add/validate: another seed, tensor, chunk, size, W or scale
  kOverlap,           // add: a contributor would be counted twice
  kMalformed,         // validate: sizes or padding bits wrong
};

std::string_view lhcStatusName(LhcStatus status);

// One encoded chunk: what travels (the bitmap and cells as frames, the rest in the header).
struct LhcChunk {
  LhcGeometry geometry;
  std::uint64_t nnzUpper = 0;               // Σ of the contributors' nonzero counts
  std::uint64_t checksum = 0;               // Σ q_p·ψ(p) mod 2⁶⁴
  std::vector<std::uint32_t> contributors;  // ascending ids of the encodings summed in
  std::vector<std::uint64_t> bitmap;        // ⌈D/64⌉ words, bit p set iff some q_p ≠ 0
  std::vector<std::uint64_t> cells;         // 3W wrapping int64 cells

  std::size_t wireBytes() const { return 8 * (bitmap.size() + cells.size()); }
};

// Decoder output and scratch, reused between decodes.
struct LhcDecoded {
  std::vector<std::uint32_t> positions;   // the union U, ascending
  std::vector<std::int64_t> values;       // Σq at each position of U (exact)
  std::vector<std::uint32_t> unresolved;  // positions a stalled peel left, ascending

  // scratch
  std::vector<std::uint32_t> rankPrefix;
  std::vector<std::uint32_t> degree;
  std::vector<std::uint32_t> xorPositions;
  std::vector<std::uint64_t> cells;
  std::vector<std::uint32_t> queue;
  std::vector<std::uint8_t> solved;
};

class LhcCodec {
 public:
  // Throws kInvalidArgument for an empty or oversized chunk, W below the floor, or a scale that
  // does not leave the guard bits.
  explicit LhcCodec(LhcGeometry geometry);

  const LhcGeometry& geometry() const { return geometry_; }

  // The cell of position p in subtable j (0 ≤ j < 3), its sign (±1), and its checksum weight.
  std::uint32_t cell(std::uint32_t j, std::uint32_t p) const;
  std::int64_t sign(std::uint32_t j, std::uint32_t p) const;
  std::uint64_t checksumWeight(std::uint32_t p) const;

  // Encodes x[0..D) as contributor `id` into `out` (buffers reused). On kNonFinite or kOverflow
  // `out` is unspecified and must not be sent.
  LhcStatus encode(const float* x, std::uint32_t id, LhcChunk& out) const;

  // Adds already quantized entries (positions[i], q[i] ≠ 0, each position at most once) into the
  // table of `chunk` without touching its contributors: encoding from a list skips the scan.
  void insert(const std::uint32_t* positions,
              const std::int64_t* q,
              std::size_t n,
              LhcChunk& chunk) const;

  // An empty table of this geometry (no bits, zero cells) for insert().
  void clear(LhcChunk& chunk) const;

  // acc ⊕= in: bitmaps OR, cells and checksums add, contributor sets merge. Requires identical
  // geometry and disjoint contributors; on failure `acc` is unchanged.
  static LhcStatus add(LhcChunk& acc, const LhcChunk& in);

  // Checks a received chunk against this codec's geometry: sizes, padding bits, sorted and unique
  // contributors. kOk or the reason.
  LhcStatus validate(const LhcChunk& chunk) const;

  // Peels `chunk` (not modified). kOk: out.positions/values hold the exact Σq. kStalled:
  // out.unresolved names what could not be solved; apply nothing.
  LhcStatus decode(const LhcChunk& chunk, LhcDecoded& out) const;

  // Writes the decoded sum (divided by `divisor`, e.g. the contributor count for a mean) into
  // dense[0..D): Σq·2^−s in double, one rounding to float. Positions outside U get 0.
  void toFloat(const LhcDecoded& decoded, double divisor, float* dense) const;

  // The quantized value round_half_even(x·2^s) an input contributes (0 below the quantum).
  std::int64_t quantize(float x) const;

  // Quantizes x[0..D) and calls visit(p, q) for each position whose q = round_half_even(x·2^s)
  // is not 0, in ascending p: the one rule every encoder of this geometry follows. ±0 and values
  // below the quantum are skipped; kNonFinite or kOverflow (|x| ≥ 2^E) stop it.
  template <typename Visit>
  LhcStatus forEachQuantized(const float* x, Visit&& visit) const {
    const auto limit = static_cast<double>(limit_);
    for (std::uint32_t p = 0; p < geometry_.positions; ++p) {
      const float value = x[p];
      if (value == 0.0F) {
        continue;  // ±0: free
      }
      if (!std::isfinite(value)) {
        return LhcStatus::kNonFinite;
      }
      const double q = std::nearbyint(static_cast<double>(value) * scale_);  // half-to-even
      if (q == 0) {
        continue;  // below the quantum: does not enlarge the union
      }
      if (std::fabs(q) >= limit) {
        return LhcStatus::kOverflow;
      }
      visit(p, static_cast<std::int64_t>(q));
    }
    return LhcStatus::kOk;
  }

  // What the hashes derive from: mix64(runSeed ^ mix64((tensorId << 32) | chunkId)).
  std::uint64_t chunkSeed() const { return chunkSeed_; }

  // 2^(62−g): every |q| must stay below it.
  std::int64_t limit() const { return limit_; }

 private:
  void scatter(std::uint32_t p, std::uint64_t quantized, LhcChunk& chunk) const;

  std::uint64_t chunkSeed_ = 0;
  LhcGeometry geometry_;
  double scale_ = 1;        // 2^s
  std::int64_t limit_ = 0;  // 2^(62−g): |q| must stay below
};

}  // namespace murmur::compression
