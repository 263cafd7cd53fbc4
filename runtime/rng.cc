#include "runtime/rng.h"

#include <cmath>

#include "runtime/error.h"

namespace murmur::runtime {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

constexpr double kPi = 3.14159265358979323846;

}  // namespace

Rng::Rng(std::uint64_t seed) : seed_(seed), s_{} {
  std::uint64_t state = seed;
  for (std::uint64_t& word : s_) {
    word = splitmix64(state);
  }
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::uint64_t Rng::below(std::uint64_t n) {
  MURMUR_CHECK(n > 0, "below(0)");
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
  std::uint64_t value = next();
  while (value >= limit) {
    value = next();
  }
  return value % n;
}

double Rng::exponential(double rate) {
  MURMUR_CHECK(rate > 0, "exponential rate ", rate);
  return -std::log1p(-uniform()) / rate;
}

std::uint64_t Rng::poisson(double mean) {
  MURMUR_CHECK(mean >= 0, "poisson mean ", mean);
  if (mean == 0) {
    return 0;
  }
  if (mean > 60) {
    double value = std::round(mean + std::sqrt(mean) * normal());
    return value < 0 ? 0 : static_cast<std::uint64_t>(value);
  }
  // Inversion: walk the CDF; exact and cheap for the small means gossip uses.
  double u = uniform();
  double p = std::exp(-mean);
  double cdf = p;
  std::uint64_t k = 0;
  while (u > cdf && k < 1000) {
    ++k;
    p *= mean / static_cast<double>(k);
    cdf += p;
  }
  return k;
}

double Rng::normal() {
  double u1 = uniform();
  double u2 = uniform();
  return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(2.0 * kPi * u2);
}

Rng Rng::fork(std::string_view label) const {
  return Rng(stableHash(label, seed_ ^ 0x5bd1e995ULL));
}

std::uint64_t stableHash(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t hash = seed;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace murmur::runtime
