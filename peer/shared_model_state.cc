#include "peer/shared_model_state.h"

#include <cstring>

#include "runtime/error.h"

namespace murmur::peer {

SharedModelState::SharedModelState(float* x,
                                   std::size_t numel,
                                   momentum::AcidParams params,
                                   runtime::TimePoint start,
                                   ModelClockOptions clock)
    : numel_(numel),
      pool_(numel),
      clockOptions_(clock),
      state_(x, numel, params, 0.0),
      anchorWall_(start),
      stepSeconds_(clock.initialStepSeconds) {
  if (!params.isBaseline()) {
    gapScratch_.resize(numel);
  }
  MURMUR_REQUIRE(clock.emaWeight > 0 && clock.emaWeight <= 1, "EMA weight must be in (0, 1]");
  MURMUR_REQUIRE(clock.initialStepSeconds > 0, "initial step time must be > 0");
}

double SharedModelState::normalizedTime(runtime::TimePoint now) const {
  return anchorTime_ + runtime::toSeconds(now - anchorWall_) / stepSeconds_;
}

void SharedModelState::applyPending() {
  while (!pending_.empty()) {
    PendingExchange& next = pending_.front();
    if (next.mean) {
      state_.mixTo(next.time);
      state_.rebase(next.mean->data(), next.contributed->data());
      installed_ = Installed{next.epoch, next.mean};
      --installsQueued_;
    } else {
      if (measureDistance_) {
        // ½‖x_j − x_i‖² of the snapshots exchanged: with uniformly random partners, n/(n−1)
        // times the consensus distance (1/n)Σ‖x_k − x̄‖² in expectation.
        const float* peer = next.peer.as<float>();
        const float* self = next.self->data();
        double sum = 0;
        for (std::size_t i = 0; i < numel_; ++i) {
          const double d = static_cast<double>(peer[i]) - self[i];
          sum += d * d;
        }
        partnerDistance_ = sum / 2;
        measureDistance_ = false;
      }
      state_.mixAndApplyExchange(next.time, next.peer.as<float>(), next.self->data());
    }
    pending_.pop_front();
  }
}

std::size_t SharedModelState::gradientStep(runtime::TimePoint now,
                                           const std::function<void()>& applyUpdate) {
  runtime::MutexLock lock(mu_);
  std::size_t applied = pending_.size();
  applyPending();
  double t = normalizedTime(now);
  state_.mixTo(t);
  applyUpdate();
  double interval = runtime::toSeconds(now - anchorWall_);
  if (!skipInterval_ && interval > 0) {
    stepSeconds_ += clockOptions_.emaWeight * (interval - stepSeconds_);
  }
  skipInterval_ = false;
  anchorTime_ = t;
  anchorWall_ = now;
  return applied;
}

void SharedModelState::measurePartnerDistance() {
  runtime::MutexLock lock(mu_);
  measureDistance_ = true;
}

std::optional<double> SharedModelState::partnerDistance() const {
  runtime::MutexLock lock(mu_);
  return partnerDistance_;
}

void SharedModelState::skipNextInterval() {
  runtime::MutexLock lock(mu_);
  skipInterval_ = true;
}

std::shared_ptr<BufferPool::Buffer> SharedModelState::snapshot(runtime::TimePoint now) {
  std::shared_ptr<BufferPool::Buffer> buffer = pool_.acquire();
  runtime::MutexLock lock(mu_);
  // Exchanges already agreed on are part of x as the peer must see it.
  if (!training_) {
    applyPending();
  }
  pendingView_.clear();
  for (const PendingExchange& p : pending_) {
    if (p.mean) {
      break;  // gossip waits for installs (Peer); nothing after one can be predicted here
    }
    pendingView_.push_back({p.time, p.peer.as<float>(), p.self->data()});
  }
  state_.predictAt(pendingView_, normalizedTime(now), buffer->data(), gapScratch_.data());
  return buffer;
}

void SharedModelState::submitExchange(runtime::TimePoint now,
                                      runtime::Blob peerSnapshot,
                                      std::shared_ptr<const BufferPool::Buffer> selfSnapshot) {
  MURMUR_CHECK(peerSnapshot.numel() == numel_ && peerSnapshot.dtype == runtime::DType::kFloat32,
               "peer snapshot of the wrong size reached the model");
  MURMUR_CHECK(selfSnapshot && selfSnapshot->size() == numel_, "missing own snapshot");
  runtime::MutexLock lock(mu_);
  pending_.push_back(PendingExchange{
      normalizedTime(now), std::move(peerSnapshot), std::move(selfSnapshot), 0, nullptr, nullptr});
  if (!training_) {
    applyPending();
  }
}

void SharedModelState::submitInstall(runtime::TimePoint now,
                                     std::uint64_t epoch,
                                     std::shared_ptr<const std::vector<float>> mean,
                                     std::shared_ptr<const std::vector<float>> contributed) {
  MURMUR_CHECK(mean && contributed && mean->size() == numel_ && contributed->size() == numel_,
               "a sync's average of the wrong size reached the model");
  runtime::MutexLock lock(mu_);
  pending_.push_back(PendingExchange{normalizedTime(now),
                                     runtime::Blob{},
                                     nullptr,
                                     epoch,
                                     std::move(mean),
                                     std::move(contributed)});
  ++installsQueued_;
  if (!training_) {
    applyPending();
  }
}

bool SharedModelState::installPending() const {
  runtime::MutexLock lock(mu_);
  return installsQueued_ > 0;
}

std::optional<SharedModelState::Installed> SharedModelState::takeInstalled() {
  runtime::MutexLock lock(mu_);
  std::optional<Installed> out = std::move(installed_);
  installed_.reset();
  return out;
}

void SharedModelState::applyQueued(runtime::TimePoint now) {
  runtime::MutexLock lock(mu_);
  applyPending();
  state_.mixTo(normalizedTime(now));
}

void SharedModelState::stopTraining(runtime::TimePoint now) {
  runtime::MutexLock lock(mu_);
  training_ = false;
  applyPending();
  state_.mixTo(normalizedTime(now));
}

void SharedModelState::replaceParameters(const float* values) {
  runtime::MutexLock lock(mu_);
  MURMUR_CHECK(pending_.empty() || !training_, "replacing parameters mid-training");
  pending_.clear();
  installsQueued_ = 0;
  state_.assign(values);
}

void SharedModelState::copyParameters(runtime::TimePoint now, float* out) {
  runtime::MutexLock lock(mu_);
  if (!training_) {
    applyPending();
  }
  state_.snapshotAt(normalizedTime(now), out);
}

double SharedModelState::conservedMoment() const {
  runtime::MutexLock lock(mu_);
  MURMUR_CHECK(pending_.empty(), "conservedMoment() with exchanges still queued");
  const float* x = state_.x();
  const float* d = state_.gap();
  double total = 0;
  for (std::size_t k = 0; k < numel_; ++k) {
    double weight = 1.0 + static_cast<double>(k % 7) / 7.0;
    total += weight * (static_cast<double>(x[k]) + (d != nullptr ? 0.5 * d[k] : 0.0));
  }
  return total;
}

std::size_t SharedModelState::pendingExchanges() const {
  runtime::MutexLock lock(mu_);
  return pending_.size();
}

double SharedModelState::stepSeconds() const {
  runtime::MutexLock lock(mu_);
  return stepSeconds_;
}

}  // namespace murmur::peer
