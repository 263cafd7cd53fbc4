// FDA's estimators and AMS sketch against the acceptance tests of specs/fda.md (1–8): the variance
// identity, the Naive and Linear bounds, sketch linearity, determinism across processes and
// accuracy, the hash's range and uniformity, and the strict round-terminating condition.
#include "sync/fda_estimator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/rng.h"

#include <sys/wait.h>
#include <unistd.h>

namespace murmur::sync {
namespace {

std::vector<float> randomVector(runtime::Rng& rng, std::size_t d, double scale = 1.0) {
  std::vector<float> v(d);
  for (float& x : v) {
    x = static_cast<float>(rng.normal() * scale);
  }
  return v;
}

// K models and the quantities of specs/fda.md §2, computed directly in double.
struct Swarm {
  std::vector<std::vector<float>> w;
  std::vector<double> mean;

  Swarm(runtime::Rng& rng, std::size_t k, std::size_t d) : mean(d, 0.0) {
    for (std::size_t j = 0; j < k; ++j) {
      w.push_back(randomVector(rng, d));
      for (std::size_t i = 0; i < d; ++i) {
        mean[i] += w.back()[i] / static_cast<double>(k);
      }
    }
  }

  double variance() const {
    double v = 0;
    for (const auto& wk : w) {
      for (std::size_t i = 0; i < mean.size(); ++i) {
        v += (wk[i] - mean[i]) * (wk[i] - mean[i]);
      }
    }
    return v / static_cast<double>(w.size());
  }

  // ‖ū‖² for the reference r (ū = w̄ − r).
  double meanDrift2(const std::vector<float>& r) const {
    double s = 0;
    for (std::size_t i = 0; i < mean.size(); ++i) {
      s += (mean[i] - r[i]) * (mean[i] - r[i]);
    }
    return s;
  }

  FdaState meanOf(FdaEstimator& e, const std::vector<float>& r) const {
    std::vector<FdaState> states;
    for (const auto& wk : w) {
      states.push_back(e.localState(wk.data(), r.data()));
    }
    return meanState(states);
  }
};

// 1 and 3: (1/K)Σ‖w_k − r‖² − ‖w̄ − r‖² = Var for any shared r, and H_naive − Var = ‖ū‖².
TEST(FdaEstimator, VarianceIdentityHoldsForAnySharedReferenceAndNaiveOverestimatesByTheMeanDrift) {
  runtime::Rng rng(11);
  Swarm swarm(rng, 7, 1000);
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<float> r = randomVector(rng, 1000, 3.0);
    FdaEstimator naive(FdaVariant::kNaive, 1000, 1);
    const double a = swarm.meanOf(naive, r).a;
    const double var = swarm.variance();
    EXPECT_NEAR((a - swarm.meanDrift2(r)) / var, 1.0, 1e-10);
    EXPECT_NEAR(naive.estimate(swarm.meanOf(naive, r)) - var, swarm.meanDrift2(r), 1e-9 * a);
  }
}

// 2: H_linear ≥ Var for any unit ξ; equality when ū ∥ ξ.
TEST(FdaEstimator, LinearNeverUnderestimatesAndIsExactAlongTheMeanDrift) {
  runtime::Rng rng(12);
  const std::size_t d = 200;
  Swarm swarm(rng, 7, d);
  std::vector<float> r = randomVector(rng, d);
  std::vector<float> origin(d, 0.0F);
  const double var = swarm.variance();
  FdaEstimator linear(FdaVariant::kLinear, d, 1);
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<float> direction = randomVector(rng, d);
    linear.setDirection(direction.data(), origin.data());
    EXPECT_GE(linear.estimate(swarm.meanOf(linear, r)), var * (1 - 1e-9)) << "trial " << trial;
  }
  std::vector<float> meanDrift(d);
  for (std::size_t i = 0; i < d; ++i) {
    meanDrift[i] = static_cast<float>(swarm.mean[i] - r[i]);
  }
  linear.setDirection(meanDrift.data(), origin.data());
  // ξ is stored in fp32: equality up to its rounding.
  EXPECT_NEAR(linear.estimate(swarm.meanOf(linear, r)), var, 1e-6 * var);
  // Equal references: the fixed fallback ξ₀, a unit vector.
  linear.setDirection(r.data(), r.data());
  double norm = 0;
  for (float x : linear.direction()) {
    norm += static_cast<double>(x) * x;
  }
  EXPECT_NEAR(norm, 1.0, 1e-6);
}

// 4: mean_k sk(u_k) == sk(mean_k u_k); sk(αu + v) = α·sk(u) + sk(v).
TEST(AmsSketch, IsLinear) {
  runtime::Rng rng(13);
  const std::size_t d = 3000;
  std::vector<float> u = randomVector(rng, d);
  std::vector<float> v = randomVector(rng, d);
  const double alpha = 0.37;
  std::vector<double> combined(d);
  for (std::size_t i = 0; i < d; ++i) {
    combined[i] = alpha * u[i] + v[i];
  }
  AmsSketch su({5, 250}, 7);
  AmsSketch sv({5, 250}, 7);
  AmsSketch sc({5, 250}, 7);
  su.add(u.data(), d);
  sv.add(v.data(), d);
  sc.add(combined.data(), d);
  AmsSketch sum({5, 250}, 7);
  sum.addScaled(su, alpha);
  sum.addScaled(sv, 1.0);
  for (std::size_t c = 0; c < sum.cells().size(); ++c) {
    EXPECT_NEAR(sum.cells()[c], sc.cells()[c], 1e-9 * (1 + std::abs(sc.cells()[c])));
  }
  // The mean of the states is the state of the mean drift.
  FdaEstimator sketch(FdaVariant::kSketch, d, 7);
  std::vector<float> zero(d, 0.0F);
  FdaState mean = meanState(
      {sketch.localState(u.data(), zero.data()), sketch.localState(v.data(), zero.data())});
  std::vector<float> half(d);
  for (std::size_t i = 0; i < d; ++i) {
    half[i] = (u[i] + v[i]) / 2;
  }
  FdaState ofMean = sketch.localState(half.data(), zero.data());
  for (std::size_t c = 0; c < mean.sketch.size(); ++c) {
    EXPECT_NEAR(mean.sketch[c], ofMean.sketch[c], 1e-5 * (1 + std::abs(ofMean.sketch[c])));
  }
  EXPECT_THROW(sum.addScaled(AmsSketch({5, 250}, 8), 1.0), std::exception);
}

// 5: two processes with one run seed build bit-identical coefficients and sketches.
TEST(AmsSketch, IsBitIdenticalAcrossProcessesFromOneSeed) {
  auto build = [](std::uint64_t seed) {
    runtime::Rng rng(99);
    std::vector<float> v = randomVector(rng, 5000);
    AmsSketch s({5, 250}, seed);
    s.add(v.data(), v.size());
    std::vector<double> out(s.coefficients().begin(), s.coefficients().end());
    out.insert(out.end(), s.cells().begin(), s.cells().end());
    return out;
  };
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::vector<double> mine = build(42);
    const auto* bytes = reinterpret_cast<const char*>(mine.data());
    std::size_t left = mine.size() * sizeof(double);
    while (left > 0) {
      ssize_t n = write(fds[1], bytes, left);
      if (n <= 0) {
        _exit(1);
      }
      bytes += n;
      left -= static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::vector<double> expected = build(42);
  std::vector<double> theirs(expected.size());
  auto* bytes = reinterpret_cast<char*>(theirs.data());
  std::size_t got = 0;
  const std::size_t want = theirs.size() * sizeof(double);
  while (got < want) {
    ssize_t n = read(fds[0], bytes + got, want - got);
    if (n <= 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_EQ(got, want);
  EXPECT_EQ(std::memcmp(theirs.data(), expected.data(), want), 0) << "sketches differ";
  EXPECT_NE(build(43), expected) << "another seed must give other hashes";
}

// 6: W = 250, D = 5 over 500 random vectors: median relative error of M₂ < 0.1, and the bound
// M₂/(1+ε) ≤ ‖v‖² fails in fewer than 15 % of them.
TEST(AmsSketch, EstimatesTheSquaredNormWithinTheSpecsTolerance) {
  runtime::Rng rng(14);
  std::vector<double> errors;
  int violations = 0;
  const int trials = 500;
  for (int t = 0; t < trials; ++t) {
    AmsSketch s({5, 250}, 1000 + static_cast<std::uint64_t>(t));
    std::vector<float> v = randomVector(rng, 1000);
    double norm2 = 0;
    for (float x : v) {
      norm2 += static_cast<double>(x) * x;
    }
    s.add(v.data(), v.size());
    const double m2 = s.secondMoment();
    errors.push_back(std::abs(m2 - norm2) / norm2);
    violations += m2 / (1 + s.epsilon()) > norm2 ? 1 : 0;
  }
  std::nth_element(errors.begin(), errors.begin() + trials / 2, errors.end());
  EXPECT_LT(errors[trials / 2], 0.1);
  EXPECT_LT(violations, trials * 15 / 100);
}

// 7: the hash stays below p at its edge inputs; buckets are uniform (χ²); signs balance.
TEST(AmsSketch, HashIsInRangeUniformAndBalanced) {
  const std::uint64_t maxX = (std::uint64_t{1} << 32) - 1;
  const std::uint64_t maxA = kMersenne31 - 1;
  EXPECT_LT(hash31(maxX, maxA, maxA), kMersenne31);
  EXPECT_LT(hash31(0, 0, maxA), kMersenne31);
  EXPECT_EQ(hash31(1, 0, 0), 0U);
  EXPECT_EQ(hash31(3, 5, 7), 22U);
  AmsSketch s({5, 50}, 3);
  const int n = 100000;
  for (std::uint32_t row = 0; row < 5; ++row) {
    std::vector<int> counts(50, 0);
    long signs = 0;
    for (int i = 0; i < n; ++i) {
      ++counts[s.bucket(row, static_cast<std::uint64_t>(i))];
      signs += s.sign(row, static_cast<std::uint64_t>(i));
    }
    const double expected = n / 50.0;
    double chi2 = 0;
    for (int c : counts) {
      chi2 += (c - expected) * (c - expected) / expected;
    }
    EXPECT_LT(chi2, 100.0) << "row " << row;  // 49 degrees of freedom: p(χ² > 100) ≈ 2e-5
    EXPECT_LT(std::abs(static_cast<double>(signs) / n), 0.02) << "row " << row;
  }
  EXPECT_THROW(AmsSketch({4, 250}, 1), std::exception) << "even depth";
}

// 8: the round ends at the first check with H > Θ, never at H == Θ; equal S̄ decide alike.
TEST(FdaEstimator, RoundTerminatesStrictlyAboveThetaAndDecidesAlikeOnEqualStates) {
  EXPECT_FALSE(roundTerminates(1.5, 1.5));
  EXPECT_TRUE(roundTerminates(std::nextafter(1.5, 2.0), 1.5));
  runtime::Rng rng(15);
  const std::size_t d = 500;
  std::vector<float> ref(d, 0.0F);
  std::vector<float> x = randomVector(rng, d, 0.01);
  // Drift grows step by step: every variant fires at the first check above Θ, and two peers
  // holding the same S̄ decide the same.
  for (FdaVariant variant : {FdaVariant::kNaive, FdaVariant::kLinear, FdaVariant::kSketch}) {
    FdaEstimator e1(variant, d, 5);
    FdaEstimator e2(variant, d, 5);
    std::vector<float> w = x;
    int fired = -1;
    for (int step = 0; step < 100 && fired < 0; ++step) {
      for (std::size_t i = 0; i < d; ++i) {
        w[i] += x[i];
      }
      FdaState s = e1.localState(w.data(), ref.data());
      const bool one = roundTerminates(e1.estimate(s), 0.5);
      EXPECT_EQ(one, roundTerminates(e2.estimate(e2.localState(w.data(), ref.data())), 0.5));
      fired = one ? step : -1;
    }
    EXPECT_GE(fired, 0) << fdaVariantName(variant);
    EXPECT_EQ(parseFdaVariant(fdaVariantName(variant)), variant);
  }
  EXPECT_FALSE(parseFdaVariant("gm").has_value());
}

}  // namespace
}  // namespace murmur::sync
