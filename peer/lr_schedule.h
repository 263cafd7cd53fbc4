// The learning rate of a step: a linear warm-up, then either the peak rate (constant) or a cosine
// decay to zero at the run's last step. Under a decaying rate the models drift apart more slowly
// as training goes on, which is when a variance trigger (FDA) spaces its syncs out while a fixed
// period keeps syncing.
// Thread: any (pure).
#pragma once

#include <cstdint>
#include <string>

namespace murmur::peer {

enum class LrSchedule { kConstant, kCosine };

// "constant" or "cosine"; throws Error(kInvalidArgument) naming the choices otherwise.
LrSchedule lrScheduleFromName(const std::string& name);

struct LrScheduleOptions {
  LrSchedule schedule = LrSchedule::kConstant;
  std::int64_t warmupSteps = 100;  // linear warm-up from peak/warmupSteps to peak
  std::int64_t totalSteps = 0;     // the run's last step (cosine reaches zero there)
};

// The factor on the peak rate for the step after `stepsTaken` steps of this run (`localSteps` of
// them by this process: a resumed run warms up again, its fresh optimizer state needs it).
double learningRateScale(const LrScheduleOptions& o,
                         std::int64_t stepsTaken,
                         std::int64_t localSteps);

}  // namespace murmur::peer
