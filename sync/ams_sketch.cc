#include "sync/ams_sketch.h"

#include <algorithm>
#include <cmath>

#include "runtime/error.h"
#include "runtime/rng.h"

namespace murmur::sync {

std::uint64_t hash31(std::uint64_t x, std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = a * x + b;  // < 2⁶³ + 2³¹: fits
  r = (r & kMersenne31) + (r >> 31);
  r = (r & kMersenne31) + (r >> 31);
  return r >= kMersenne31 ? r - kMersenne31 : r;
}

AmsSketch::AmsSketch(SketchShape shape, std::uint64_t runSeed) : shape_(shape), seed_(runSeed) {
  MURMUR_REQUIRE(
      shape.depth % 2 == 1, "sketch depth must be odd (the median row), got ", shape.depth);
  MURMUR_REQUIRE(shape.width > 0, "sketch width must be > 0");
  runtime::Rng rng = runtime::Rng(runSeed).fork("fda-ams-sketch");
  coefficients_.resize(6 * static_cast<std::size_t>(shape.depth));
  for (std::uint64_t& f : coefficients_) {
    f = rng.below(kMersenne31);  // uniform in [0, 2³¹ − 1)
  }
  cells_.assign(static_cast<std::size_t>(shape.depth) * shape.width, 0.0);
}

std::uint32_t AmsSketch::bucket(std::uint32_t row, std::uint64_t coordinate) const {
  const std::uint64_t* f = &coefficients_[6 * static_cast<std::size_t>(row)];
  return static_cast<std::uint32_t>(hash31(coordinate, f[0], f[1]) % shape_.width);
}

int AmsSketch::sign(std::uint32_t row, std::uint64_t coordinate) const {
  // A cubic in Horner form (4-wise independent); the sign is bit 15 of the result.
  const std::uint64_t* f = &coefficients_[6 * static_cast<std::size_t>(row)];
  std::uint64_t t = hash31(coordinate, f[2], f[3]);
  t = hash31(coordinate, t, f[4]);
  t = hash31(coordinate, t, f[5]);
  return (t >> 15) & 1U ? 1 : -1;
}

template <typename T>
void AmsSketch::addAny(const T* v, std::size_t n, std::uint64_t offset) {
  MURMUR_REQUIRE(offset + n <= (std::uint64_t{1} << 32),
                 "sketched vectors hold at most 2³² values");
  // Row by row: each row's W buckets stay in cache while the whole vector streams past.
  for (std::uint32_t j = 0; j < shape_.depth; ++j) {
    double* row = &cells_[static_cast<std::size_t>(j) * shape_.width];
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t x = offset + i;
      row[bucket(j, x)] += sign(j, x) * static_cast<double>(v[i]);
    }
  }
}

void AmsSketch::add(const float* v, std::size_t n, std::uint64_t offset) {
  addAny(v, n, offset);
}

void AmsSketch::add(const double* v, std::size_t n, std::uint64_t offset) {
  addAny(v, n, offset);
}

void AmsSketch::addScaled(const AmsSketch& other, double alpha) {
  MURMUR_REQUIRE(other.shape_.depth == shape_.depth && other.shape_.width == shape_.width &&
                     other.seed_ == seed_,
                 "sketches of different shapes or seeds cannot be combined");
  for (std::size_t k = 0; k < cells_.size(); ++k) {
    cells_[k] += alpha * other.cells_[k];
  }
}

void AmsSketch::clear() {
  std::fill(cells_.begin(), cells_.end(), 0.0);
}

double AmsSketch::secondMoment(const std::vector<double>& cells, SketchShape shape) {
  MURMUR_REQUIRE(cells.size() == static_cast<std::size_t>(shape.depth) * shape.width,
                 "sketch cells do not match the sketch's shape");
  std::vector<double> rows(shape.depth);
  for (std::uint32_t j = 0; j < shape.depth; ++j) {
    const double* row = &cells[static_cast<std::size_t>(j) * shape.width];
    double sum = 0;
    for (std::uint32_t b = 0; b < shape.width; ++b) {
      sum += row[b] * row[b];
    }
    rows[j] = sum;
  }
  std::nth_element(rows.begin(), rows.begin() + shape.depth / 2, rows.end());
  return rows[shape.depth / 2];
}

double AmsSketch::epsilon() const {
  return 1.0 / std::sqrt(static_cast<double>(shape_.width));
}

}  // namespace murmur::sync
