// A²CiD² state of one peer in gap form (specs/a2cid2.md §2.5): the parameters x (a view the
// caller owns, e.g. the model's flat parameters) and the gap d = x̃ − x (owned here).
// Thread: not thread-safe; peer/SharedModelState guards it. No allocation after construction.
#pragma once

#include <cstddef>
#include <vector>

#include "momentum/acid_constants.h"

namespace murmur::momentum {

// The two numbers the state needs. The baseline (plain midpoint gossip) is α̃ = ½, any η.
struct AcidParams {
  double eta = 0;
  double alphaTilde = 0.5;

  static AcidParams baseline() { return AcidParams{0.0, 0.5}; }

  static AcidParams from(const AcidConstants& c) {
    return c.equalsBaseline ? baseline() : AcidParams{c.eta, c.alphaTilde};
  }

  bool isBaseline() const { return alphaTilde == 0.5; }

  // The same η with α̃ at most `cap`.
  AcidParams capped(double cap) const {
    return AcidParams{eta, alphaTilde < cap ? alphaTilde : cap};
  }
};

// Codecs with error feedback (top-k or sign under LBGM) mix with public copies that lag the models
// by what they left out; above this α̃ the momentum extrapolates that lag and the swarm diverges
// (murmur-sim, ring of 12-64 peers, docs/BENCHMARKS.md "Gossip codecs at 16-64 simulated peers").
inline constexpr double kMaxAlphaTildeWithErrorFeedback = 1.0;

// Scalar is float for peers; double for reference tests. Instantiated in acid_state.cc only.
template <typename Scalar>
class BasicAcidState {
 public:
  // x points at n parameters the caller keeps alive; d starts at 0, time at `startTime`.
  BasicAcidState(Scalar* x, std::size_t n, AcidParams params, double startTime = 0.0);

  // Closed-form ODE from the last event time to t (time units = mean gradient intervals):
  // x += p·d; d *= 1 − 2p. Times before the last event are clamped (no-op), never rewound.
  void mixTo(double t);

  // Writes what x would be after mixTo(t), without changing the state: the send snapshot.
  void snapshotAt(double t, Scalar* out) const;

  // An exchange agreed on but not yet applied (lazy replay, spec §3.2).
  struct PendingExchange {
    double time;         // when it happened (the state mixes to it first)
    const Scalar* peer;  // the partner's snapshot
    const Scalar* self;  // our snapshot
  };

  // Writes what x would be after applying `pending` in order and mixing to t, without changing
  // the state. A snapshot must include exchanges already agreed on, or the next exchange would
  // send the same x again and its Δ would be counted twice. gapScratch: size() elements (unused
  // in the baseline).
  void predictAt(const std::vector<PendingExchange>& pending,
                 double t,
                 Scalar* out,
                 Scalar* gapScratch) const;

  // x = values and d = 0 (after a state transfer or the final exact average).
  void assign(const Scalar* values);

  // x = newBase + (x − oldBase) and d = 0: a global sync's install (specs/fda.md §4.3 step 4),
  // where oldBase is what we contributed and newBase the swarm's average; what x gained since is
  // kept.
  void rebase(const Scalar* newBase, const Scalar* oldBase);

  // Exchange with snapshots (spec §3.2): Δ = peer − self; x += ½Δ; d += (α̃ − ½)Δ. The caller mixes
  // to the exchange time first. In the baseline d is left untouched (it is 0).
  void applyExchange(const Scalar* peerSnapshot, const Scalar* selfSnapshot);

  // mixTo(t) then applyExchange(peer, self), fused into one pass over x and d (the comm thread's
  // and the step's replay hot path): bit-identical to the two calls.
  void mixAndApplyExchange(double t, const Scalar* peerSnapshot, const Scalar* selfSnapshot);

  // Same with Δ given directly.
  void applyDelta(const Scalar* delta);

  double time() const { return time_; }

  const Scalar* x() const { return x_; }

  const Scalar* gap() const { return gap_.data(); }

  std::size_t size() const { return n_; }

  const AcidParams& params() const { return params_; }

 private:
  // predictAt for one queued exchange, in one pass.
  void predictOne(const PendingExchange& event, double t, Scalar* out) const;

  Scalar* x_;
  std::size_t n_;
  AcidParams params_;
  double time_;
  std::vector<Scalar> gap_;  // empty in the baseline: d ≡ 0 costs neither memory nor passes
};

using AcidState = BasicAcidState<float>;

}  // namespace murmur::momentum
