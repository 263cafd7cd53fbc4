// gossip::ExchangeCredits shared by the compute thread (earns a Poisson(r) credit per step) and
// the comm thread (spends one per completed exchange), with the backlog wait of
// specs/a2cid2.md §3.3: compute waits only when comm is more than the cap behind.
// Thread: any.
#pragma once

#include <condition_variable>
#include <mutex>

#include "gossip/exchange_credits.h"
#include "runtime/clock.h"
#include "runtime/rng.h"

namespace murmur::peer {

class ExchangeBudget {
 public:
  ExchangeBudget(gossip::CreditOptions options, std::uint64_t seed);

  // Compute: one gradient step happened. Returns true when this step's credit is the one that
  // lets comm start an exchange (comm sleeps while it has none: only then is it worth waking).
  bool earnForStep();

  // Compute: if comm is over the cap behind, wait up to `timeout` for it to catch up, then drop
  // what is still above the cap (no live neighbour must not stall training). Returns seconds
  // waited.
  double waitWhileOverCap(runtime::Duration timeout);

  // Comm: may an exchange start?
  bool canInitiate() const;

  // Comm: an exchange completed.
  void spend();

  double realisedRate() const;
  double droppedCredits() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable caughtUp_;
  gossip::ExchangeCredits credits_;
  runtime::Rng rng_;
  double dropped_ = 0;
};

}  // namespace murmur::peer
