#include "peer/exchange_budget.h"

#include <chrono>

namespace murmur::peer {

ExchangeBudget::ExchangeBudget(gossip::CreditOptions options, std::uint64_t seed)
    : credits_(options), rng_(seed) {}

bool ExchangeBudget::earnForStep() {
  std::lock_guard<std::mutex> lock(mu_);
  const bool couldInitiate = credits_.canInitiate();
  credits_.earnForStep(rng_);
  return !couldInitiate && credits_.canInitiate();
}

double ExchangeBudget::waitWhileOverCap(runtime::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!credits_.overCap()) {
    return 0.0;
  }
  auto start = std::chrono::steady_clock::now();
  caughtUp_.wait_for(lock, timeout, [&] { return !credits_.overCap(); });
  dropped_ += credits_.dropExcess();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool ExchangeBudget::canInitiate() const {
  std::lock_guard<std::mutex> lock(mu_);
  return credits_.canInitiate();
}

void ExchangeBudget::spend() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    credits_.spend();
  }
  caughtUp_.notify_all();
}

double ExchangeBudget::realisedRate() const {
  std::lock_guard<std::mutex> lock(mu_);
  return credits_.realisedRate();
}

double ExchangeBudget::droppedCredits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

}  // namespace murmur::peer
