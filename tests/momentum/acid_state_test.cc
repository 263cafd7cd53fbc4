// specs/a2cid2.md acceptance tests 1, 2 (exchange vectors), 4, 5, 6, 7.
#include "momentum/acid_state.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/rng.h"

namespace murmur::momentum {
namespace {

constexpr double kRing64Eta = 0.034970;
constexpr double kRing64AlphaTilde = 7.262385;

TEST(AcidState, Ring64ExchangeAndMixingVectors) {
  NeighbourLists ring(64);
  for (std::uint32_t i = 0; i < 64; ++i) {
    ring[i] = {(i + 1) % 64, (i + 63) % 64};
  }
  AcidParams params = AcidParams::from(computeAcidConstants(ring, 1.0));
  ASSERT_NEAR(params.eta, kRing64Eta, 1e-6);
  ASSERT_NEAR(params.alphaTilde, kRing64AlphaTilde, 1e-6);
  std::vector<double> xi{1.0};
  std::vector<double> xj{0.0};
  BasicAcidState<double> i(xi.data(), 1, params);
  BasicAcidState<double> j(xj.data(), 1, params);
  std::vector<double> si{xi[0]};
  std::vector<double> sj{xj[0]};
  i.applyExchange(sj.data(), si.data());
  j.applyExchange(si.data(), sj.data());
  EXPECT_NEAR(xi[0], 0.5, 1e-12);
  EXPECT_NEAR(xj[0], 0.5, 1e-12);
  EXPECT_NEAR(xi[0] + i.gap()[0], -6.262385, 1e-6);
  EXPECT_NEAR(xj[0] + j.gap()[0], 7.262385, 1e-6);
  i.mixTo(1.0);
  j.mixTo(1.0);
  EXPECT_NEAR(xi[0], 0.271597, 1e-6);
  EXPECT_NEAR(xi[0] + i.gap()[0], -6.033982, 1e-6);
  EXPECT_NEAR(xj[0], 0.728403, 1e-6);
  EXPECT_NEAR(xj[0] + j.gap()[0], 7.033982, 1e-6);
  double total = 2 * xi[0] + i.gap()[0] + 2 * xj[0] + j.gap()[0];
  EXPECT_NEAR(total, 2.0, 1e-12);
}

TEST(AcidState, BaselineIsBitForBitPlainAveraging) {
  constexpr std::size_t kN = 257;
  runtime::Rng rng(7);
  std::vector<float> x(kN);
  std::vector<float> reference(kN);
  for (std::size_t k = 0; k < kN; ++k) {
    x[k] = reference[k] = static_cast<float>(rng.normal());
  }
  // Any η with α̃ = ½ is the baseline.
  AcidState state(x.data(), kN, AcidParams{0.37, 0.5});
  ASSERT_TRUE(state.params().isBaseline());
  std::vector<float> peer(kN);
  std::vector<float> self(kN);
  double t = 0;
  for (int event = 0; event < 500; ++event) {
    switch (rng.below(3)) {
      case 0: {  // gradient increment on x (and x̃ alike)
        for (std::size_t k = 0; k < kN; ++k) {
          float u = static_cast<float>(0.01 * rng.normal());
          x[k] += u;
          reference[k] += u;
        }
        break;
      }
      case 1:
        t += rng.exponential(1.0);
        state.mixTo(t);
        break;
      default: {
        for (std::size_t k = 0; k < kN; ++k) {
          peer[k] = static_cast<float>(rng.normal());
          self[k] = reference[k];
        }
        state.applyExchange(peer.data(), self.data());
        for (std::size_t k = 0; k < kN; ++k) {
          reference[k] += 0.5F * (peer[k] - self[k]);
        }
      }
    }
  }
  EXPECT_EQ(x, reference);
  // d ≡ 0: the baseline keeps no gap at all.
  EXPECT_EQ(state.gap(), nullptr);
}

// Σ_i (2x_i + d_i) is conserved by exchanges (pairwise) and mixes (per worker).
template <typename Scalar>
double conservedSum(const std::vector<std::vector<Scalar>>& xs,
                    const std::vector<BasicAcidState<Scalar>>& states) {
  double total = 0;
  for (std::size_t w = 0; w < xs.size(); ++w) {
    for (std::size_t k = 0; k < xs[w].size(); ++k) {
      total += 2.0 * xs[w][k] + states[w].gap()[k];
    }
  }
  return total;
}

template <typename Scalar>
void checkConservation(double tolerance) {
  constexpr std::size_t kWorkers = 8;
  constexpr std::size_t kN = 64;
  runtime::Rng rng(11);
  std::vector<std::vector<Scalar>> xs(kWorkers, std::vector<Scalar>(kN));
  for (auto& x : xs) {
    for (Scalar& v : x) {
      v = static_cast<Scalar>(rng.normal());
    }
  }
  std::vector<BasicAcidState<Scalar>> states;
  for (auto& x : xs) {
    states.emplace_back(x.data(), kN, AcidParams{0.142, 1.87});  // ring-16 constants
  }
  const double before = conservedSum(xs, states);
  std::vector<double> clocks(kWorkers, 0.0);
  std::vector<Scalar> si(kN);
  std::vector<Scalar> sj(kN);
  for (int event = 0; event < 2000; ++event) {
    std::size_t i = rng.below(kWorkers);
    std::size_t j = (i + 1 + rng.below(kWorkers - 1)) % kWorkers;
    double t = std::max(clocks[i], clocks[j]) + rng.exponential(2.0);
    // Per-worker invariant of a mix: x + x̃ unchanged.
    double pairBefore = 0;
    for (std::size_t k = 0; k < kN; ++k) {
      pairBefore += 2.0 * xs[i][k] + states[i].gap()[k];
    }
    states[i].mixTo(t);
    double pairAfter = 0;
    for (std::size_t k = 0; k < kN; ++k) {
      pairAfter += 2.0 * xs[i][k] + states[i].gap()[k];
    }
    ASSERT_NEAR(pairAfter, pairBefore, tolerance * (1 + std::abs(pairBefore)));
    states[j].mixTo(t);
    clocks[i] = clocks[j] = t;
    si = xs[i];
    sj = xs[j];
    double xsBefore = 0;
    for (std::size_t k = 0; k < kN; ++k) {
      xsBefore += xs[i][k] + xs[j][k];
    }
    states[i].applyExchange(sj.data(), si.data());
    states[j].applyExchange(si.data(), sj.data());
    double xsAfter = 0;
    for (std::size_t k = 0; k < kN; ++k) {
      xsAfter += xs[i][k] + xs[j][k];
    }
    ASSERT_NEAR(xsAfter, xsBefore, tolerance * (1 + std::abs(xsBefore)));
  }
  EXPECT_NEAR(conservedSum(xs, states), before, tolerance * (1 + std::abs(before)) * 100);
}

TEST(AcidState, ConservesTheSumOfXPlusMomentumCopyInDouble) {
  checkConservation<double>(1e-12);
}

TEST(AcidState, ConservesTheSumOfXPlusMomentumCopyInFloat) {
  checkConservation<float>(1e-6);
}

TEST(AcidState, OptimizerIncrementsLeaveTheGapBitIdentical) {
  std::vector<float> x{1, 2, 3, 4};
  AcidState state(x.data(), x.size(), AcidParams{0.3, 2.0});
  std::vector<float> peer{0, 0, 0, 0};
  std::vector<float> self = x;
  state.applyExchange(peer.data(), self.data());
  state.mixTo(0.5);
  std::vector<float> gapBefore(state.gap(), state.gap() + 4);
  for (float& v : x) {
    v += -0.1F * v + 0.3F;  // any increment: momentum, weight decay, Adam, clipping
  }
  EXPECT_EQ(std::vector<float>(state.gap(), state.gap() + 4), gapBefore);
}

// exp(sM) for M = η[[−1, 1], [1, −1]] by scaling and squaring of a Taylor series, in double.
std::array<double, 4> matrixExponential(double eta, double s) {
  double a = -eta * s;
  double b = eta * s;
  // Scale ‖sM‖ below ½ and no further: each squaring doubles the rounding error.
  int squarings = std::max(0, static_cast<int>(std::ceil(std::log2(4.0 * eta * s + 1e-300))) + 1);
  double scale = std::ldexp(1.0, -squarings);
  std::array<double, 4> m{a * scale, b * scale, b * scale, a * scale};
  std::array<double, 4> result{1, 0, 0, 1};
  std::array<double, 4> term{1, 0, 0, 1};
  for (int k = 1; k < 30; ++k) {
    std::array<double, 4> next{(term[0] * m[0] + term[1] * m[2]) / k,
                               (term[0] * m[1] + term[1] * m[3]) / k,
                               (term[2] * m[0] + term[3] * m[2]) / k,
                               (term[2] * m[1] + term[3] * m[3]) / k};
    term = next;
    for (int e = 0; e < 4; ++e) {
      result[e] += term[e];
    }
  }
  for (int q = 0; q < squarings; ++q) {
    result = {result[0] * result[0] + result[1] * result[2],
              result[0] * result[1] + result[1] * result[3],
              result[2] * result[0] + result[3] * result[2],
              result[2] * result[1] + result[3] * result[3]};
  }
  return result;
}

TEST(AcidState, MixingMatchesTheMatrixExponential) {
  for (double s : {0.01, 0.5, 1.0, 3.0, 25.0}) {
    double x0 = 0.7;
    double tilde0 = -1.3;
    std::vector<double> x{x0};
    BasicAcidState<double> state(x.data(), 1, AcidParams{0.29, 0.99});
    // Give it the gap x̃ − x through an exchange with a zero self-snapshot trick.
    std::vector<double> peer{(tilde0 - x0) / (0.99 - 0.5)};
    std::vector<double> self{0.0};
    state.applyExchange(peer.data(), self.data());
    x[0] = x0;  // undo the ½Δ on x: only the gap was wanted
    ASSERT_NEAR(x[0] + state.gap()[0], tilde0, 1e-12);
    state.mixTo(s);
    std::array<double, 4> e = matrixExponential(0.29, s);
    EXPECT_NEAR(x[0], e[0] * x0 + e[1] * tilde0, 1e-12) << s;
    EXPECT_NEAR(x[0] + state.gap()[0], e[2] * x0 + e[3] * tilde0, 1e-12) << s;
  }
}

TEST(AcidState, MixingBackwardsIsANoOpAndHalvesCompose) {
  std::vector<float> a{1.0F, -2.0F};
  std::vector<float> b{1.0F, -2.0F};
  AcidState one(a.data(), 2, AcidParams{0.4, 1.5}, 10.0);
  AcidState two(b.data(), 2, AcidParams{0.4, 1.5}, 10.0);
  std::vector<float> peer{3.0F, 1.0F};
  one.applyExchange(peer.data(), a.data());
  two.applyExchange(peer.data(), b.data());
  std::vector<float> before = a;
  one.mixTo(5.0);  // earlier than the last event: clamped
  EXPECT_EQ(a, before);
  EXPECT_EQ(one.time(), 10.0);
  one.mixTo(12.0);
  two.mixTo(11.0);
  two.mixTo(12.0);
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_NEAR(a[k], b[k], 1e-6);
    EXPECT_NEAR(one.gap()[k], two.gap()[k], 1e-6);
  }
}

// A model, a partner's snapshot and our own, of n standard-normal floats each.
struct RandomTriple {
  std::vector<float> x;
  std::vector<float> peer;
  std::vector<float> self;
};

RandomTriple randomTriple(std::size_t n, std::uint64_t seed) {
  runtime::Rng rng(seed);
  RandomTriple out{std::vector<float>(n), std::vector<float>(n), std::vector<float>(n)};
  for (std::size_t k = 0; k < n; ++k) {
    out.x[k] = static_cast<float>(rng.normal());
    out.peer[k] = static_cast<float>(rng.normal());
    out.self[k] = static_cast<float>(rng.normal());
  }
  return out;
}

// The fused pass is an optimisation only: it must round exactly like mixTo + applyExchange.
TEST(AcidState, FusedMixAndApplyIsBitIdenticalToTheTwoPasses) {
  for (AcidParams params : {AcidParams{0.3, 1.9}, AcidParams::baseline()}) {
    constexpr std::size_t kN = 257;
    auto [x, peer, self] = randomTriple(kN, 11);
    std::vector<float> y = x;
    AcidState fused(x.data(), kN, params);
    AcidState separate(y.data(), kN, params);
    // Later, equal and earlier (clamped) event times.
    for (double t : {0.7, 0.7, 0.2, 3.1}) {
      fused.mixAndApplyExchange(t, peer.data(), self.data());
      separate.mixTo(t);
      separate.applyExchange(peer.data(), self.data());
      ASSERT_EQ(fused.time(), separate.time());
      for (std::size_t k = 0; k < kN; ++k) {
        ASSERT_EQ(x[k], y[k]) << "x[" << k << "] at t = " << t;
        if (!params.isBaseline()) {
          ASSERT_EQ(fused.gap()[k], separate.gap()[k]) << "d[" << k << "] at t = " << t;
        }
      }
    }
  }
}

// The lazy replay of spec §3.2: a snapshot must equal the state after applying what is queued.
TEST(AcidState, PredictionEqualsApplyingTheQueuedExchanges) {
  for (AcidParams params : {AcidParams{0.3, 1.9}, AcidParams::baseline()}) {
    constexpr std::size_t kN = 33;
    runtime::Rng rng(3);
    std::vector<float> x(kN);
    for (float& v : x) {
      v = static_cast<float>(rng.normal());
    }
    std::vector<float> y = x;
    AcidState predicted(x.data(), kN, params);
    AcidState applied(y.data(), kN, params);
    std::vector<std::vector<float>> peers(3, std::vector<float>(kN));
    std::vector<std::vector<float>> selves(3, std::vector<float>(kN));
    std::vector<AcidState::PendingExchange> pending;
    for (std::size_t e = 0; e < 3; ++e) {
      for (std::size_t k = 0; k < kN; ++k) {
        peers[e][k] = static_cast<float>(rng.normal());
        selves[e][k] = static_cast<float>(rng.normal());
      }
      pending.push_back({0.5 * static_cast<double>(e + 1), peers[e].data(), selves[e].data()});
    }
    std::vector<float> out(kN);
    std::vector<float> scratch(kN);
    predicted.predictAt(pending, 2.5, out.data(), scratch.data());
    EXPECT_EQ(predicted.time(), 0.0);  // nothing changed
    for (const auto& p : pending) {
      applied.mixTo(p.time);
      applied.applyExchange(p.peer, p.self);
    }
    applied.mixTo(2.5);
    EXPECT_EQ(out, y);
  }
}

// One queued exchange takes a fused pass: it must round exactly like the replay, whether time
// passed before the exchange, after it, both or neither.
TEST(AcidState, OneQueuedExchangePredictsExactlyWhatApplyingItGives) {
  struct Case {
    double exchangeAt;
    double snapshotAt;
  };

  for (AcidParams params : {AcidParams{0.3, 1.9}, AcidParams::baseline()}) {
    for (Case c :
         {Case{0.7, 1.9}, Case{0.0, 1.9}, Case{0.7, 0.7}, Case{0.0, 0.0}, Case{0.7, 0.2}}) {
      constexpr std::size_t kN = 37;
      auto [x, peer, self] = randomTriple(kN, 5);
      std::vector<float> y = x;
      AcidState predicted(x.data(), kN, params);
      AcidState applied(y.data(), kN, params);
      // A gap to mix: one exchange applied by both first.
      predicted.applyExchange(peer.data(), x.data());
      applied.applyExchange(peer.data(), y.data());
      std::vector<float> out(kN);
      std::vector<float> scratch(kN);
      predicted.predictAt(
          {{c.exchangeAt, peer.data(), self.data()}}, c.snapshotAt, out.data(), scratch.data());
      applied.mixTo(c.exchangeAt);
      applied.applyExchange(peer.data(), self.data());
      applied.mixTo(c.snapshotAt);
      EXPECT_EQ(out, y) << "exchange at " << c.exchangeAt << ", snapshot at " << c.snapshotAt
                        << (params.isBaseline() ? ", baseline" : "");
    }
  }
}

// Regression: two exchanges before the compute thread drains the queue must not both send the
// same snapshot (the second Δ would double-count the first).
TEST(AcidState, SecondSnapshotIncludesTheFirstQueuedExchange) {
  std::vector<float> x{0.0F};
  AcidState state(x.data(), 1, AcidParams::baseline());
  std::vector<float> peer{2.0F};
  std::vector<float> self{0.0F};
  std::vector<float> snapshot(1);
  std::vector<float> scratch(1);
  state.predictAt({{0.0, peer.data(), self.data()}}, 0.0, snapshot.data(), scratch.data());
  EXPECT_EQ(snapshot[0], 1.0F);  // ½(2 − 0) already agreed on
}

TEST(AcidState, AssignReplacesXAndClearsTheGap) {
  std::vector<float> x{1, 2};
  AcidState state(x.data(), 2, AcidParams{0.3, 2.0});
  std::vector<float> peer{5, 5};
  std::vector<float> self = x;
  state.applyExchange(peer.data(), self.data());
  std::vector<float> values{7, 8};
  state.assign(values.data());
  EXPECT_EQ(x, values);
  EXPECT_EQ(state.gap()[0], 0.0F);
  EXPECT_EQ(state.gap()[1], 0.0F);
}

// Under error-feedback codecs peers cap α̃ (kMaxAlphaTildeWithErrorFeedback): η stays, an α̃ above
// the cap comes down to it, one below is untouched.
TEST(AcidParams, CappedLowersOnlyAnAlphaTildeAboveTheCap) {
  AcidParams ring16{0.1425, 1.8717};
  AcidParams capped = ring16.capped(kMaxAlphaTildeWithErrorFeedback);
  EXPECT_EQ(capped.eta, ring16.eta);
  EXPECT_EQ(capped.alphaTilde, 1.0);
  AcidParams ring8{0.2893, 0.9877};
  EXPECT_EQ(ring8.capped(kMaxAlphaTildeWithErrorFeedback).alphaTilde, ring8.alphaTilde);
  EXPECT_TRUE(AcidParams::baseline().capped(1.0).isBaseline());
}

}  // namespace
}  // namespace murmur::momentum
