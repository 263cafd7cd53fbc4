#include "gossip/liveness.h"

#include "runtime/error.h"

namespace murmur::gossip {

PeerLiveness::PeerLiveness(std::uint32_t peers,
                           runtime::PeerId self,
                           runtime::TimePoint start,
                           LivenessOptions options)
    : self_(self), start_(start), options_(options), peers_(peers) {
  MURMUR_REQUIRE(self.value < peers, "self id ", self.value, " out of range");
}

void PeerLiveness::heard(runtime::PeerId peer, runtime::TimePoint now) {
  Entry& entry = peers_.at(peer.value);
  if (now > entry.lastHeard) {
    entry.lastHeard = now;
  }
  entry.everHeard = true;
  entry.failures = 0;
}

void PeerLiveness::failed(runtime::PeerId peer) {
  ++peers_.at(peer.value).failures;
}

PeerHealth PeerLiveness::health(runtime::PeerId peer, runtime::TimePoint now) const {
  if (peer == self_) {
    return PeerHealth::kAlive;
  }
  const Entry& entry = peers_.at(peer.value);
  if (!entry.everHeard) {
    return now - start_ > options_.startupGrace ? PeerHealth::kDead : PeerHealth::kSuspect;
  }
  if (now - entry.lastHeard > options_.deadAfter) {
    return PeerHealth::kDead;
  }
  return entry.failures >= options_.suspectAfterFailures ? PeerHealth::kSuspect
                                                         : PeerHealth::kAlive;
}

}  // namespace murmur::gossip
