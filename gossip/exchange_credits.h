// Rate accounting for exchanges (specs/a2cid2.md §3.3): compute earns Poisson(r) credits per step,
// each completed exchange (initiated or accepted) spends one, comm initiates only with credit.
// Thread: not thread-safe; peer/ guards it (compute adds, comm spends).
#pragma once

#include <cstdint>

#include "runtime/rng.h"

namespace murmur::gossip {

struct CreditOptions {
  double rate = 1.0;      // r: exchanges each peer takes part in per gradient step
  double backlogCap = 0;  // compute waits above this many unspent credits; 0 means 4r (min 4)
};

class ExchangeCredits {
 public:
  explicit ExchangeCredits(CreditOptions options);

  // One gradient step happened: earn Poisson(rate) credits. Returns how many.
  std::uint64_t earnForStep(runtime::Rng& rng);

  // Comm may start an exchange.
  bool canInitiate() const { return credits_ >= 1.0; }

  // An exchange completed (either side). Accepts at zero credit still count: the balance may go
  // negative down to −cap so that the realised rate stays near r when neighbours initiate a lot.
  void spend();

  // Compute should wait for comm to catch up.
  bool overCap() const { return credits_ > cap_; }

  // Drops credit above the cap (comm cannot keep up, e.g. no live neighbour). Returns how much.
  double dropExcess();

  double balance() const { return credits_; }

  // Completed exchanges per gradient step so far.
  double realisedRate() const;

  std::uint64_t steps() const { return steps_; }

  std::uint64_t exchanges() const { return exchanges_; }

 private:
  CreditOptions options_;
  double cap_;
  double credits_ = 0;
  std::uint64_t steps_ = 0;
  std::uint64_t exchanges_ = 0;
};

}  // namespace murmur::gossip
