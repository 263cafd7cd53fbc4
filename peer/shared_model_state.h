// The one object the compute and comm threads share (ARCHITECTURE.md §3): A²CiD² state over the
// model's flat parameters, the local ODE clock, and the queue of exchanges waiting to be applied.
// Only the compute thread mutates x while it trains (exchanges are queued and replayed between
// steps in time order, specs/a2cid2.md §3.2), so forward/backward read x without the lock and
// without races. Once training ends, comm applies exchanges directly.
// Thread: any; every method takes the lock for element-wise work only, never for I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "momentum/acid_state.h"
#include "peer/buffer_pool.h"
#include "runtime/blob.h"
#include "runtime/clock.h"
#include "runtime/mutex.h"

namespace murmur::peer {

struct ModelClockOptions {
  double emaWeight = 0.05;           // weight of the newest step interval in the EMA
  double initialStepSeconds = 0.01;  // interval assumed before the first step is measured
};

class SharedModelState {
 public:
  // x: the model's flat parameters (numel floats, owned by the caller, outliving this object).
  SharedModelState(float* x,
                   std::size_t numel,
                   momentum::AcidParams params,
                   runtime::TimePoint start,
                   ModelClockOptions clock = {});

  // Compute thread, after backward: replays queued exchanges, mixes to now, then runs
  // `applyUpdate` (the optimizer step: an increment on x, which leaves the gap alone) under the
  // lock, and advances the step clock. Returns how many queued exchanges were applied.
  std::size_t gradientStep(runtime::TimePoint now, const std::function<void()>& applyUpdate);

  // Measures ½‖x_j − x_i‖² over the next exchange applied (a pass over the model, so only when
  // asked): the distance to a gossip partner, a local view of the swarm's consensus distance.
  void measurePartnerDistance();

  // The last measured partner distance (nullopt before any).
  std::optional<double> partnerDistance() const;

  // Compute thread: time spent outside training (evaluation) must not count as a step interval.
  void skipNextInterval();

  // Comm thread: a snapshot of x as of now (mixed, without changing the state) in a pooled buffer.
  std::shared_ptr<BufferPool::Buffer> snapshot(runtime::TimePoint now);

  // Comm thread: Δ = peer − self is to be applied as of now. While training, it is queued for the
  // compute thread; after stopTraining() it is applied at once. The blob and buffer stay alive
  // until then.
  void submitExchange(runtime::TimePoint now,
                      runtime::Blob peerSnapshot,
                      std::shared_ptr<const BufferPool::Buffer> selfSnapshot);

  // Comm thread: a global sync finished (specs/fda.md §4.3 step 4): x += mean − contributed (the
  // work done since the snapshot we contributed is kept) and d = 0, as of now. Queued behind the
  // exchanges already queued while training; applied at once otherwise.
  void submitInstall(runtime::TimePoint now,
                     std::uint64_t epoch,
                     std::shared_ptr<const std::vector<float>> mean,
                     std::shared_ptr<const std::vector<float>> contributed);

  // An install submitted but not yet applied (gossip must not snapshot meanwhile).
  bool installPending() const;

  struct Installed {
    std::uint64_t epoch = 0;
    std::shared_ptr<const std::vector<float>> mean;  // the new reference w_ref
  };

  // Compute thread: the newest install applied since the last call, if any.
  std::optional<Installed> takeInstalled();

  // Compute thread, waiting for a sync instead of stepping: applies what is queued now.
  void applyQueued(runtime::TimePoint now);

  // Training ended: apply what is queued and apply future exchanges immediately.
  void stopTraining(runtime::TimePoint now);

  // Replaces x by `values` (the exact swarm average) and zeroes the gap.
  void replaceParameters(const float* values);

  // Copies x (mixed to now) into `out` (numel floats).
  void copyParameters(runtime::TimePoint now, float* out);

  // Σ_k w_k (x_k + d_k/2) with fixed weights w_k = 1 + (k mod 7)/7: a linear functional of
  // x + x̃, which every exchange (pairwise) and every mix (per peer) conserves. With lr = 0 its sum
  // over the swarm must not move: a check of the whole exchange path on real runs.
  double conservedMoment() const;

  std::size_t numel() const { return numel_; }

  std::size_t pendingExchanges() const;

  // Mean wall seconds per gradient step (the ODE's time unit).
  double stepSeconds() const;

  BufferPool& pool() { return pool_; }

 private:
  // An exchange (peer, self) or, when `mean` is set, a sync's install (mean, contributed).
  struct PendingExchange {
    double time;
    runtime::Blob peer;
    std::shared_ptr<const BufferPool::Buffer> self;
    std::uint64_t epoch = 0;
    std::shared_ptr<const std::vector<float>> mean;
    std::shared_ptr<const std::vector<float>> contributed;
  };

  double normalizedTime(runtime::TimePoint now) const MURMUR_REQUIRES(mu_);
  void applyPending() MURMUR_REQUIRES(mu_);

  const std::size_t numel_;
  BufferPool pool_;
  const ModelClockOptions clockOptions_;
  mutable runtime::Mutex mu_;
  momentum::AcidState state_ MURMUR_GUARDED_BY(mu_);
  std::deque<PendingExchange> pending_ MURMUR_GUARDED_BY(mu_);
  bool training_ MURMUR_GUARDED_BY(mu_) = true;
  // ODE clock: normalized time = anchorTime_ + (now − anchorWall_) / stepSeconds_.
  double anchorTime_ MURMUR_GUARDED_BY(mu_) = 0;
  runtime::TimePoint anchorWall_ MURMUR_GUARDED_BY(mu_);
  double stepSeconds_ MURMUR_GUARDED_BY(mu_);
  bool skipInterval_ MURMUR_GUARDED_BY(mu_) = true;
  bool measureDistance_ MURMUR_GUARDED_BY(mu_) = false;
  std::optional<double> partnerDistance_ MURMUR_GUARDED_BY(mu_);
  std::size_t installsQueued_ MURMUR_GUARDED_BY(mu_) = 0;
  std::optional<Installed> installed_
      MURMUR_GUARDED_BY(mu_);  // the first interval includes start-up
  // Reused by snapshot(): never allocated per exchange.
  std::vector<momentum::AcidState::PendingExchange> pendingView_ MURMUR_GUARDED_BY(mu_);
  std::vector<float> gapScratch_ MURMUR_GUARDED_BY(mu_);
};

}  // namespace murmur::peer
