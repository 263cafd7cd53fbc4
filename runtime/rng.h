// Portable seeded randomness: the same seed gives the same stream on every platform and compiler
// (std:: distributions are implementation-defined, so murmur has its own).
// Thread: one owner per Rng; derive independent streams with fork().
#pragma once

#include <cstdint>
#include <string_view>

namespace murmur::runtime {

// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  // Uniform 64-bit value.
  std::uint64_t next();

  // Uniform double in [0, 1) with 53 random bits.
  double uniform();

  // Uniform integer in [0, n); n must be > 0. Unbiased (rejection sampling).
  std::uint64_t below(std::uint64_t n);

  // Exponential with the given rate (mean 1/rate).
  double exponential(double rate);

  // Poisson with the given mean (inversion for small means, normal approximation above 60).
  std::uint64_t poisson(double mean);

  // Standard normal (Box-Muller).
  double normal();

  // An independent stream derived from this one's seed and a label, e.g. fork("gossip").
  Rng fork(std::string_view label) const;

 private:
  std::uint64_t seed_;
  std::uint64_t s_[4];
};

// A stable 64-bit hash (FNV-1a) for seeds and signatures; never std::hash, which varies.
std::uint64_t stableHash(std::string_view bytes, std::uint64_t seed = 14695981039346656037ULL);

}  // namespace murmur::runtime
