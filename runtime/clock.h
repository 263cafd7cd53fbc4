// Time sources: the steady clock peers read, and a manual clock tests and the simulator advance.
// Only peer/ and tools/ read clocks; algorithm folders take time as an argument.
#pragma once

#include <chrono>

namespace murmur::runtime {

using Duration = std::chrono::nanoseconds;
// A point on a monotonic timeline whose origin is the clock's own.
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

// Seconds as a double, for the ODE and for reports.
inline double toSeconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

inline Duration fromSeconds(double seconds) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

// Thread: any (implementations are safe for concurrent now()).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// std::chrono::steady_clock.
class SteadyClock final : public Clock {
 public:
  TimePoint now() const override;
};

// A clock that moves only when told to. Thread: any, but advancing while others read is racy by
// design of the tests that use it (single-threaded).
class ManualClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }

  // Moves time forward; moving backwards is a bug (throws Error(kInternal)).
  void advanceTo(TimePoint t);

  void advanceBy(Duration d) { advanceTo(now_ + d); }

 private:
  TimePoint now_{};
};

}  // namespace murmur::runtime
