#include "peer/shared_model_state.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/rng.h"

namespace murmur::peer {
namespace {

using std::chrono::milliseconds;

// Two peers exchanging while "training" with lr = 0, Δs queued for their compute threads:
// the pair's Σ(2x + d) is unchanged and back-to-back exchanges never double-count.
TEST(SharedModelState, QueuedExchangesConserveThePairSum) {
  for (momentum::AcidParams params : {momentum::AcidParams{0.4, 1.7}, momentum::AcidParams{}}) {
    constexpr std::size_t kN = 16;
    runtime::Rng rng(8);
    std::vector<float> xa(kN);
    std::vector<float> xb(kN);
    for (std::size_t k = 0; k < kN; ++k) {
      xa[k] = static_cast<float>(rng.normal());
      xb[k] = static_cast<float>(rng.normal());
    }
    double sumBefore = 0;
    for (std::size_t k = 0; k < kN; ++k) {
      sumBefore += xa[k] + xb[k];
    }
    runtime::TimePoint t{};
    SharedModelState a(xa.data(), kN, params, t);
    SharedModelState b(xb.data(), kN, params, t);
    for (int round = 0; round < 50; ++round) {
      t += milliseconds(3);
      // Three exchanges in a row before either compute thread runs a step.
      for (int e = 0; e < 3; ++e) {
        auto sa = a.snapshot(t);
        auto sb = b.snapshot(t);
        a.submitExchange(t, runtime::floatBlob(sb), sa);
        b.submitExchange(t, runtime::floatBlob(sa), sb);
      }
      EXPECT_EQ(a.pendingExchanges(), 3U);
      a.gradientStep(t, [] {});
      b.gradientStep(t, [] {});
    }
    a.stopTraining(t);
    b.stopTraining(t);
    // Converged to the pair mean: double counting would overshoot and diverge instead.
    std::vector<float> ca(kN);
    std::vector<float> cb(kN);
    a.copyParameters(t + milliseconds(1000), ca.data());
    b.copyParameters(t + milliseconds(1000), cb.data());
    double sumAfter = 0;
    for (std::size_t k = 0; k < kN; ++k) {
      sumAfter += ca[k] + cb[k];
      EXPECT_NEAR(ca[k], cb[k], 1e-4);
    }
    EXPECT_NEAR(sumAfter, sumBefore, 1e-4);
  }
}

TEST(SharedModelState, OptimizerStepRunsAfterTheQueueUnderTheLock) {
  std::vector<float> x{0.0F};
  runtime::TimePoint t{};
  SharedModelState state(x.data(), 1, momentum::AcidParams{}, t);
  auto peer = std::make_shared<BufferPool::Buffer>(1, 4.0F);
  auto self = state.snapshot(t);
  state.submitExchange(t, runtime::floatBlob(peer), self);
  EXPECT_EQ(x[0], 0.0F);  // queued, not applied behind the compute thread's back
  std::size_t applied = state.gradientStep(t + milliseconds(1), [&] { x[0] += 1.0F; });
  EXPECT_EQ(applied, 1U);
  EXPECT_EQ(x[0], 3.0F);  // ½·4 from the exchange, then the increment
}

TEST(SharedModelState, AfterTrainingExchangesApplyAtOnce) {
  std::vector<float> x{0.0F};
  runtime::TimePoint t{};
  SharedModelState state(x.data(), 1, momentum::AcidParams{}, t);
  state.stopTraining(t);
  auto peer = std::make_shared<BufferPool::Buffer>(1, 2.0F);
  state.submitExchange(t, runtime::floatBlob(peer), state.snapshot(t));
  EXPECT_EQ(x[0], 1.0F);
  std::vector<float> average{7.0F};
  state.replaceParameters(average.data());
  EXPECT_EQ(x[0], 7.0F);
}

// A global sync's install (specs/fda.md §4.3 step 4): queued behind the exchanges queued before
// it, applied by the compute thread; x = w̄ + the work done since the contributed snapshot, d = 0.
TEST(SharedModelState, AnInstallKeepsTheWorkDoneSinceTheSnapshotAndClearsTheGap) {
  std::vector<float> x{1.0F, 2.0F};
  runtime::TimePoint t{};
  SharedModelState state(x.data(), 2, momentum::AcidParams{0.3, 1.5}, t);
  auto contributed = std::make_shared<const std::vector<float>>(x);
  state.gradientStep(t + milliseconds(1), [&] { x[0] += 0.5F; });  // work during the ring
  auto mean = std::make_shared<const std::vector<float>>(std::vector<float>{10.0F, 20.0F});
  state.submitInstall(t + milliseconds(2), 3, mean, contributed);
  EXPECT_TRUE(state.installPending());
  EXPECT_FALSE(state.takeInstalled().has_value()) << "not applied before the compute thread runs";
  EXPECT_EQ(x[0], 1.5F);
  state.applyQueued(t + milliseconds(3));
  EXPECT_FALSE(state.installPending());
  EXPECT_EQ(x[0], 10.5F);
  EXPECT_EQ(x[1], 20.0F);
  std::optional<SharedModelState::Installed> installed = state.takeInstalled();
  ASSERT_TRUE(installed.has_value());
  EXPECT_EQ(installed->epoch, 3U);
  EXPECT_EQ(installed->mean, mean);
  EXPECT_FALSE(state.takeInstalled().has_value()) << "taken once";
  // d = 0: nothing mixes into x any more.
  std::vector<float> later(2);
  state.copyParameters(t + std::chrono::seconds(10), later.data());
  EXPECT_EQ(later, x);
}

// With no step since the snapshot, x becomes the average bit for bit (every-step syncs rely on it:
// x + (w̄ − x) would round differently on every peer).
TEST(SharedModelState, AnInstallWithoutWorkMeanwhileGivesTheAverageExactly) {
  runtime::Rng rng(5);
  std::vector<float> x(1000);
  std::vector<float> mean(1000);
  for (std::size_t k = 0; k < x.size(); ++k) {
    x[k] = static_cast<float>(rng.normal() * 1e-3);
    mean[k] = static_cast<float>(rng.normal() * 1e3);
  }
  runtime::TimePoint t{};
  SharedModelState state(x.data(), x.size(), momentum::AcidParams{}, t);
  state.stopTraining(t);
  state.submitInstall(t,
                      1,
                      std::make_shared<const std::vector<float>>(mean),
                      std::make_shared<const std::vector<float>>(x));
  EXPECT_EQ(x, mean);
}

TEST(SharedModelState, StepClockTracksTheMeanInterval) {
  std::vector<float> x{0.0F};
  runtime::TimePoint t{};
  SharedModelState state(x.data(), 1, momentum::AcidParams{}, t, ModelClockOptions{0.5, 0.01});
  for (int i = 0; i < 40; ++i) {
    t += milliseconds(20);
    state.gradientStep(t, [] {});
  }
  EXPECT_NEAR(state.stepSeconds(), 0.020, 1e-6);
  state.skipNextInterval();  // a long evaluation pause does not count
  t += std::chrono::seconds(5);
  state.gradientStep(t, [] {});
  EXPECT_NEAR(state.stepSeconds(), 0.020, 1e-6);
}

TEST(BufferPool, ReusesBuffersInsteadOfAllocating) {
  BufferPool pool(1024);
  for (int i = 0; i < 100; ++i) {
    auto a = pool.acquire();
    auto b = pool.acquire();
    (*a)[0] = 1.0F;
  }
  EXPECT_EQ(pool.allocated(), 2U);
  // A buffer released on another thread (libzmq's free callback) returns to the pool too.
  auto held = pool.acquire();
  std::thread([moved = std::move(held)]() mutable { moved.reset(); }).join();
  auto again = pool.acquire();
  EXPECT_EQ(pool.allocated(), 2U);
}

}  // namespace
}  // namespace murmur::peer
