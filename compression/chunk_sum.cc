#include "compression/chunk_sum.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "runtime/error.h"

namespace murmur::compression {
namespace {

constexpr std::size_t kMaxContributors = 4096;

// Wrapping, so that any order of additions gives the same bits (signed overflow is undefined).
std::int64_t wrappingAdd(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

std::size_t padded8(std::size_t bytes) {
  return (bytes + 7) / 8 * 8;
}

}  // namespace

std::string_view sumFormName(SumForm form) {
  switch (form) {
    case SumForm::kZero:
      return "zero";
    case SumForm::kList:
      return "list";
    case SumForm::kTable:
      return "lhc";
    case SumForm::kDense:
      return "dense";
  }
  return "unknown";
}

ChunkSummer::ChunkSummer(LhcGeometry geometry, std::uint64_t capacity)
    : codec_(geometry), capacity_(capacity), unit_(std::ldexp(1.0, -geometry.scaleExp)) {}

std::size_t ChunkSummer::listBytes(std::size_t entries) const {
  return 16 + padded8(4 * entries) + 8 * entries;
}

std::size_t ChunkSummer::tableBytes() const {
  return 16 + 8 * ((std::size_t{positions()} + 63) / 64) +
         8 * std::size_t{kLhcHashes} * codec_.geometry().subtableCells;
}

std::size_t ChunkSummer::denseBytes() const {
  return padded8(4 * std::size_t{positions()});
}

std::size_t ChunkSummer::wireBytes(const ChunkSum& sum) const {
  switch (sum.form) {
    case SumForm::kZero:
      return 0;
    case SumForm::kList:
      return listBytes(sum.positions.size());
    case SumForm::kTable:
      return tableBytes();
    case SumForm::kDense:
      return denseBytes();
  }
  return 0;
}

std::uint64_t ChunkSummer::checksumOf(const std::vector<std::uint32_t>& at,
                                      const std::vector<std::int64_t>& values) const {
  std::uint64_t checksum = 0;
  for (std::size_t i = 0; i < at.size(); ++i) {
    checksum += static_cast<std::uint64_t>(values[i]) * codec_.checksumWeight(at[i]);
  }
  return checksum;
}

LhcStatus ChunkSummer::quantize(const float* x) {
  ownPositions_.clear();
  ownValues_.clear();
  return codec_.forEachQuantized(x, [this](std::uint32_t p, std::int64_t q) {
    ownPositions_.push_back(p);
    ownValues_.push_back(q);
  });
}

void ChunkSummer::toDense(ChunkSum& sum) {
  sum.dense.assign(positions(), 0.0F);
  for (std::size_t i = 0; i < sum.positions.size(); ++i) {
    sum.dense[sum.positions[i]] = static_cast<float>(static_cast<double>(sum.values[i]) * unit_);
  }
  sum.form = SumForm::kDense;
  sum.positions.clear();
  sum.values.clear();
}

void ChunkSummer::settle(ChunkSum& sum) {
  const std::size_t n = sum.positions.size();
  if (n == 0) {
    sum.form = SumForm::kZero;
    return;
  }
  const std::size_t list = listBytes(n);
  const std::size_t table = n <= capacity_ ? tableBytes() : std::numeric_limits<std::size_t>::max();
  const std::size_t dense = denseBytes();
  if (list <= table && list <= dense) {
    return;
  }
  if (table <= dense) {
    codec_.clear(sum.table);
    codec_.insert(sum.positions.data(), sum.values.data(), n, sum.table);
    sum.table.checksum = sum.checksum;  // the contributors' own, not one made from what arrived
    sum.form = SumForm::kTable;
    sum.positions.clear();
    sum.values.clear();
    return;
  }
  toDense(sum);
}

LhcStatus ChunkSummer::add(const float* x, std::uint32_t id, ChunkSum& sum) {
  std::vector<std::uint32_t> contributors;
  contributors.reserve(sum.contributors.size() + 1);
  std::merge(sum.contributors.begin(),
             sum.contributors.end(),
             &id,
             &id + 1,
             std::back_inserter(contributors));
  if (!sortedUnique(contributors)) {
    return LhcStatus::kOverlap;  // addition is not idempotent: never count anyone twice
  }
  if (const LhcStatus status = quantize(x); status != LhcStatus::kOk) {
    return status;
  }
  const std::size_t own = ownPositions_.size();
  const std::uint64_t ownChecksum = checksumOf(ownPositions_, ownValues_);
  if (sum.contributors.empty()) {
    sum.form = SumForm::kZero;
  }
  if (sum.form == SumForm::kTable) {
    if (sum.table.nnzUpper + own <= capacity_) {
      codec_.insert(ownPositions_.data(), ownValues_.data(), own, sum.table);
      sum.contributors = std::move(contributors);
      sum.table.contributors = sum.contributors;
      return LhcStatus::kOk;
    }
    // The union may outgrow the table: decode it (it is within capacity, so it peels but for the
    // rare pair sharing all three cells) and go on from the exact list.
    sum.table.contributors = sum.contributors;
    if (const LhcStatus status = codec_.decode(sum.table, decoded_); status != LhcStatus::kOk) {
      return status;
    }
    sum.positions.clear();
    sum.values.clear();
    sum.checksum = sum.table.checksum;  // verified by the decode
    for (std::size_t r = 0; r < decoded_.positions.size(); ++r) {
      if (decoded_.values[r] != 0) {
        sum.positions.push_back(decoded_.positions[r]);
        sum.values.push_back(decoded_.values[r]);
      }
    }
    sum.form = SumForm::kList;
  }
  sum.contributors = std::move(contributors);
  switch (sum.form) {
    case SumForm::kDense:
      for (std::uint32_t p = 0; p < positions(); ++p) {
        sum.dense[p] += x[p];
      }
      return LhcStatus::kOk;
    case SumForm::kZero:
      sum.positions = ownPositions_;
      sum.values = ownValues_;
      sum.checksum = ownChecksum;
      break;
    case SumForm::kList: {
      mergedPositions_.clear();
      mergedValues_.clear();
      std::size_t a = 0;
      std::size_t b = 0;
      while (a < sum.positions.size() || b < own) {
        const std::uint32_t pa = a < sum.positions.size() ? sum.positions[a] : positions();
        const std::uint32_t pb = b < own ? ownPositions_[b] : positions();
        const std::uint32_t p = std::min(pa, pb);
        std::int64_t v = 0;
        if (pa == p) {
          v = wrappingAdd(v, sum.values[a++]);
        }
        if (pb == p) {
          v = wrappingAdd(v, ownValues_[b++]);
        }
        if (v != 0) {  // cancelled: out of the union
          mergedPositions_.push_back(p);
          mergedValues_.push_back(v);
        }
      }
      sum.positions.swap(mergedPositions_);
      sum.values.swap(mergedValues_);
      sum.checksum += ownChecksum;
      break;
    }
    case SumForm::kTable:
      break;  // handled above
  }
  sum.form = SumForm::kList;
  settle(sum);
  if (sum.form == SumForm::kTable) {
    sum.table.contributors = sum.contributors;
  }
  return LhcStatus::kOk;
}

LhcStatus ChunkSummer::validate(const ChunkSum& sum) const {
  if (sum.contributors.empty() || sum.contributors.size() > kMaxContributors ||
      !sortedUnique(sum.contributors)) {
    return LhcStatus::kMalformed;
  }
  switch (sum.form) {
    case SumForm::kZero:
      return LhcStatus::kOk;
    case SumForm::kList: {
      const bool ok =
          sum.positions.size() == sum.values.size() && sum.positions.size() <= positions() &&
          sortedUnique(sum.positions) &&
          (sum.positions.empty() || sum.positions.back() < positions()) &&
          std::none_of(sum.values.begin(), sum.values.end(), [](std::int64_t v) { return v == 0; });
      return ok ? LhcStatus::kOk : LhcStatus::kMalformed;
    }
    case SumForm::kTable:
      if (sum.table.contributors != sum.contributors) {
        return LhcStatus::kMalformed;
      }
      return codec_.validate(sum.table);
    case SumForm::kDense:
      if (sum.dense.size() != positions()) {
        return LhcStatus::kMalformed;
      }
      return std::all_of(
                 sum.dense.begin(), sum.dense.end(), [](float v) { return std::isfinite(v); })
                 ? LhcStatus::kOk
                 : LhcStatus::kNonFinite;
  }
  return LhcStatus::kMalformed;
}

LhcStatus ChunkSummer::finish(const ChunkSum& sum,
                              const float* reference,
                              double divisor,
                              float* out) {
  MURMUR_REQUIRE(divisor > 0, "chunk sum divisor ", divisor);
  const std::vector<std::uint32_t>* at = &sum.positions;
  const std::vector<std::int64_t>* values = &sum.values;
  if (sum.form == SumForm::kTable) {
    if (const LhcStatus status = codec_.decode(sum.table, decoded_); status != LhcStatus::kOk) {
      return status;  // before anything is written: never a partial mean
    }
    at = &decoded_.positions;
    values = &decoded_.values;
  } else if (sum.form == SumForm::kList && checksumOf(sum.positions, sum.values) != sum.checksum) {
    return LhcStatus::kInconsistent;  // changed on the way
  }
  std::copy(reference, reference + positions(), out);
  if (sum.form == SumForm::kDense) {
    for (std::uint32_t p = 0; p < positions(); ++p) {
      out[p] = static_cast<float>(static_cast<double>(reference[p]) +
                                  static_cast<double>(sum.dense[p]) / divisor);
    }
    return LhcStatus::kOk;
  }
  for (std::size_t r = 0; r < at->size(); ++r) {
    const std::uint32_t p = (*at)[r];
    // Σq·2^−s is exact in double (a power of two); then one division, one rounding to float.
    out[p] = static_cast<float>(static_cast<double>(reference[p]) +
                                static_cast<double>((*values)[r]) * unit_ / divisor);
  }
  return LhcStatus::kOk;
}

}  // namespace murmur::compression
