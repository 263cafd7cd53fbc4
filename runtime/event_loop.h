// The event-loop interface the comm thread runs on: posted tasks and one-shot timers.
// Implementations: ManualEventLoop (virtual time, tests and simulation) here; the ZeroMQ-polling
// loop lives in peer/transport/ because it owns sockets.
#pragma once

#include <cstdint>
#include <functional>

#include "runtime/clock.h"

namespace murmur::runtime {

using TimerId = std::uint64_t;

// Thread: post() from any thread; everything else from the loop's own thread.
class EventLoop {
 public:
  virtual ~EventLoop() = default;

  // Runs fn on the loop thread soon, in posting order. Safe from any thread.
  virtual void post(std::function<void()> fn) = 0;

  // Runs fn once at or after `when`. Returns an id for cancel().
  virtual TimerId runAt(TimePoint when, std::function<void()> fn) = 0;

  // Cancels a timer that has not fired; unknown or fired ids are ignored.
  virtual void cancel(TimerId id) = 0;

  // The loop's notion of now (steady or virtual).
  virtual TimePoint now() const = 0;

  TimerId runAfter(Duration delay, std::function<void()> fn) {
    return runAt(now() + delay, std::move(fn));
  }
};

}  // namespace murmur::runtime
