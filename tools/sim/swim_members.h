// SWIM as real peers run it (gossip::Membership, one per simulated peer) on the simulator's clock
// and network model: pings, acks and indirect pings are messages with their latency, bandwidth
// and loss, every message a peer sends (probes and exchange messages alike) carries its
// incarnation and up to six membership updates, and each peer picks partners from its own view.
// A crash is then found by the peers themselves: probe timeouts, suspicion, DEAD.
// Thread: single-threaded, on the simulation's event loop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "gossip/membership.h"
#include "runtime/manual_event_loop.h"
#include "runtime/rng.h"
#include "tools/sim/network_model.h"

namespace murmur::sim {

// What one message carries for membership: its sender's incarnation and piggybacked updates.
struct SwimNews {
  std::uint64_t incarnation = 0;
  std::vector<gossip::MemberUpdate> updates;
};

struct SwimStats {
  std::uint64_t bytes = 0;        // probes, acks, HELLOs and LEAVEs, plus the updates on exchanges
  std::uint64_t messages = 0;     // probe traffic only
  std::uint64_t deaths = 0;       // (survivor, crashed peer) pairs declared DEAD
  std::uint64_t falseDeaths = 0;  // a running peer declared DEAD by another
  double detectionSecondsMean = 0;  // from a crash to a survivor's DEAD, over `deaths`
  double detectionSecondsMax = 0;
};

class SwimMembers {
 public:
  // Wire sizes: an envelope without payload, and one update (a name, a state, an incarnation and
  // the suspecter's name).
  static constexpr std::uint64_t kHeaderBytes = 64;
  static constexpr std::uint64_t kUpdateBytes = 32;

  SwimMembers(std::uint32_t total,
              gossip::MembershipOptions options,
              std::uint64_t seed,
              runtime::ManualEventLoop& loop,
              NetworkModel& network,
              runtime::Rng& netRng);

  // Peers 0..founders−1 start now, each having heard every other (murmur's start-up wait).
  void startFounders(std::uint32_t founders);
  // A joiner that got its model from `seed`: it knows seed's members and says HELLO to each;
  // they add it and answer.
  void join(std::uint32_t joiner, std::uint32_t seed);
  // Silent: it neither probes nor answers any more.
  void crash(std::uint32_t peer);
  // LEFT at a new incarnation, sent to every member it does not hold gone; then silent.
  void leave(std::uint32_t peer);

  // `from`'s own view of `to`.
  bool usable(std::uint32_t from, std::uint32_t to) const;
  bool gone(std::uint32_t from, std::uint32_t to) const;

  // Membership on an exchange message from `from` to `to`, and its arrival.
  SwimNews news(std::uint32_t from, std::uint32_t to);
  void received(std::uint32_t at, std::uint32_t from, const SwimNews& news);
  // An exchange with `partner` timed out: `peer` probes it next (as real peers do).
  void exchangeTimedOut(std::uint32_t peer, std::uint32_t partner);

  const SwimStats& stats() const { return stats_; }

 private:
  struct Member {
    std::unique_ptr<gossip::Membership> view;
    bool up = false;  // probes and answers
    bool leaving = false;
    std::optional<runtime::TimePoint> crashedAt;
    runtime::TimePoint nextTick = runtime::TimePoint::max();
  };

  enum class Kind : std::uint8_t { kProbe, kHello, kHelloReply, kLeave };

  void start(std::uint32_t peer);
  // The sender's word on arrival: direct evidence that it runs, and its piggybacked updates.
  void absorb(std::uint32_t at, std::uint32_t from, const SwimNews& news);
  void send(std::uint32_t from, std::uint32_t to, Kind kind, const gossip::ProbeMessage& probe);
  void deliver(std::uint32_t to,
               std::uint32_t from,
               Kind kind,
               const gossip::ProbeMessage& probe,
               const SwimNews& news);
  void tick(std::uint32_t peer);
  void scheduleTick(std::uint32_t peer);
  void takeEvents(std::uint32_t peer);

  gossip::MembershipOptions options_;
  std::uint64_t seed_;
  runtime::ManualEventLoop& loop_;
  NetworkModel& network_;
  runtime::Rng& netRng_;
  std::vector<Member> members_;
  SwimStats stats_;
  double detectionSum_ = 0;
};

}  // namespace murmur::sim
