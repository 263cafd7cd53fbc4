#include "gossip/exchange_credits.h"

#include <algorithm>

#include "runtime/error.h"

namespace murmur::gossip {

ExchangeCredits::ExchangeCredits(CreditOptions options)
    : options_(options),
      cap_(options.backlogCap > 0 ? options.backlogCap : std::max(4.0, 4.0 * options.rate)) {
  MURMUR_REQUIRE(options.rate >= 0, "exchange rate must be ≥ 0, got ", options.rate);
}

std::uint64_t ExchangeCredits::earnForStep(runtime::Rng& rng) {
  ++steps_;
  std::uint64_t earned = options_.rate > 0 ? rng.poisson(options_.rate) : 0;
  credits_ += static_cast<double>(earned);
  return earned;
}

void ExchangeCredits::spend() {
  ++exchanges_;
  credits_ = std::max(credits_ - 1.0, -cap_);
}

double ExchangeCredits::dropExcess() {
  if (credits_ <= cap_) {
    return 0;
  }
  double dropped = credits_ - cap_;
  credits_ = cap_;
  return dropped;
}

double ExchangeCredits::realisedRate() const {
  return steps_ == 0 ? 0.0 : static_cast<double>(exchanges_) / static_cast<double>(steps_);
}

}  // namespace murmur::gossip
