#include "momentum/acid_state.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/error.h"

namespace murmur::momentum {

namespace {

// The closed-form ODE over `elapsed` time units: x += p·d and d *= decay.
template <typename Scalar>
struct MixFactors {
  Scalar p;
  Scalar decay;
};

template <typename Scalar>
MixFactors<Scalar> mixFactors(double eta, double elapsed) {
  return {static_cast<Scalar>(mixingFraction(eta, elapsed)),
          static_cast<Scalar>(std::exp(-2.0 * eta * elapsed))};
}

// One pass of "mix by (p, decay), then apply Δ = peer − self": the element-wise steps of mixTo and
// applyExchange in their order, so fused and separate calls round identically (no mixing at all
// when no time passed). d == nullptr is the baseline (no gap, no mixing).
template <typename Scalar>
void mixAndApplyPass(Scalar* __restrict x,
                     Scalar* __restrict d,
                     std::size_t n,
                     Scalar p,
                     Scalar decay,
                     Scalar gapWeight,
                     const Scalar* __restrict peer,
                     const Scalar* __restrict self) {
  const Scalar half{0.5};
  if (d == nullptr) {
    for (std::size_t i = 0; i < n; ++i) {
      x[i] += half * (peer[i] - self[i]);
    }
    return;
  }
  if (p == Scalar{0} && decay == Scalar{1}) {
    for (std::size_t i = 0; i < n; ++i) {
      const Scalar delta = peer[i] - self[i];
      x[i] += half * delta;
      d[i] += gapWeight * delta;
    }
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const Scalar mixed = x[i] + p * d[i];
    const Scalar gap = d[i] * decay;
    const Scalar delta = peer[i] - self[i];
    x[i] = mixed + half * delta;
    d[i] = gap + gapWeight * delta;
  }
}

}  // namespace

template <typename Scalar>
BasicAcidState<Scalar>::BasicAcidState(Scalar* x,
                                       std::size_t n,
                                       AcidParams params,
                                       double startTime)
    : x_(x), n_(n), params_(params), time_(startTime) {
  MURMUR_REQUIRE(x != nullptr || n == 0, "A²CiD² state needs parameters");
  MURMUR_REQUIRE(params.eta >= 0 && std::isfinite(params.eta), "η must be ≥ 0, got ", params.eta);
  MURMUR_REQUIRE(std::isfinite(params.alphaTilde), "α̃ must be finite");
  if (!params_.isBaseline()) {
    gap_.assign(n, Scalar{0});
  }
}

template <typename Scalar>
void BasicAcidState<Scalar>::mixTo(double t) {
  if (!(t > time_)) {
    return;
  }
  const double elapsed = t - time_;
  time_ = t;
  if (gap_.empty()) {
    return;
  }
  const auto [p, decay] = mixFactors<Scalar>(params_.eta, elapsed);
  Scalar* __restrict x = x_;
  Scalar* __restrict d = gap_.data();
  for (std::size_t i = 0; i < n_; ++i) {
    x[i] += p * d[i];
    d[i] *= decay;
  }
}

template <typename Scalar>
void BasicAcidState<Scalar>::snapshotAt(double t, Scalar* out) const {
  const double elapsed = std::max(0.0, t - time_);
  if (gap_.empty() || elapsed == 0.0) {
    std::memcpy(out, x_, n_ * sizeof(Scalar));
    return;
  }
  const auto p = static_cast<Scalar>(mixingFraction(params_.eta, elapsed));
  const Scalar* __restrict x = x_;
  const Scalar* __restrict d = gap_.data();
  Scalar* __restrict o = out;
  for (std::size_t i = 0; i < n_; ++i) {
    o[i] = x[i] + p * d[i];
  }
}

template <typename Scalar>
void BasicAcidState<Scalar>::applyExchange(const Scalar* peerSnapshot, const Scalar* selfSnapshot) {
  mixAndApplyPass(x_,
                  gap_.empty() ? nullptr : gap_.data(),
                  n_,
                  Scalar{0},
                  Scalar{1},
                  static_cast<Scalar>(params_.alphaTilde - 0.5),
                  peerSnapshot,
                  selfSnapshot);
}

template <typename Scalar>
void BasicAcidState<Scalar>::mixAndApplyExchange(double t,
                                                 const Scalar* peerSnapshot,
                                                 const Scalar* selfSnapshot) {
  const double elapsed = t > time_ ? t - time_ : 0.0;
  time_ = std::max(time_, t);
  const MixFactors<Scalar> factors = mixFactors<Scalar>(params_.eta, elapsed);
  mixAndApplyPass(x_,
                  gap_.empty() ? nullptr : gap_.data(),
                  n_,
                  factors.p,
                  factors.decay,
                  static_cast<Scalar>(params_.alphaTilde - 0.5),
                  peerSnapshot,
                  selfSnapshot);
}

template <typename Scalar>
void BasicAcidState<Scalar>::applyDelta(const Scalar* delta) {
  Scalar* __restrict x = x_;
  const Scalar* __restrict dx = delta;
  const Scalar half{0.5};
  if (gap_.empty()) {
    for (std::size_t i = 0; i < n_; ++i) {
      x[i] += half * dx[i];
    }
    return;
  }
  const auto gapWeight = static_cast<Scalar>(params_.alphaTilde - 0.5);
  Scalar* __restrict d = gap_.data();
  for (std::size_t i = 0; i < n_; ++i) {
    x[i] += half * dx[i];
    d[i] += gapWeight * dx[i];
  }
}

template <typename Scalar>
void BasicAcidState<Scalar>::predictAt(const std::vector<PendingExchange>& pending,
                                       double t,
                                       Scalar* out,
                                       Scalar* gapScratch) const {
  if (pending.empty()) {
    snapshotAt(t, out);
    return;
  }
  if (pending.size() == 1) {
    predictOne(pending.front(), t, out);
    return;
  }
  // Replays on a copy with the same element-wise steps as mixTo/applyExchange.
  std::memcpy(out, x_, n_ * sizeof(Scalar));
  Scalar* __restrict x = out;
  Scalar* __restrict d = gapScratch;
  const bool momentum = !gap_.empty();
  if (momentum) {
    std::memcpy(d, gap_.data(), n_ * sizeof(Scalar));
  }
  double now = time_;
  auto mix = [&](double until) {
    if (!(until > now)) {
      return;
    }
    if (momentum) {
      const double elapsed = until - now;
      const auto [p, decay] = mixFactors<Scalar>(params_.eta, elapsed);
      for (std::size_t i = 0; i < n_; ++i) {
        x[i] += p * d[i];
        d[i] *= decay;
      }
    }
    now = until;
  };
  const auto gapWeight = static_cast<Scalar>(params_.alphaTilde - 0.5);
  for (const PendingExchange& event : pending) {
    const double elapsed = event.time > now ? event.time - now : 0.0;
    now = std::max(now, event.time);
    const MixFactors<Scalar> factors = mixFactors<Scalar>(params_.eta, elapsed);
    mixAndApplyPass(
        x, momentum ? d : nullptr, n_, factors.p, factors.decay, gapWeight, event.peer, event.self);
  }
  mix(t);
}

// The common case (one exchange queued: the compute thread drains the queue at every step) in
// one pass: reads x, d, peer and self, writes only the snapshot, where the replay on a copy moves
// 14 model-sized streams. Per element the same operations in the same order as mixTo and
// mixAndApplyPass, so it rounds like them (PredictionEqualsApplyingTheQueuedExchanges).
template <typename Scalar>
void BasicAcidState<Scalar>::predictOne(const PendingExchange& event,
                                        double t,
                                        Scalar* __restrict out) const {
  const Scalar half{0.5};
  const Scalar* __restrict x = x_;
  const Scalar* __restrict peer = event.peer;
  const Scalar* __restrict self = event.self;
  const Scalar* __restrict d = gap_.data();
  const double at = std::max(time_, event.time);
  const MixFactors<Scalar> before = mixFactors<Scalar>(params_.eta, at - time_);
  // The baseline never mixes (d ≡ 0).
  const bool mixBefore = !gap_.empty() && !(before.p == Scalar{0} && before.decay == Scalar{1});
  const bool mixAfter = !gap_.empty() && t > at;
  const Scalar after = mixAfter ? mixFactors<Scalar>(params_.eta, t - at).p : Scalar{0};
  const auto gapWeight = static_cast<Scalar>(params_.alphaTilde - 0.5);
  // Four loops rather than branches inside one, so that each vectorises.
  if (!mixBefore && !mixAfter) {
    for (std::size_t i = 0; i < n_; ++i) {
      out[i] = x[i] + half * (peer[i] - self[i]);
    }
  } else if (!mixBefore) {
    for (std::size_t i = 0; i < n_; ++i) {
      const Scalar delta = peer[i] - self[i];
      out[i] = (x[i] + half * delta) + after * (d[i] + gapWeight * delta);
    }
  } else if (!mixAfter) {
    for (std::size_t i = 0; i < n_; ++i) {
      out[i] = (x[i] + before.p * d[i]) + half * (peer[i] - self[i]);
    }
  } else {
    for (std::size_t i = 0; i < n_; ++i) {
      const Scalar delta = peer[i] - self[i];
      const Scalar mixed = x[i] + before.p * d[i];
      const Scalar gap = d[i] * before.decay;
      out[i] = (mixed + half * delta) + after * (gap + gapWeight * delta);
    }
  }
}

template <typename Scalar>
void BasicAcidState<Scalar>::assign(const Scalar* values) {
  std::memcpy(x_, values, n_ * sizeof(Scalar));
  std::fill(gap_.begin(), gap_.end(), Scalar{0});
}

template <typename Scalar>
void BasicAcidState<Scalar>::rebase(const Scalar* newBase, const Scalar* oldBase) {
  // newBase + (x − oldBase), not x + (newBase − oldBase): with no work since the snapshot the
  // difference is exactly 0 and x becomes newBase bit for bit on every peer.
  for (std::size_t k = 0; k < n_; ++k) {
    x_[k] = newBase[k] + (x_[k] - oldBase[k]);
  }
  std::fill(gap_.begin(), gap_.end(), Scalar{0});
}

template class BasicAcidState<float>;
template class BasicAcidState<double>;

}  // namespace murmur::momentum
