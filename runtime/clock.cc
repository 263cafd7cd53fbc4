#include "runtime/clock.h"

#include "runtime/error.h"

namespace murmur::runtime {

TimePoint SteadyClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

void ManualClock::advanceTo(TimePoint t) {
  MURMUR_CHECK(t >= now_, "manual clock moved backwards");
  now_ = t;
}

}  // namespace murmur::runtime
