#include "runtime/manual_event_loop.h"

#include "runtime/error.h"

namespace murmur::runtime {

void ManualEventLoop::post(std::function<void()> fn) {
  posted_.push_back(std::move(fn));
}

TimerId ManualEventLoop::runAt(TimePoint when, std::function<void()> fn) {
  TimerId id = nextId_++;
  timers_.emplace(std::make_pair(when, id), std::move(fn));
  whenById_.emplace(id, when);
  return id;
}

void ManualEventLoop::cancel(TimerId id) {
  auto it = whenById_.find(id);
  if (it == whenById_.end()) {
    return;
  }
  timers_.erase(std::make_pair(it->second, id));
  whenById_.erase(it);
}

std::size_t ManualEventLoop::runReady() {
  std::size_t ran = 0;
  while (true) {
    if (!posted_.empty()) {
      auto fn = std::move(posted_.front());
      posted_.pop_front();
      fn();
      ++ran;
      continue;
    }
    if (!timers_.empty() && timers_.begin()->first.first <= now_) {
      auto node = timers_.extract(timers_.begin());
      whenById_.erase(node.key().second);
      node.mapped()();
      ++ran;
      continue;
    }
    return ran;
  }
}

std::size_t ManualEventLoop::advanceTo(TimePoint until) {
  MURMUR_CHECK(until >= now_, "manual event loop moved backwards");
  std::size_t ran = runReady();
  while (!timers_.empty() && timers_.begin()->first.first <= until) {
    now_ = timers_.begin()->first.first;
    ran += runReady();
  }
  now_ = until;
  return ran + runReady();
}

TimePoint ManualEventLoop::nextTimer() const {
  return timers_.empty() ? TimePoint::max() : timers_.begin()->first.first;
}

}  // namespace murmur::runtime
