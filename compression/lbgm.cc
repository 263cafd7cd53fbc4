#include "compression/lbgm.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/error.h"

namespace murmur::compression {
namespace {

// Squared norms at or below this are "zero": such an update is skipped (its residual stays in
// x − x̂) and never becomes a look-back vector (specs/lbgm.md pitfall 1).
constexpr double kTinySquaredNorm = 1e-30;

double dot64(const float* a, const float* b, std::size_t n) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sum += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  }
  return sum;
}

bool allFinite(const float* v, std::size_t n) {
  std::uint32_t nonFinite = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, v + i, sizeof bits);
    nonFinite |= static_cast<std::uint32_t>((bits & 0x7f800000U) == 0x7f800000U);
  }
  return nonFinite == 0;
}

bool carriesValues(LbgmMode mode) {
  return mode == LbgmMode::kFull || mode == LbgmMode::kReset;
}

}  // namespace

std::string_view lbgmModeName(LbgmMode mode) {
  switch (mode) {
    case LbgmMode::kSkip:
      return "skip";
    case LbgmMode::kScalar:
      return "scalar";
    case LbgmMode::kFull:
      return "full";
    case LbgmMode::kReset:
      return "reset";
  }
  return "unknown";
}

std::string_view lbgmAppliedName(LbgmApplied applied) {
  switch (applied) {
    case LbgmApplied::kApplied:
      return "applied";
    case LbgmApplied::kOutOfSync:
      return "out_of_sync";
    case LbgmApplied::kMalformed:
      return "malformed";
  }
  return "unknown";
}

std::vector<LbgmUnit> lbgmUnits(const std::vector<std::size_t>& tensorSizes) {
  std::vector<LbgmUnit> units;
  bool lastIsSmall = false;
  std::size_t offset = 0;
  for (std::size_t size : tensorSizes) {
    if (size == 0) {
      continue;
    }
    const bool small = size < kLbgmSmallTensor;
    if (small && lastIsSmall) {
      units.back().numel += size;
    } else {
      units.push_back(LbgmUnit{offset, size});
    }
    lastIsSmall = small;
    offset += size;
  }
  return units;
}

void requireLbgmDelta(double delta) {
  MURMUR_REQUIRE(delta > 0 && delta < 1,
                 "--lbgm-delta must be in (0, 1), got ",
                 delta,
                 " (at 1 or more every update would reuse, even against nothing)");
}

LbgmDecision lbgmDecide(const float* v, const float* lbg, std::size_t n, double delta) {
  const double vv = dot64(v, v, n);
  if (vv <= kTinySquaredNorm) {
    return {LbgmMode::kSkip, 0};
  }
  if (lbg == nullptr) {
    return {LbgmMode::kFull, 0};
  }
  const double ll = dot64(lbg, lbg, n);
  if (ll <= kTinySquaredNorm) {
    return {LbgmMode::kFull, 0};
  }
  const double vl = dot64(v, lbg, n);
  const double sin2 = std::clamp(1.0 - vl * vl / (vv * ll), 0.0, 1.0);
  const auto rho = static_cast<float>(vl / ll);
  if (sin2 <= delta && std::isfinite(rho)) {
    return {LbgmMode::kScalar, rho};
  }
  return {LbgmMode::kFull, 0};
}

LbgmPublicCopy::LbgmPublicCopy(std::vector<LbgmUnit> units, double delta)
    : units_(std::move(units)), delta_(delta) {
  requireLbgmDelta(delta);
  std::size_t offset = 0;
  for (const LbgmUnit& unit : units_) {
    MURMUR_REQUIRE(unit.offset == offset && unit.numel > 0,
                   "LBGM units must tile the parameters: unit at ",
                   unit.offset,
                   " of ",
                   unit.numel,
                   " elements, expected one at ",
                   offset);
    offset += unit.numel;
  }
  values_.assign(offset, 0.0F);
  lookBack_.assign(offset, 0.0F);
  update_.assign(offset, 0.0F);
  hasLbg_.assign(units_.size(), 0);
  stats_.assign(units_.size(), LbgmUnitStats{});
}

void LbgmPublicCopy::clear() {
  hasState_ = false;
  std::fill(hasLbg_.begin(), hasLbg_.end(), 0);
}

// The one reconstruction kernel both ends run (built with -ffp-contract=off: no FMA may change
// the bits of x̂ += ρ·L between two machines).
void LbgmPublicCopy::applyUnit(std::size_t u, LbgmUnitHeader header, const float* data) {
  const LbgmUnit& unit = units_[u];
  float* xhat = values_.data() + unit.offset;
  float* lbg = lookBack_.data() + unit.offset;
  switch (header.mode) {
    case LbgmMode::kSkip:
      return;
    case LbgmMode::kScalar:
      for (std::size_t i = 0; i < unit.numel; ++i) {
        xhat[i] += header.rho * lbg[i];
      }
      return;
    case LbgmMode::kFull:
      for (std::size_t i = 0; i < unit.numel; ++i) {
        xhat[i] += data[i];
      }
      std::memcpy(lbg, data, unit.numel * sizeof(float));
      hasLbg_[u] = 1;
      return;
    case LbgmMode::kReset:
      std::memcpy(xhat, data, unit.numel * sizeof(float));
      hasLbg_[u] = 0;  // never make a parameter vector the look-back vector
      return;
  }
}

void LbgmPublicCopy::publish(const float* x, bool reset, LbgmMessage& out) {
  out.units.resize(units_.size());
  out.payload.clear();
  out.seq = ++seq_;
  if (reset || !hasState_) {
    out.payload.assign(x, x + values_.size());
    for (std::size_t u = 0; u < units_.size(); ++u) {
      out.units[u] = LbgmUnitHeader{LbgmMode::kReset, 0};
      applyUnit(u, out.units[u], x + units_[u].offset);
      ++stats_[u].reset;
    }
    hasState_ = true;
    return;
  }
  for (std::size_t u = 0; u < units_.size(); ++u) {
    const LbgmUnit& unit = units_[u];
    float* d = update_.data() + unit.offset;
    const float* xhat = values_.data() + unit.offset;
    for (std::size_t i = 0; i < unit.numel; ++i) {
      d[i] = x[unit.offset + i] - xhat[i];  // includes the residual of every earlier publish
    }
    const LbgmDecision decision = lbgmDecide(
        d, hasLbg_[u] != 0 ? lookBack_.data() + unit.offset : nullptr, unit.numel, delta_);
    out.units[u] = LbgmUnitHeader{decision.mode, decision.rho};
    if (decision.mode == LbgmMode::kFull) {
      out.payload.insert(out.payload.end(), d, d + unit.numel);
      ++stats_[u].full;
    } else if (decision.mode == LbgmMode::kScalar) {
      ++stats_[u].scalar;
    } else {
      ++stats_[u].skip;
    }
    applyUnit(u, out.units[u], d);
  }
}

LbgmApplied LbgmPublicCopy::apply(const LbgmMessage& message) {
  if (message.units.size() != units_.size()) {
    return LbgmApplied::kMalformed;
  }
  const bool reset = message.isReset();
  std::size_t expected = 0;
  bool needsLookBack = false;
  for (std::size_t u = 0; u < units_.size(); ++u) {
    const LbgmUnitHeader& header = message.units[u];
    if (header.mode > LbgmMode::kReset || (header.mode == LbgmMode::kReset) != reset ||
        (header.mode == LbgmMode::kScalar && !std::isfinite(header.rho))) {
      return LbgmApplied::kMalformed;
    }
    if (carriesValues(header.mode)) {
      expected += units_[u].numel;
    }
    needsLookBack |= header.mode == LbgmMode::kScalar && hasLbg_[u] == 0;
  }
  if (message.payload.size() != expected ||
      !allFinite(message.payload.data(), message.payload.size())) {
    return LbgmApplied::kMalformed;
  }
  if (!reset && (!hasState_ || message.seq != seq_ + 1 || needsLookBack)) {
    return LbgmApplied::kOutOfSync;
  }
  const float* data = message.payload.data();
  for (std::size_t u = 0; u < units_.size(); ++u) {
    applyUnit(u, message.units[u], data);
    if (carriesValues(message.units[u].mode)) {
      data += units_[u].numel;
    }
  }
  seq_ = message.seq;
  hasState_ = true;
  return LbgmApplied::kApplied;
}

}  // namespace murmur::compression
