#include "sync/fda_estimator.h"

#include <algorithm>
#include <cmath>

#include "runtime/error.h"

namespace murmur::sync {

const char* fdaVariantName(FdaVariant variant) {
  switch (variant) {
    case FdaVariant::kNaive:
      return "naive";
    case FdaVariant::kLinear:
      return "linear";
    case FdaVariant::kSketch:
      return "sketch";
  }
  return "?";
}

std::optional<FdaVariant> parseFdaVariant(const std::string& name) {
  for (FdaVariant v : {FdaVariant::kNaive, FdaVariant::kLinear, FdaVariant::kSketch}) {
    if (name == fdaVariantName(v)) {
      return v;
    }
  }
  return std::nullopt;
}

FdaState meanState(const std::vector<FdaState>& states) {
  MURMUR_REQUIRE(!states.empty(), "the mean of no FDA states");
  FdaState mean;
  mean.sketch.assign(states.front().sketch.size(), 0.0);
  const double k = static_cast<double>(states.size());
  for (const FdaState& s : states) {
    MURMUR_REQUIRE(s.sketch.size() == mean.sketch.size(), "FDA states of different variants");
    mean.a += s.a / k;
    mean.b += s.b / k;
    for (std::size_t c = 0; c < s.sketch.size(); ++c) {
      mean.sketch[c] += s.sketch[c] / k;
    }
  }
  return mean;
}

FdaEstimator::FdaEstimator(FdaVariant variant,
                           std::size_t numel,
                           std::uint64_t runSeed,
                           SketchShape sketch)
    : variant_(variant), numel_(numel) {
  MURMUR_REQUIRE(numel > 0, "FDA needs a model with parameters");
  if (variant == FdaVariant::kLinear) {
    setDirection(nullptr, nullptr);
  }
  if (variant == FdaVariant::kSketch) {
    sketch_.emplace(sketch, runSeed);
    drift_.resize(numel);
  }
}

void FdaEstimator::setDirection(const float* refNew, const float* refOld) {
  if (variant_ != FdaVariant::kLinear) {
    return;
  }
  xi_.resize(numel_);
  double norm2 = 0;
  if (refNew != nullptr && refOld != nullptr) {
    for (std::size_t i = 0; i < numel_; ++i) {
      const double step = static_cast<double>(refNew[i]) - refOld[i];
      norm2 += step * step;
    }
  }
  if (norm2 == 0) {
    const auto unit = static_cast<float>(1.0 / std::sqrt(static_cast<double>(numel_)));
    std::fill(xi_.begin(), xi_.end(), unit);
    return;
  }
  const double scale = 1.0 / std::sqrt(norm2);
  for (std::size_t i = 0; i < numel_; ++i) {
    xi_[i] = static_cast<float>((static_cast<double>(refNew[i]) - refOld[i]) * scale);
  }
}

FdaState FdaEstimator::localState(const float* x, const float* ref) {
  FdaState s;
  for (std::size_t i = 0; i < numel_; ++i) {
    // In double: A − B cancels, and exact differences keep the variance identity to ~1e-13.
    const double u = static_cast<double>(x[i]) - ref[i];
    s.a += u * u;
    if (variant_ == FdaVariant::kLinear) {
      s.b += xi_[i] * u;
    } else if (variant_ == FdaVariant::kSketch) {
      drift_[i] = static_cast<float>(u);  // the sketch is approximate anyway
    }
  }
  if (sketch_) {
    sketch_->clear();
    sketch_->add(drift_.data(), numel_);
    s.sketch = sketch_->cells();
  }
  return s;
}

double estimateVariance(FdaVariant variant, const FdaState& mean, SketchShape sketch) {
  switch (variant) {
    case FdaVariant::kNaive:
      return mean.a;
    case FdaVariant::kLinear:
      return mean.a - mean.b * mean.b;
    case FdaVariant::kSketch:
      return mean.a - AmsSketch::secondMoment(mean.sketch, sketch) /
                          (1 + 1 / std::sqrt(static_cast<double>(sketch.width)));
  }
  return mean.a;
}

double FdaEstimator::estimate(const FdaState& mean) const {
  return estimateVariance(variant_, mean, sketch_ ? sketch_->shape() : SketchShape{});
}

}  // namespace murmur::sync
