#include "peer/sync_mailbox.h"

#include <algorithm>
#include <utility>

namespace murmur::peer {

void SyncMailbox::postState(PostedState posted) {
  std::lock_guard<std::mutex> lock(mu_);
  state_ = std::move(posted);
}

std::optional<SyncMailbox::PostedState> SyncMailbox::takeState() {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<PostedState> out = std::move(state_);
  state_.reset();
  return out;
}

void SyncMailbox::requestSync(std::uint64_t epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  request_ = epoch;
}

std::optional<std::uint64_t> SyncMailbox::takeRequest() {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<std::uint64_t> out = request_;
  request_.reset();
  return out;
}

void SyncMailbox::synced(std::uint64_t epoch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    synced_ = std::max(synced_, epoch);
  }
  changed_.notify_all();
}

void SyncMailbox::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  changed_.notify_all();
}

bool SyncMailbox::waitSynced(std::uint64_t epoch, runtime::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, timeout, [&] { return synced_ >= epoch || closed_; });
  return synced_ >= epoch;
}

}  // namespace murmur::peer
