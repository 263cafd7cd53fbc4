#include "peer/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "runtime/error.h"

namespace murmur::peer {
namespace {

constexpr double kPi = 3.14159265358979323846;

}  // namespace

LrSchedule lrScheduleFromName(const std::string& name) {
  if (name == "constant") {
    return LrSchedule::kConstant;
  }
  if (name == "cosine") {
    return LrSchedule::kCosine;
  }
  MURMUR_THROW(kInvalidArgument, "unknown learning-rate schedule '", name, "' (constant, cosine)");
}

double learningRateScale(const LrScheduleOptions& o,
                         std::int64_t stepsTaken,
                         std::int64_t localSteps) {
  const double warmup =
      o.warmupSteps > 0
          ? std::min(1.0, static_cast<double>(localSteps + 1) / static_cast<double>(o.warmupSteps))
          : 1.0;
  if (o.schedule == LrSchedule::kConstant || o.totalSteps <= 0) {
    return warmup;
  }
  // Cosine over the steps after the warm-up: 1 at its end, reaching 0 just after the last step.
  const double begin = static_cast<double>(std::min(o.warmupSteps, o.totalSteps));
  const double span = static_cast<double>(o.totalSteps) - begin;
  const double into = std::clamp(static_cast<double>(stepsTaken) - begin, 0.0, span);
  const double cosine = span > 0 ? 0.5 * (1.0 + std::cos(kPi * into / span)) : 1.0;
  return warmup * cosine;
}

}  // namespace murmur::peer
