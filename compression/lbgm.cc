#include "compression/lbgm.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "compression/float_bits.h"
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

std::uint64_t rotl64(std::uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

// The payload words of one unit starting at `words` (`available` of them left), or 0 when they do
// not form a valid unit of `numel` elements: non-finite values; a SPARSE count out of (0, numel]
// or indices that are not increasing within [0, numel).
std::size_t unitWords(LbgmMode mode, std::size_t numel, const float* words, std::size_t available) {
  switch (mode) {
    case LbgmMode::kSkip:
    case LbgmMode::kScalar:
      return 0;
    case LbgmMode::kFull:
    case LbgmMode::kReset:
      return numel <= available && allFinite(words, numel) ? numel : 0;
    case LbgmMode::kSign: {
      const std::size_t count = 1 + (numel + 31) / 32;
      if (count > available || !allFinite(words, 1)) {
        return 0;
      }
      const std::size_t tail = numel % 32;
      if (tail != 0 && (floatBits(words[count - 1]) >> tail) != 0) {
        return 0;  // padding bits set
      }
      return count;
    }
    case LbgmMode::kSparse: {
      if (available == 0) {
        return 0;
      }
      const std::size_t k = floatBits(words[0]);
      if (k == 0 || k > numel || 1 + 2 * k > available || !allFinite(words + 1 + k, k)) {
        return 0;
      }
      std::int64_t previous = -1;
      for (std::size_t i = 0; i < k; ++i) {
        const std::uint32_t index = floatBits(words[1 + i]);
        if (index <= previous || index >= numel) {
          return 0;
        }
        previous = index;
      }
      return 1 + 2 * k;
    }
  }
  return 0;
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
    case LbgmMode::kSparse:
      return "sparse";
    case LbgmMode::kSign:
      return "sign";
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

void lbgmConsensusViews(const float* self,
                        const float* partner,
                        float* selfOut,
                        float* partnerOut,
                        std::size_t n,
                        float c) {
  for (std::size_t i = 0; i < n; ++i) {
    const float a = self[i];
    const float b = partner[i];
    selfOut[i] = a + c * (b - a);
    partnerOut[i] = b + c * (a - b);
  }
}

void requireLbgmGamma(double gamma) {
  MURMUR_REQUIRE(gamma > 0 && gamma <= 0.5,
                 "--lbgm-gamma must be in (0, 0.5], got ",
                 gamma,
                 " (the midpoint exchange is 0.5)");
}

void requireLbgmTopk(double fraction) {
  MURMUR_REQUIRE(
      fraction >= 0 && fraction < 1, "--lbgm-topk must be in [0, 1) (0: off), got ", fraction);
}

std::size_t lbgmTopkCount(std::size_t n, double fraction) {
  if (fraction <= 0) {
    return 0;
  }
  const auto k = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(n)));
  // 1 + 2k words against n dense ones.
  return 1 + 2 * k < n ? std::max<std::size_t>(k, 1) : 0;
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

LbgmPublicCopy::LbgmPublicCopy(std::vector<LbgmUnit> units, LbgmOptions options)
    : units_(std::move(units)), options_(options) {
  requireLbgmDelta(options_.delta);
  requireLbgmTopk(options_.topk);
  MURMUR_REQUIRE(!(options_.sign && options_.topk > 0),
                 "LBGM stacks on top-k or on sign, not both (--lbgm-topk with --lbgm-sign)");
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

std::uint64_t LbgmPublicCopy::digest() const {
  // Multiply-rotate over 32-bit words in four independent lanes (memory speed), then mixed.
  std::array<std::uint64_t, 4> lanes = {
      0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL, 0x165667b19e3779f9ULL, 0x27d4eb2f165667c5ULL};
  const std::size_t n = values_.size();
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (std::size_t l = 0; l < 4; ++l) {
      const std::uint64_t word = floatBits(values_[i + l]);
      lanes[l] = rotl64((lanes[l] ^ word) * 0x9fb21c651e98df25ULL, 29);
    }
  }
  std::uint64_t h = n;
  for (; i < n; ++i) {
    h = rotl64((h ^ floatBits(values_[i])) * 0x9fb21c651e98df25ULL, 29);
  }
  for (std::uint64_t lane : lanes) {
    h = rotl64((h ^ lane) * 0xff51afd7ed558ccdULL, 31);
  }
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h == 0 ? 1 : h;  // 0 means "no digest" on the wire
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
    case LbgmMode::kSign: {
      const float a = data[0];
      const float* bits = data + 1;
      for (std::size_t i = 0; i < unit.numel; ++i) {
        const bool negative = ((floatBits(bits[i / 32]) >> (i % 32)) & 1U) != 0;
        xhat[i] += negative ? -a : a;
        lbg[i] = negative ? -1.0F : 1.0F;
      }
      hasLbg_[u] = 1;
      return;
    }
    case LbgmMode::kSparse: {
      const std::size_t k = floatBits(data[0]);
      const float* indices = data + 1;
      const float* values = data + 1 + k;
      std::fill(lbg, lbg + unit.numel, 0.0F);
      for (std::size_t i = 0; i < k; ++i) {
        const std::uint32_t index = floatBits(indices[i]);
        xhat[index] += values[i];
        lbg[index] = values[i];
      }
      hasLbg_[u] = 1;
      return;
    }
  }
}

void LbgmPublicCopy::signify(std::size_t u, std::vector<float>& payload) {
  const LbgmUnit& unit = units_[u];
  float* d = update_.data() + unit.offset;
  double l1 = 0;
  for (std::size_t i = 0; i < unit.numel; ++i) {
    l1 += std::fabs(static_cast<double>(d[i]));
  }
  const auto a = static_cast<float>(l1 / static_cast<double>(unit.numel));
  payload.push_back(a);
  const std::size_t first = payload.size();
  payload.resize(first + (unit.numel + 31) / 32, floatFromBits(0));
  for (std::size_t i = 0; i < unit.numel; ++i) {
    const bool negative = d[i] < 0;
    if (negative) {
      float& word = payload[first + i / 32];
      word = floatFromBits(floatBits(word) | (1U << (i % 32)));
    }
    d[i] = negative ? -a : a;  // s = a·sign(D), for the test against the look-back vector
  }
}

void LbgmPublicCopy::sparsify(std::size_t u, std::size_t k, std::vector<float>& payload) {
  const LbgmUnit& unit = units_[u];
  float* d = update_.data() + unit.offset;
  order_.resize(unit.numel);
  for (std::uint32_t i = 0; i < unit.numel; ++i) {
    order_[i] = i;
  }
  std::nth_element(
      order_.begin(),
      order_.begin() + static_cast<std::ptrdiff_t>(k - 1),
      order_.end(),
      [d](std::uint32_t a, std::uint32_t b) { return std::fabs(d[a]) > std::fabs(d[b]); });
  std::sort(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(k));
  payload.push_back(floatFromBits(static_cast<std::uint32_t>(k)));
  for (std::size_t i = 0; i < k; ++i) {
    payload.push_back(floatFromBits(order_[i]));
  }
  for (std::size_t i = 0; i < k; ++i) {
    payload.push_back(d[order_[i]]);
  }
  // s = top-k(D), dense, for the test against the look-back vector.
  std::fill(d, d + unit.numel, 0.0F);
  const float* values = payload.data() + payload.size() - k;
  for (std::size_t i = 0; i < k; ++i) {
    d[order_[i]] = values[i];
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
    const std::size_t k = lbgmTopkCount(unit.numel, options_.topk);
    const std::size_t start = out.payload.size();
    const bool packed = k > 0 || options_.sign;
    if (k > 0) {
      sparsify(u, k, out.payload);  // d now holds s = top-k(D)
    } else if (options_.sign) {
      signify(u, out.payload);  // d now holds s = a·sign(D)
    }
    LbgmDecision decision = lbgmDecide(
        d, hasLbg_[u] != 0 ? lookBack_.data() + unit.offset : nullptr, unit.numel, options_.delta);
    if (decision.mode == LbgmMode::kFull && packed) {
      decision.mode = k > 0 ? LbgmMode::kSparse : LbgmMode::kSign;
    }
    out.units[u] = LbgmUnitHeader{decision.mode, decision.rho};
    switch (decision.mode) {
      case LbgmMode::kFull:
        out.payload.insert(out.payload.end(), d, d + unit.numel);
        ++stats_[u].full;
        break;
      case LbgmMode::kSparse:
      case LbgmMode::kSign:
        ++stats_[u].full;
        break;
      case LbgmMode::kScalar:
        out.payload.resize(start);
        ++stats_[u].scalar;
        break;
      default:
        out.payload.resize(start);
        ++stats_[u].skip;
        break;
    }
    applyUnit(u, out.units[u], packed ? out.payload.data() + start : d);
  }
}

LbgmApplied LbgmPublicCopy::apply(const LbgmMessage& message) {
  if (message.units.size() != units_.size()) {
    return LbgmApplied::kMalformed;
  }
  const bool reset = message.isReset();
  std::size_t used = 0;
  bool needsLookBack = false;
  for (std::size_t u = 0; u < units_.size(); ++u) {
    const LbgmUnitHeader& header = message.units[u];
    if (header.mode > LbgmMode::kSign || (header.mode == LbgmMode::kReset) != reset ||
        (header.mode == LbgmMode::kScalar && !std::isfinite(header.rho))) {
      return LbgmApplied::kMalformed;
    }
    const std::size_t words = unitWords(
        header.mode, units_[u].numel, message.payload.data() + used, message.payload.size() - used);
    if (words == 0 && header.mode != LbgmMode::kSkip && header.mode != LbgmMode::kScalar) {
      return LbgmApplied::kMalformed;
    }
    used += words;
    needsLookBack |= header.mode == LbgmMode::kScalar && hasLbg_[u] == 0;
  }
  if (used != message.payload.size()) {
    return LbgmApplied::kMalformed;
  }
  if (!reset && (!hasState_ || message.seq != seq_ + 1 || needsLookBack)) {
    return LbgmApplied::kOutOfSync;
  }
  std::size_t offset = 0;
  for (std::size_t u = 0; u < units_.size(); ++u) {
    const float* data = message.payload.data() + offset;
    offset +=
        unitWords(message.units[u].mode, units_[u].numel, data, message.payload.size() - offset);
    applyUnit(u, message.units[u], data);
  }
  seq_ = message.seq;
  hasState_ = true;
  return LbgmApplied::kApplied;
}

}  // namespace murmur::compression
