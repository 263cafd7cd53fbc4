// The acceptance tests of specs/lbgm.md (1–5) for the sans-I/O codec, plus the receiver's checks.
#include "compression/lbgm.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "compression/float_bits.h"
#include "runtime/error.h"

namespace murmur::compression {
namespace {

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  long double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sum += static_cast<long double>(a[i]) * static_cast<long double>(b[i]);
  }
  return static_cast<double>(sum);
}

std::vector<float> gaussian(std::size_t n, std::mt19937_64& rng, float scale = 1.0F) {
  std::normal_distribution<float> normal(0.0F, scale);
  std::vector<float> v(n);
  for (float& x : v) {
    x = normal(rng);
  }
  return v;
}

// Tests 1 and 2: SCALAR exactly when sin² ≤ δ, then ‖v − ρL‖² ≤ δ‖v‖², ρ = ⟨v,L⟩/‖L‖², and
// ‖ρL‖ = ‖v‖·|cos α|; negative ρ allowed.
TEST(Lbgm, ReuseIsAContractionAndAProjection) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> mix(-1.0, 1.0);
  int scalars = 0;
  int negatives = 0;
  for (int t = 0; t < 10000; ++t) {
    const std::size_t n = 1 + rng() % 300;
    const std::vector<float> l = gaussian(n, rng);
    const std::vector<float> noise = gaussian(n, rng);
    // v = a·L + b·noise: anti-parallel, parallel and near-orthogonal pairs all occur.
    const double a = mix(rng);
    const double b = std::pow(10.0, -3.0 * std::fabs(mix(rng)));
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = static_cast<float>(a * l[i] + b * noise[i]);
    }
    const double vv = dot(v, v);
    const double ll = dot(l, l);
    const double vl = dot(v, l);
    const double sin2 = std::max(0.0, 1.0 - vl * vl / (vv * ll));
    for (double delta : {0.01, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9}) {
      const LbgmDecision decision = lbgmDecide(v.data(), l.data(), n, delta);
      if (std::fabs(sin2 - delta) > 1e-9) {
        ASSERT_EQ(decision.mode == LbgmMode::kScalar, sin2 <= delta)
            << "sin²=" << sin2 << " δ=" << delta;
      }
      if (decision.mode != LbgmMode::kScalar) {
        ASSERT_EQ(decision.mode, LbgmMode::kFull);
        continue;
      }
      ++scalars;
      negatives += decision.rho < 0 ? 1 : 0;
      ASSERT_NEAR(decision.rho, vl / ll, 1e-6 * std::fabs(vl / ll));
      std::vector<float> error(n);
      for (std::size_t i = 0; i < n; ++i) {
        error[i] = v[i] - decision.rho * l[i];
      }
      ASSERT_LE(dot(error, error), delta * vv * (1 + 1e-6) + 1e-12);
      const double projected = std::fabs(decision.rho) * std::sqrt(ll);
      ASSERT_NEAR(projected, std::sqrt(vv) * std::fabs(vl) / std::sqrt(vv * ll), 1e-6 * projected);
    }
  }
  EXPECT_GT(scalars, 1000);
  EXPECT_GT(negatives, 100);
}

// Test 3: edge cases.
TEST(Lbgm, ZeroUpdatesSkipAndBadDeltasAreRefused) {
  const std::vector<float> zero(50, 0.0F);
  const std::vector<float> l(50, 1.0F);
  EXPECT_EQ(lbgmDecide(zero.data(), l.data(), 50, 0.2).mode, LbgmMode::kSkip);
  EXPECT_EQ(lbgmDecide(l.data(), nullptr, 50, 0.2).mode, LbgmMode::kFull);      // first use
  EXPECT_EQ(lbgmDecide(l.data(), zero.data(), 50, 0.2).mode, LbgmMode::kFull);  // zero L
  for (double bad : {0.0, 1.0, 1.5, -0.1}) {
    try {
      LbgmPublicCopy copy({{0, 50}}, LbgmOptions{bad});
      FAIL() << "accepted δ = " << bad;
    } catch (const runtime::Error& e) {
      EXPECT_EQ(e.kind(), runtime::ErrorKind::kInvalidArgument);
    }
  }
  // A parallel pair at rounding distance from sin² = 0 must clamp, not go negative.
  std::vector<float> v(50, 3.0F);
  const LbgmDecision decision = lbgmDecide(v.data(), l.data(), 50, 0.01);
  EXPECT_EQ(decision.mode, LbgmMode::kScalar);
  EXPECT_FLOAT_EQ(decision.rho, 3.0F);

  LbgmPublicCopy sender({{0, 50}});
  LbgmMessage message;
  sender.publish(l.data(), false, message);  // no state: a RESET, and no look-back vector
  EXPECT_TRUE(message.isReset());
  std::vector<float> before(sender.values(), sender.values() + 50);
  sender.publish(l.data(), false, message);  // x == x̂: nothing to send, nothing changes
  EXPECT_EQ(message.units[0].mode, LbgmMode::kSkip);
  EXPECT_TRUE(message.payload.empty());
  EXPECT_EQ(std::memcmp(before.data(), sender.values(), 50 * sizeof(float)), 0);
  sender.publish(v.data(), false, message);  // first change after the reset: FULL
  EXPECT_EQ(message.units[0].mode, LbgmMode::kFull);
}

TEST(Lbgm, SmallTensorsShareAUnit) {
  const std::vector<LbgmUnit> units = lbgmUnits({150, 6, 2400, 16, 0, 48000, 120, 84, 10});
  ASSERT_EQ(units.size(), 5U);
  EXPECT_EQ(units[0].offset, 0U);
  EXPECT_EQ(units[0].numel, 156U);  // conv1 weight and bias
  EXPECT_EQ(units[1].numel, 2400U);
  EXPECT_EQ(units[2].numel, 16U);  // alone: no small neighbour
  EXPECT_EQ(units[3].numel, 48000U);
  EXPECT_EQ(units[4].offset, 2572U + 48000U);
  EXPECT_EQ(units[4].numel, 214U);
}

// A model that drifts mostly along a slowly turning direction, as SGD does, plus noise.
class DriftingModel {
 public:
  DriftingModel(std::size_t n, std::uint64_t seed) : rng_(seed), x_(n), direction_(n) {
    x_ = gaussian(n, rng_);
    direction_ = gaussian(n, rng_, 0.01F);
  }

  const std::vector<float>& step() {
    std::uniform_real_distribution<float> size(0.2F, 1.5F);
    const float s = size(rng_);
    const std::vector<float> noise = gaussian(x_.size(), rng_, 0.002F);
    const std::vector<float> turn = gaussian(x_.size(), rng_, 0.001F);
    for (std::size_t i = 0; i < x_.size(); ++i) {
      direction_[i] += turn[i];
      x_[i] += s * direction_[i] + (rng_() % 8 == 0 ? 10 * noise[i] : noise[i]);
    }
    return x_;
  }

  std::vector<float>& x() { return x_; }

 private:
  std::mt19937_64 rng_;
  std::vector<float> x_;
  std::vector<float> direction_;
};

// Test 4: sender and receiver hold bit-identical copies and look-back vectors after many
// publishes of every mode.
TEST(Lbgm, PublicCopiesStayBitIdenticalAtBothEnds) {
  const std::vector<LbgmUnit> units = lbgmUnits({300, 20, 5000, 40, 2000});
  LbgmPublicCopy sender(units, LbgmOptions{0.2});
  LbgmPublicCopy receiver(units, LbgmOptions{0.2});
  DriftingModel model(sender.numel(), 21);
  LbgmMessage message;
  std::mt19937_64 rng(22);
  for (int t = 0; t < 1000; ++t) {
    const std::vector<float>& x = model.step();
    sender.publish(x.data(), t % 250 == 0 && t > 0, message);
    ASSERT_EQ(receiver.apply(message), LbgmApplied::kApplied) << t;
    ASSERT_EQ(std::memcmp(sender.values(), receiver.values(), sender.numel() * sizeof(float)), 0)
        << t;
    ASSERT_EQ(receiver.seq(), sender.seq());
  }
  EXPECT_EQ(std::memcmp(sender.lookBack(), receiver.lookBack(), sender.numel() * sizeof(float)), 0);
  std::uint64_t scalars = 0;
  std::uint64_t fulls = 0;
  for (const LbgmUnitStats& s : sender.stats()) {
    scalars += s.scalar;
    fulls += s.full;
  }
  EXPECT_GT(scalars, 100U);
  EXPECT_GT(fulls, 10U);
}

// Test 5: the residual is never dropped: with x fixed, publishes drive x̂ to x; with moves of at
// most M between publishes, the lag stays within √δ/(1 − √δ)·M.
TEST(Lbgm, ErrorFeedbackClosesTheGapAndBoundsTheLag) {
  const double delta = 0.2;
  const std::vector<LbgmUnit> units = {{0, 4000}};
  LbgmPublicCopy copy(units, LbgmOptions{delta});
  DriftingModel model(4000, 31);
  LbgmMessage message;
  copy.publish(model.x().data(), true, message);
  const double bound = std::sqrt(delta) / (1 - std::sqrt(delta));
  std::vector<float> previous = model.x();
  double largest = 0;  // M: the largest move so far (the geometric series is bounded by it)
  for (int t = 0; t < 500; ++t) {
    const std::vector<float>& x = model.step();
    double moved = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      moved += (x[i] - previous[i]) * static_cast<double>(x[i] - previous[i]);
    }
    previous = x;
    copy.publish(x.data(), false, message);
    double lag = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      lag += (x[i] - copy.values()[i]) * static_cast<double>(x[i] - copy.values()[i]);
    }
    largest = std::max(largest, std::sqrt(moved));
    ASSERT_LE(std::sqrt(lag), bound * largest * (1 + 1e-3) + 1e-6) << t;
  }
  for (int t = 0; t < 5; ++t) {
    copy.publish(model.x().data(), false, message);
  }
  double lag = 0;
  double norm = 0;
  for (std::size_t i = 0; i < 4000; ++i) {
    lag += std::pow(model.x()[i] - copy.values()[i], 2);
    norm += std::pow(model.x()[i], 2);
  }
  EXPECT_LE(std::sqrt(lag), 1e-6 * std::sqrt(norm));
}

// The receiver applies all or nothing: a missed publish, a SCALAR without a look-back vector or a
// malformed message changes nothing; a RESET recovers.
TEST(Lbgm, ReceiversRefuseWhatTheyCannotApplyExactly) {
  const std::vector<LbgmUnit> units = {{0, 100}, {100, 300}};
  LbgmPublicCopy sender(units);
  LbgmPublicCopy receiver(units);
  DriftingModel model(400, 41);
  LbgmMessage message;
  sender.publish(model.x().data(), false, message);
  LbgmMessage firstDelta;
  sender.publish(model.step().data(), false, firstDelta);
  EXPECT_EQ(receiver.apply(firstDelta), LbgmApplied::kOutOfSync);  // no state yet
  ASSERT_EQ(receiver.apply(message), LbgmApplied::kApplied);
  EXPECT_EQ(receiver.apply(message), LbgmApplied::kApplied);  // a reset is always welcome
  sender.publish(model.step().data(), false, message);
  const std::vector<float> before(receiver.values(), receiver.values() + 400);
  EXPECT_EQ(receiver.apply(message), LbgmApplied::kOutOfSync);  // missed firstDelta
  EXPECT_EQ(std::memcmp(before.data(), receiver.values(), sizeof(float) * 400), 0);

  sender.publish(model.step().data(), true, message);
  ASSERT_EQ(receiver.apply(message), LbgmApplied::kApplied);
  const std::vector<float> afterReset(receiver.values(), receiver.values() + 400);
  sender.publish(model.step().data(), false, message);
  LbgmMessage bad = message;
  bad.units.pop_back();
  EXPECT_EQ(receiver.apply(bad), LbgmApplied::kMalformed);
  bad = message;
  bad.payload.push_back(1.0F);
  EXPECT_EQ(receiver.apply(bad), LbgmApplied::kMalformed);
  bad = message;
  bad.units[0] = {LbgmMode::kScalar, std::nanf("")};
  EXPECT_EQ(receiver.apply(bad), LbgmApplied::kMalformed);
  bad = message;
  bad.units[0].mode = static_cast<LbgmMode>(9);
  EXPECT_EQ(receiver.apply(bad), LbgmApplied::kMalformed);
  if (!message.payload.empty()) {
    bad = message;
    bad.payload[0] = std::nanf("");
    EXPECT_EQ(receiver.apply(bad), LbgmApplied::kMalformed);
  }
  EXPECT_EQ(std::memcmp(receiver.values(), afterReset.data(), sizeof(float) * 400), 0);
  ASSERT_EQ(receiver.apply(message), LbgmApplied::kApplied);
  EXPECT_EQ(std::memcmp(sender.values(), receiver.values(), sizeof(float) * 400), 0);

  // A SCALAR for a unit whose look-back vector the receiver never got.
  LbgmPublicCopy fresh(units);
  LbgmMessage scalar;
  scalar.seq = 1;
  scalar.units = {{LbgmMode::kScalar, 0.5F}, {LbgmMode::kSkip, 0}};
  LbgmMessage reset;
  sender.publish(model.x().data(), true, reset);
  ASSERT_EQ(fresh.apply(reset), LbgmApplied::kApplied);
  scalar.seq = reset.seq + 1;
  EXPECT_EQ(fresh.apply(scalar), LbgmApplied::kOutOfSync);
}

// The consensus step γ < ½ as views: each end runs the kernel with the roles swapped and gets the
// same two vectors, so their differences are exact negatives (the mean stays exact), and the
// exchange moves a model by ≈ γ·(b − a).
TEST(Lbgm, ConsensusViewsAreTheSameAtBothEnds) {
  std::mt19937_64 rng(91);
  const std::vector<float> a = gaussian(5000, rng);
  const std::vector<float> b = gaussian(5000, rng, 3.0F);
  const float c = 0.5F - 0.2F;  // γ = 0.2
  std::vector<float> aHere(5000), bHere(5000), bThere(5000), aThere(5000);
  lbgmConsensusViews(a.data(), b.data(), aHere.data(), bHere.data(), 5000, c);
  lbgmConsensusViews(b.data(), a.data(), bThere.data(), aThere.data(), 5000, c);
  EXPECT_EQ(std::memcmp(aHere.data(), aThere.data(), sizeof(float) * 5000), 0);
  EXPECT_EQ(std::memcmp(bHere.data(), bThere.data(), sizeof(float) * 5000), 0);
  for (std::size_t i = 0; i < 5000; ++i) {
    const double step = 0.5 * (static_cast<double>(bHere[i]) - aHere[i]);
    ASSERT_NEAR(step, 0.2 * (static_cast<double>(b[i]) - a[i]), 1e-5 * (1 + std::fabs(b[i])));
  }
  EXPECT_THROW(requireLbgmGamma(0), runtime::Error);
  EXPECT_THROW(requireLbgmGamma(0.6), runtime::Error);
  EXPECT_NO_THROW(requireLbgmGamma(0.5));
}

TEST(Lbgm, TopkCountsPayOnlyWhenPairsAreFewerBytes) {
  EXPECT_EQ(lbgmTopkCount(1000, 0), 0U);
  EXPECT_EQ(lbgmTopkCount(1000, 0.05), 50U);
  EXPECT_EQ(lbgmTopkCount(1000, 0.0001), 1U);
  EXPECT_EQ(lbgmTopkCount(2, 0.05), 0U);     // 3 words against 2
  EXPECT_EQ(lbgmTopkCount(100, 0.5), 0U);    // 101 words against 100
  EXPECT_EQ(lbgmTopkCount(100, 0.49), 49U);  // 99 words
  for (double bad : {-0.1, 1.0, 2.0}) {
    EXPECT_THROW(requireLbgmTopk(bad), runtime::Error) << bad;
    EXPECT_THROW(LbgmPublicCopy({{0, 50}}, LbgmOptions{0.2, bad}), runtime::Error) << bad;
  }
}

// Test 7 (top-k + LBGM): a SPARSE unit carries exactly the k largest |D| of the unit, x̂ moves
// only there, so everything top-k left out stays in x − x̂ bit for bit (e ← g + e − ŝ); both ends
// stay bit-identical through thousands of publishes of every mode.
TEST(Lbgm, TopkKeepsWhatItLeavesOutAndBothEndsAgree) {
  const std::vector<LbgmUnit> units = lbgmUnits({300, 20, 5000, 40, 2000});
  const double topk = 0.05;
  LbgmPublicCopy sender(units, LbgmOptions{0.2, topk});
  LbgmPublicCopy receiver(units, LbgmOptions{0.2, topk});
  DriftingModel model(sender.numel(), 71);
  LbgmMessage message;
  std::uint64_t sparse = 0;
  for (int t = 0; t < 1500; ++t) {
    const std::vector<float>& x = model.step();
    const std::vector<float> before(sender.values(), sender.values() + sender.numel());
    sender.publish(x.data(), t % 500 == 0, message);
    ASSERT_EQ(receiver.apply(message), LbgmApplied::kApplied) << t;
    ASSERT_EQ(std::memcmp(sender.values(), receiver.values(), sender.numel() * sizeof(float)), 0)
        << t;
    std::size_t word = 0;
    for (std::size_t u = 0; u < units.size(); ++u) {
      const LbgmUnit& unit = units[u];
      const LbgmMode mode = message.units[u].mode;
      if (mode == LbgmMode::kFull || mode == LbgmMode::kReset) {
        ASSERT_TRUE(mode == LbgmMode::kReset || lbgmTopkCount(unit.numel, topk) == 0);
        word += unit.numel;
        continue;
      }
      if (mode != LbgmMode::kSparse) {
        continue;
      }
      ++sparse;
      const std::size_t k = floatBits(message.payload[word]);
      ASSERT_EQ(k, lbgmTopkCount(unit.numel, topk));
      std::vector<char> chosen(unit.numel, 0);
      float smallest = INFINITY;
      for (std::size_t i = 0; i < k; ++i) {
        const std::uint32_t index = floatBits(message.payload[word + 1 + i]);
        const float value = message.payload[word + 1 + k + i];
        const std::size_t at = unit.offset + index;
        ASSERT_EQ(value, x[at] - before[at]);  // the entry of D itself
        chosen[index] = 1;
        smallest = std::min(smallest, std::fabs(value));
      }
      for (std::size_t i = 0; i < unit.numel; ++i) {
        const std::size_t at = unit.offset + i;
        if (chosen[i] == 0) {
          ASSERT_EQ(std::memcmp(&sender.values()[at], &before[at], sizeof(float)), 0);
          ASSERT_LE(std::fabs(x[at] - before[at]), smallest);  // a top-k, not any k
        }
      }
      word += 1 + 2 * k;
    }
    ASSERT_EQ(word, message.payload.size());
  }
  EXPECT_EQ(std::memcmp(sender.lookBack(), receiver.lookBack(), sender.numel() * sizeof(float)), 0);
  EXPECT_GT(sparse, 1000U);

  // A move along a fixed k-sparse direction is what the sparse look-back vector reuses.
  LbgmPublicCopy a({{0, 1000}}, LbgmOptions{0.2, 0.01});
  LbgmPublicCopy b({{0, 1000}}, LbgmOptions{0.2, 0.01});
  std::vector<float> x(1000, 1.0F);
  a.publish(x.data(), true, message);
  ASSERT_EQ(b.apply(message), LbgmApplied::kApplied);
  std::vector<LbgmMode> modes;
  for (int t = 0; t < 4; ++t) {
    for (std::size_t i = 0; i < 1000; i += 100) {
      x[i] += 0.5F;
    }
    a.publish(x.data(), false, message);
    ASSERT_EQ(b.apply(message), LbgmApplied::kApplied);
    modes.push_back(message.units[0].mode);
  }
  EXPECT_EQ(modes,
            (std::vector<LbgmMode>{
                LbgmMode::kSparse, LbgmMode::kScalar, LbgmMode::kScalar, LbgmMode::kScalar}));
  EXPECT_EQ(std::memcmp(a.values(), b.values(), sizeof(float) * 1000), 0);
  EXPECT_EQ(std::memcmp(a.values(), x.data(), sizeof(float) * 1000), 0);
}

// A SPARSE unit the receiver cannot apply exactly is refused whole: a count of 0 or beyond the
// unit, indices out of order, repeated or out of range, a non-finite value, a short payload.
TEST(Lbgm, MalformedSparseUnitsAreRefused) {
  const std::vector<LbgmUnit> units = {{0, 1000}};
  LbgmPublicCopy sender(units, LbgmOptions{0.2, 0.01});
  LbgmPublicCopy receiver(units, LbgmOptions{0.2, 0.01});
  DriftingModel model(1000, 81);
  LbgmMessage message;
  sender.publish(model.x().data(), true, message);
  ASSERT_EQ(receiver.apply(message), LbgmApplied::kApplied);
  do {
    sender.publish(model.step().data(), false, message);
  } while (message.units[0].mode != LbgmMode::kSparse);
  ASSERT_EQ(floatBits(message.payload[0]), 10U);
  const std::vector<float> held(receiver.values(), receiver.values() + 1000);
  auto refused = [&](const LbgmMessage& bad, const char* what) {
    EXPECT_EQ(receiver.apply(bad), LbgmApplied::kMalformed) << what;
    EXPECT_EQ(std::memcmp(held.data(), receiver.values(), sizeof(float) * 1000), 0) << what;
  };
  LbgmMessage bad = message;
  bad.payload[0] = floatFromBits(0);
  refused(bad, "count 0");
  bad = message;
  bad.payload[0] = floatFromBits(1001);
  refused(bad, "count beyond the unit");
  bad = message;
  bad.payload[2] = bad.payload[1];
  refused(bad, "repeated index");
  bad = message;
  std::swap(bad.payload[1], bad.payload[2]);
  refused(bad, "indices out of order");
  bad = message;
  bad.payload[10] = floatFromBits(1000);
  refused(bad, "index out of range");
  bad = message;
  bad.payload[11] = std::nanf("");
  refused(bad, "non-finite value");
  bad = message;
  bad.payload.pop_back();
  refused(bad, "short payload");
  ASSERT_EQ(receiver.apply(message), LbgmApplied::kApplied);
  EXPECT_EQ(std::memcmp(sender.values(), receiver.values(), sizeof(float) * 1000), 0);
}

// Test 7 (sign + LBGM): a SIGN unit carries a = mean |D| and one bit per entry, x̂ moves by
// exactly ±a, the look-back vector is the ±1 vector (0 counts as +1), and both ends agree.
TEST(Lbgm, SignPublishesOneBitPerEntryAndBothEndsAgree) {
  const std::vector<LbgmUnit> units = lbgmUnits({300, 20, 5000, 40, 2000});
  LbgmPublicCopy sender(units, LbgmOptions{0.2, 0, true});
  LbgmPublicCopy receiver(units, LbgmOptions{0.2, 0, true});
  DriftingModel model(sender.numel(), 101);
  LbgmMessage message;
  std::uint64_t signs = 0;
  for (int t = 0; t < 500; ++t) {
    const std::vector<float>& x = model.step();
    const std::vector<float> before(sender.values(), sender.values() + sender.numel());
    sender.publish(x.data(), t == 0, message);
    ASSERT_EQ(receiver.apply(message), LbgmApplied::kApplied) << t;
    ASSERT_EQ(std::memcmp(sender.values(), receiver.values(), sender.numel() * sizeof(float)), 0);
    std::size_t word = 0;
    for (std::size_t u = 0; u < units.size(); ++u) {
      const LbgmUnit& unit = units[u];
      const LbgmMode mode = message.units[u].mode;
      if (mode == LbgmMode::kReset) {
        word += unit.numel;
        continue;
      }
      ASSERT_NE(mode, LbgmMode::kFull);
      if (mode != LbgmMode::kSign) {
        continue;
      }
      ++signs;
      double l1 = 0;
      for (std::size_t i = 0; i < unit.numel; ++i) {
        l1 += std::fabs(static_cast<double>(x[unit.offset + i] - before[unit.offset + i]));
      }
      const float a = message.payload[word];
      ASSERT_EQ(a, static_cast<float>(l1 / static_cast<double>(unit.numel)));
      for (std::size_t i = 0; i < unit.numel; ++i) {
        const std::size_t at = unit.offset + i;
        const bool negative = (floatBits(message.payload[word + 1 + i / 32]) >> (i % 32) & 1U) != 0;
        ASSERT_EQ(negative, x[at] - before[at] < 0) << i;
        ASSERT_EQ(sender.values()[at], before[at] + (negative ? -a : a));
        ASSERT_EQ(sender.lookBack()[at], negative ? -1.0F : 1.0F);
      }
      word += 1 + (unit.numel + 31) / 32;
    }
    ASSERT_EQ(word, message.payload.size());
  }
  EXPECT_GT(signs, 1000U);
  EXPECT_THROW(LbgmPublicCopy(units, LbgmOptions{0.2, 0.1, true}), runtime::Error);

  // A SIGN unit with padding bits set, a non-finite scale or a short payload is refused.
  LbgmPublicCopy a({{0, 40}}, LbgmOptions{0.2, 0, true});
  LbgmPublicCopy b({{0, 40}}, LbgmOptions{0.2, 0, true});
  std::vector<float> x(40, 1.0F);
  a.publish(x.data(), true, message);
  ASSERT_EQ(b.apply(message), LbgmApplied::kApplied);
  for (std::size_t i = 0; i < 40; ++i) {
    x[i] += i % 3 == 0 ? -0.25F : 0.5F;
  }
  a.publish(x.data(), false, message);
  ASSERT_EQ(message.units[0].mode, LbgmMode::kSign);
  ASSERT_EQ(message.payload.size(), 3U);
  LbgmMessage bad = message;
  bad.payload[2] = floatFromBits(floatBits(bad.payload[2]) | (1U << 9));  // entry 41 of 40
  EXPECT_EQ(b.apply(bad), LbgmApplied::kMalformed);
  bad = message;
  bad.payload[0] = INFINITY;
  EXPECT_EQ(b.apply(bad), LbgmApplied::kMalformed);
  bad = message;
  bad.payload.pop_back();
  EXPECT_EQ(b.apply(bad), LbgmApplied::kMalformed);
  ASSERT_EQ(b.apply(message), LbgmApplied::kApplied);
  EXPECT_EQ(std::memcmp(a.values(), b.values(), sizeof(float) * 40), 0);
}

}  // namespace
}  // namespace murmur::compression
