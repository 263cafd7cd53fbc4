// Who is alive, from what we hear: every message from a peer refreshes it; a peer silent past
// `deadAfter` is dead, one whose exchanges keep timing out is suspect (skipped for neighbour
// choice until heard from again). A stand-in for SWIM (issue 3) with the same questions.
// Thread: one owner (the comm thread).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/clock.h"
#include "runtime/ids.h"

namespace murmur::gossip {

struct LivenessOptions {
  runtime::Duration deadAfter = std::chrono::seconds(5);      // silence before a peer is dead
  runtime::Duration startupGrace = std::chrono::seconds(60);  // peers never heard: time to start
  std::uint32_t suspectAfterFailures = 2;                     // consecutive exchange timeouts
};

enum class PeerHealth : std::uint8_t { kAlive, kSuspect, kDead };

class PeerLiveness {
 public:
  PeerLiveness(std::uint32_t peers,
               runtime::PeerId self,
               runtime::TimePoint start,
               LivenessOptions options);

  // Any valid message from `peer`.
  void heard(runtime::PeerId peer, runtime::TimePoint now);

  // An exchange with `peer` timed out.
  void failed(runtime::PeerId peer);

  PeerHealth health(runtime::PeerId peer, runtime::TimePoint now) const;

  // Alive and not suspect: a fit partner for an exchange.
  bool usable(runtime::PeerId peer, runtime::TimePoint now) const {
    return health(peer, now) == PeerHealth::kAlive;
  }

  bool everHeard(runtime::PeerId peer) const { return peers_.at(peer.value).everHeard; }

 private:
  struct Entry {
    runtime::TimePoint lastHeard{};
    bool everHeard = false;
    std::uint32_t failures = 0;
  };

  runtime::PeerId self_;
  runtime::TimePoint start_;
  LivenessOptions options_;
  std::vector<Entry> peers_;
};

}  // namespace murmur::gossip
