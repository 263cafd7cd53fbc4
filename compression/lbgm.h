// LBGM, the look-back gradient multiplier (specs/lbgm.md), on CHOCO-style public copies: both
// ends of a directed edge hold a bit-identical copy x̂ of the sender's parameters, and only
// compressed changes D = x − x̂ travel. Per unit (a parameter tensor, or a run of adjacent small
// ones) the sender sends nothing (SKIP), one coefficient ρ of its look-back vector L (SCALAR, when
// sin²∠(D, L) ≤ δ), or D itself (FULL, which becomes the new L). The residual x − x̂ is part of the
// next D: error feedback is built in. RESET sends x itself and empties the look-back vectors.
// Stacked with top-k (specs/lbgm.md §3, "compress first, then LBGM"): the test and the look-back
// vector use s = top-k(D) instead of D, a FULL sends s as index/value pairs (SPARSE), and what s
// leaves out stays in x − x̂ for the next publish. Stacked on scaled sign instead: s = a·sign(D)
// with a = ‖D‖₁/n (0 counts as +), a FULL sends a and one bit per entry (SIGN), and the look-back
// vector is the ±1 vector.
// A²CiD² then mixes with x̂_j − x̂_i, identical at both ends, so the swarm's mean is conserved
// exactly, as without compression.
// Sans-I/O. Thread: one owner per LbgmPublicCopy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace murmur::compression {

inline constexpr std::size_t kLbgmSmallTensor = 256;  // tensors below this share a unit
inline constexpr double kLbgmDefaultDelta = 0.2;      // δ: reuse when sin²∠ ≤ δ

enum class LbgmMode : std::uint8_t {
  kSkip = 0,
  kScalar = 1,
  kFull = 2,
  kReset = 3,
  kSparse = 4,  // a FULL of the top-k entries: [k][k indices, increasing][k values]
  kSign = 5,    // a FULL of a·sign(D): [a][⌈n/32⌉ words, bit i set where D_i < 0; padding 0]
};

inline constexpr std::size_t kLbgmModes = 6;

std::string_view lbgmModeName(LbgmMode mode);

// A unit: a contiguous slice of the flat parameter vector.
struct LbgmUnit {
  std::size_t offset = 0;
  std::size_t numel = 0;
};

// One unit per tensor of `tensorSizes` (in flat order), runs of adjacent tensors below
// kLbgmSmallTensor elements merged into one unit, so a unit's header never costs more than it
// can save. Empty tensors are skipped.
std::vector<LbgmUnit> lbgmUnits(const std::vector<std::size_t>& tensorSizes);

// Throws Error(kInvalidArgument) unless 0 < δ < 1 (at δ ≥ 1 every test passes, even against an
// empty look-back vector; specs/lbgm.md pitfall 2).
void requireLbgmDelta(double delta);

// Throws Error(kInvalidArgument) unless 0 < γ ≤ ½.
void requireLbgmGamma(double gamma);

// Throws Error(kInvalidArgument) unless 0 ≤ fraction < 1 (0: no top-k).
void requireLbgmTopk(double fraction);

// The entries top-k keeps of a unit of n elements: ⌈fraction·n⌉, or 0 (send the unit dense) when
// index/value pairs would not be fewer bytes than the dense values.
std::size_t lbgmTopkCount(std::size_t n, double fraction);

// The consensus step γ < ½ of compressed gossip (CHOCO's γ; specs/lbgm.md §5.2), as views: both
// ends of an exchange turn their two public copies a (ours) and b (the partner's) into
// a' = a + c·(b − a) and b' = b + c·(a − b) with c = ½ − γ, so a midpoint exchange on (a', b')
// moves x by ½(b' − a') ≈ γ·(b − a). Each end runs the same kernel on the same numbers with the
// roles swapped, so b' − a' here is exactly −(b' − a') there and the mean stays exact.
void lbgmConsensusViews(const float* self,
                        const float* partner,
                        float* selfOut,
                        float* partnerOut,
                        std::size_t n,
                        float c);

// The decision for one update v against look-back vector L (empty: FULL), as specs/lbgm.md §2.6
// (v3 rule; dot products in double, sin² clamped to [0, 1]). ρ = ⟨v,L⟩/‖L‖² for SCALAR.
struct LbgmDecision {
  LbgmMode mode = LbgmMode::kFull;
  float rho = 0;
};

LbgmDecision lbgmDecide(const float* v, const float* lbg, std::size_t n, double delta);

struct LbgmUnitHeader {
  LbgmMode mode = LbgmMode::kSkip;
  float rho = 0;  // SCALAR only
};

// What one publish sends: a header per unit and the payload words of FULL (D), RESET (x) and
// SPARSE units (k, then k indices, as uint32 bits, then k values), concatenated in unit order.
struct LbgmMessage {
  std::uint64_t seq = 0;  // this publish's number on the edge: a delta applies on seq − 1 only
  std::vector<LbgmUnitHeader> units;
  std::vector<float> payload;

  bool isReset() const { return !units.empty() && units.front().mode == LbgmMode::kReset; }

  // Bytes on the wire: 5 per unit header, 4 per payload word, 8 for the sequence.
  std::size_t wireBytes() const { return 8 + 5 * units.size() + 4 * payload.size(); }
};

enum class LbgmApplied : std::uint8_t {
  kApplied,
  kOutOfSync,  // no state yet, a missed publish, or a SCALAR without a look-back vector: nothing
               // changed; the receiver asks the sender for a RESET
  kMalformed,  // wrong unit count or payload size, an unknown mode, a non-finite value
};

std::string_view lbgmAppliedName(LbgmApplied applied);

// Counts of the sender's decisions, per unit.
struct LbgmUnitStats {
  std::uint64_t skip = 0;
  std::uint64_t scalar = 0;
  std::uint64_t full = 0;  // dense or sparse
  std::uint64_t reset = 0;
};

struct LbgmOptions {
  double delta = kLbgmDefaultDelta;  // reuse when sin²∠ ≤ δ
  double topk = 0;                   // > 0: LBGM on the top ⌈topk·n⌉ entries of each update
  bool sign = false;                 // LBGM on a·sign(update) (not with topk)
};

// One directed edge's public copy, as held by the sender (which publishes) or by the receiver
// (which applies); the two stay bit-identical.
class LbgmPublicCopy {
 public:
  // Throws Error(kInvalidArgument) for a bad δ or top-k fraction, or units that are not
  // contiguous from 0.
  LbgmPublicCopy(std::vector<LbgmUnit> units, LbgmOptions options = {});

  std::size_t numel() const { return values_.size(); }

  const std::vector<LbgmUnit>& units() const { return units_; }

  // Whether a RESET has set the copy (until then only a RESET can be applied or published).
  bool hasState() const { return hasState_; }

  // The number of the last publish made or applied (resets included; never goes back, so a
  // delta built on a lost RESET is refused rather than applied to an older copy).
  std::uint64_t seq() const { return seq_; }

  // The public copy x̂ and the look-back vectors (numel() floats each; a unit's slice of the
  // latter means something only after a FULL).
  const float* values() const { return values_.data(); }

  const float* lookBack() const { return lookBack_.data(); }

  // Sender: encodes x against the copy into `out` (buffers reused) and advances the copy exactly
  // as the receiver's apply() will. A RESET when `reset` is set or there is no state yet.
  void publish(const float* x, bool reset, LbgmMessage& out);

  // Receiver: checks everything first, then applies all of it or none.
  LbgmApplied apply(const LbgmMessage& message);

  // A 64-bit digest of the copy x̂ (its bits, little-endian words): both ends of an edge compare
  // it every few publishes, so a copy corrupted in a way no check saw is caught and RESET.
  std::uint64_t digest() const;

  // Forget everything (the next publish or apply must be a RESET).
  void clear();

  const std::vector<LbgmUnitStats>& stats() const { return stats_; }

 private:
  void applyUnit(std::size_t u, LbgmUnitHeader header, const float* data);
  // Keeps the top-k entries of the unit's D in update_ (the rest zeroed) and appends them to
  // `payload` as a SPARSE unit.
  void sparsify(std::size_t u, std::size_t k, std::vector<float>& payload);
  // Replaces the unit's D in update_ by a·sign(D) and appends a and the sign bits to `payload`
  // as a SIGN unit.
  void signify(std::size_t u, std::vector<float>& payload);

  std::vector<LbgmUnit> units_;
  LbgmOptions options_;
  std::vector<float> values_;         // x̂
  std::vector<float> lookBack_;       // L, per unit slice
  std::vector<std::uint8_t> hasLbg_;  // per unit
  std::vector<float> update_;         // scratch: D, or its top-k
  std::vector<std::uint32_t> order_;  // scratch: top-k selection
  std::vector<LbgmUnitStats> stats_;
  std::uint64_t seq_ = 0;
  bool hasState_ = false;
};

}  // namespace murmur::compression
