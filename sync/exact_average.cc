#include "sync/exact_average.h"

#include <algorithm>

#include "runtime/error.h"

namespace murmur::sync {

ExactAverage::ExactAverage(std::vector<runtime::PeerId> members, std::size_t numel)
    : members_(std::move(members)), numel_(numel) {
  std::sort(members_.begin(), members_.end());
}

bool ExactAverage::contribute(runtime::PeerId member, runtime::Blob model) {
  bool isMember = std::find(members_.begin(), members_.end(), member) != members_.end();
  if (!isMember || excused_.count(member.value) != 0 || models_.count(member.value) != 0 ||
      model.dtype != runtime::DType::kFloat32 || model.numel() != numel_) {
    return false;
  }
  models_.emplace(member.value, std::move(model));
  return true;
}

void ExactAverage::excuse(runtime::PeerId member) {
  excused_[member.value] = true;
  models_.erase(member.value);
}

bool ExactAverage::complete() const {
  return missing().empty();
}

std::vector<runtime::PeerId> ExactAverage::missing() const {
  std::vector<runtime::PeerId> out;
  for (runtime::PeerId member : members_) {
    if (models_.count(member.value) == 0 && excused_.count(member.value) == 0) {
      out.push_back(member);
    }
  }
  return out;
}

std::vector<runtime::PeerId> ExactAverage::contributors() const {
  std::vector<runtime::PeerId> out;
  for (const auto& entry : models_) {
    out.push_back(runtime::PeerId{entry.first});
  }
  return out;
}

void ExactAverage::average(float* out) const {
  MURMUR_CHECK(complete(), "average() before every member contributed");
  MURMUR_CHECK(!models_.empty(), "average() of no models");
  const double scale = 1.0 / static_cast<double>(models_.size());
  // Blocked so the double accumulator stays in cache; member order fixes the rounding.
  constexpr std::size_t kBlock = 4096;
  std::vector<double> acc(std::min(kBlock, numel_));
  for (std::size_t begin = 0; begin < numel_; begin += kBlock) {
    const std::size_t len = std::min(kBlock, numel_ - begin);
    std::fill(acc.begin(), acc.begin() + static_cast<std::ptrdiff_t>(len), 0.0);
    for (const auto& entry : models_) {
      const float* x = entry.second.as<float>() + begin;
      for (std::size_t i = 0; i < len; ++i) {
        acc[i] += x[i];
      }
    }
    for (std::size_t i = 0; i < len; ++i) {
      out[begin + i] = static_cast<float>(acc[i] * scale);
    }
  }
}

double ExactAverage::consensusDistance() const {
  if (models_.size() < 2) {
    return 0.0;
  }
  std::vector<float> mean(numel_);
  average(mean.data());
  double total = 0;
  for (const auto& entry : models_) {
    const float* x = entry.second.as<float>();
    for (std::size_t i = 0; i < numel_; ++i) {
      const double diff = static_cast<double>(x[i]) - mean[i];
      total += diff * diff;
    }
  }
  return total / static_cast<double>(models_.size());
}

}  // namespace murmur::sync
