// AMS sketch for SketchFDA (specs/fda.md §2.3): D rows of W buckets; coordinate i of a vector adds
// sign_j(i)·v_i to bucket pos_j(i) of every row j. The sketch is linear (the mean of sketches is
// the sketch of the mean), and M₂ = median over rows of Σ bucket² estimates ‖v‖². Hash
// coefficients come from the run seed through murmur's portable RNG, and the hash is
// Carter–Wegman mod 2³¹−1 in 64-bit integers (pitfall 7): every peer builds the identical sketch.
// Buckets accumulate in double (pitfall 2). Sans-I/O. Thread: one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace murmur::sync {

inline constexpr std::uint64_t kMersenne31 = (std::uint64_t{1} << 31) - 1;  // p = 2³¹ − 1

// (a·x + b) mod p for a, b < 2³¹ and x < 2³²: no overflow, no undefined behaviour.
std::uint64_t hash31(std::uint64_t x, std::uint64_t a, std::uint64_t b);

struct SketchShape {
  std::uint32_t depth = 5;    // D rows (odd: the median is the middle row)
  std::uint32_t width = 250;  // W buckets per row
};

class AmsSketch {
 public:
  // An empty sketch whose hash functions derive from `runSeed`. Throws kInvalidArgument on an even
  // or zero depth or a zero width.
  AmsSketch(SketchShape shape, std::uint64_t runSeed);

  // Adds v[0..n) as coordinates offset .. offset + n − 1 of the sketched vector.
  void add(const float* v, std::size_t n, std::uint64_t offset = 0);
  void add(const double* v, std::size_t n, std::uint64_t offset = 0);

  // this += alpha · other (same shape and seed, else kInvalidArgument).
  void addScaled(const AmsSketch& other, double alpha);

  void clear();

  // M₂: the median over rows of the row's Σ bucket², an estimate of ‖v‖².
  double secondMoment() const { return secondMoment(cells_, shape_); }

  // The same for cells of this shape held elsewhere (a mean of sketches), without a copy.
  static double secondMoment(const std::vector<double>& cells, SketchShape shape);

  // ε = 1/√W of the bound ‖v‖² ≥ M₂/(1 + ε) (a heuristic constant: specs/fda.md pitfall 1).
  double epsilon() const;

  std::uint32_t bucket(std::uint32_t row, std::uint64_t coordinate) const;
  int sign(std::uint32_t row, std::uint64_t coordinate) const;

  SketchShape shape() const { return shape_; }

  const std::vector<double>& cells() const { return cells_; }  // row-major D × W

  const std::vector<std::uint64_t>& coefficients() const { return coefficients_; }  // 6 per row

 private:
  template <typename T>
  void addAny(const T* v, std::size_t n, std::uint64_t offset);

  SketchShape shape_;
  std::uint64_t seed_;
  std::vector<std::uint64_t> coefficients_;
  std::vector<double> cells_;
};

}  // namespace murmur::sync
