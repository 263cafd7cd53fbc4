// An EventLoop on virtual time: nothing happens until the test or simulator advances it, so
// protocol tests are deterministic and never sleep.
// Thread: single-threaded (post() is also expected from the driving thread).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <utility>

#include "runtime/event_loop.h"

namespace murmur::runtime {

class ManualEventLoop final : public EventLoop {
 public:
  void post(std::function<void()> fn) override;
  TimerId runAt(TimePoint when, std::function<void()> fn) override;
  void cancel(TimerId id) override;

  TimePoint now() const override { return now_; }

  // Runs posted tasks and due timers at the current time until none is left. Returns how many ran.
  std::size_t runReady();

  // Advances virtual time to `until`, firing timers in time order (ties in creation order) and
  // draining posted tasks after each. Returns how many callbacks ran.
  std::size_t advanceTo(TimePoint until);

  std::size_t advanceBy(Duration d) { return advanceTo(now_ + d); }

  // Time of the earliest pending timer, or TimePoint::max() when none.
  TimePoint nextTimer() const;

  bool idle() const { return posted_.empty() && timers_.empty(); }

 private:
  TimePoint now_{};
  TimerId nextId_ = 1;
  std::deque<std::function<void()>> posted_;
  // (when, id) → callback; id breaks ties in creation order.
  std::map<std::pair<TimePoint, TimerId>, std::function<void()>> timers_;
  std::map<TimerId, TimePoint> whenById_;
};

}  // namespace murmur::runtime
