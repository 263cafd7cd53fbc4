#include "sync/fda_threshold.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "runtime/error.h"

namespace murmur::sync {

FdaThreshold FdaThreshold::fixed(double theta) {
  MURMUR_REQUIRE(theta > 0 && std::isfinite(theta), "Θ must be a positive number, got ", theta);
  FdaThreshold t;
  t.theta_ = theta;
  return t;
}

FdaThreshold FdaThreshold::adaptive(std::size_t numel, std::uint64_t targetRoundSteps) {
  MURMUR_REQUIRE(numel > 0 && targetRoundSteps > 0, "adaptive Θ needs a model and a round length");
  FdaThreshold t;
  t.theta_ = kThetaPerParameter * static_cast<double>(numel);
  t.adaptive_ = true;
  t.target_ = targetRoundSteps;
  return t;
}

std::optional<FdaThreshold> FdaThreshold::parse(const std::string& text,
                                                std::size_t numel,
                                                std::uint64_t targetRoundSteps,
                                                std::string* error) {
  if (text == "auto") {
    return adaptive(numel, targetRoundSteps);
  }
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(value > 0) || !std::isfinite(value)) {
    if (error != nullptr) {
      *error = "Θ must be 'auto' or a positive number, got '" + text + "'";
    }
    return std::nullopt;
  }
  return fixed(value);
}

void FdaThreshold::roundEnded(std::uint64_t steps, double variance) {
  if (!adaptive_ || steps == 0 || !(variance > 0) || !std::isfinite(variance)) {
    return;  // a degenerate round teaches nothing
  }
  const double next = static_cast<double>(target_) / static_cast<double>(steps) * variance;
  // At most a factor 4 per round either way: one odd round must not swing Θ by orders.
  theta_ = std::clamp(next, theta_ / 4, theta_ * 4);
}

}  // namespace murmur::sync
