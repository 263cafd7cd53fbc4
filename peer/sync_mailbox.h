// The hand-off between the compute thread and the comm thread for global syncs (issue 4): compute
// posts its FDA local state after a check and, in the lockstep modes (every-step, periodic), asks
// for the next sync and waits for it; comm takes both and says when a sync's install was queued.
// Thread: any; every method takes a short lock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

#include "runtime/clock.h"
#include "sync/fda_estimator.h"

namespace murmur::peer {

class SyncMailbox {
 public:
  struct PostedState {
    std::uint64_t epoch = 0;  // of the reference the drift is measured from
    std::uint64_t step = 0;
    sync::FdaState state;
  };

  // Compute: our newest local state (replaces an older one comm has not taken yet).
  void postState(PostedState posted);
  std::optional<PostedState> takeState();

  // Compute: we want the sync after `epoch` (lockstep modes), then waitSynced(epoch + 1).
  void requestSync(std::uint64_t epoch);
  std::optional<std::uint64_t> takeRequest();

  // Comm: the install of `epoch` is queued in the model (SharedModelState::submitInstall).
  void synced(std::uint64_t epoch);

  // Comm: no sync will come any more (the comm thread stops): waiters return.
  void close();

  // Compute: blocks until `epoch` is synced or the mailbox closed, at most `timeout`; true if
  // synced.
  bool waitSynced(std::uint64_t epoch, runtime::Duration timeout);

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::optional<PostedState> state_;
  std::optional<std::uint64_t> request_;
  std::uint64_t synced_ = 0;
  bool closed_ = false;
};

}  // namespace murmur::peer
