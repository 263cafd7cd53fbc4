// SWIM membership with Lifeguard refinements, sans-I/O (ARCHITECTURE.md §4).
//
// Every probe period we PING the next member of a shuffled round-robin order; without an ACK by the
// probe timeout we ask k others to PING it for us (PING_REQ); without any ACK by the end of the
// period the member becomes SUSPECT. A suspicion expires into DEAD after a timeout that shrinks,
// Lifeguard-style, with each independent confirmation from another member; the suspect refutes it
// by re-announcing itself ALIVE with a higher incarnation. LEFT (a member said goodbye) is distinct
// from DEAD (we gave up on it). Updates travel piggybacked on every message, each retransmitted
// λ·⌈log₂(n + 1)⌉ times. Lifeguard's local health multiplier stretches our own probe timing while
// our probes fail or we learn we were suspected, so a slow peer suspects others less.
// Members named in the start-up peer list are PENDING until first heard from (peers take seconds to
// start): not probed, not usable, and DEAD if still silent after the start-up grace.
// Thread: one owner (the comm thread).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/clock.h"
#include "runtime/ids.h"
#include "runtime/rng.h"

namespace murmur::gossip {

struct MembershipOptions {
  runtime::Duration probeInterval = std::chrono::milliseconds(500);  // one probe per period
  runtime::Duration probeTimeout = std::chrono::milliseconds(200);   // direct ACK wait
  std::uint32_t indirectProbes = 3;                                  // k
  // With every confirmation in. Confirmations come within about a probe period, so this is
  // what a crash takes; a pause (SIGSTOP, swap) shorter than it minus a probe period is refuted.
  runtime::Duration suspicionMin = std::chrono::milliseconds(2500);
  runtime::Duration suspicionMax = std::chrono::seconds(4);   // with no confirmation
  std::uint32_t retransmitMultiplier = 3;                     // λ
  std::uint32_t maxHealthMultiplier = 4;                      // Lifeguard's S
  runtime::Duration startupGrace = std::chrono::seconds(60);  // PENDING → DEAD if never heard
  // One PING to a random DEAD member per interval (Serf's reconnect): after a partition heals,
  // each side learns the other was declared dead, refutes, and the swarm is whole again.
  runtime::Duration deadProbeInterval = std::chrono::seconds(2);
};

enum class MemberState : std::uint8_t { kPending, kAlive, kSuspect, kDead, kLeft };

const char* memberStateName(MemberState state);

// What is disseminated: a claim about one member at one incarnation.
struct MemberUpdate {
  runtime::PeerId member;
  MemberState state = MemberState::kAlive;
  std::uint64_t incarnation = 0;
  runtime::PeerId origin;  // SUSPECT: who suspects (independent confirmations are counted by it)

  friend bool operator==(const MemberUpdate& a, const MemberUpdate& b) {
    return a.member == b.member && a.state == b.state && a.incarnation == b.incarnation &&
           a.origin == b.origin;
  }
};

enum class ProbeKind : std::uint8_t { kPing, kAck, kPingReq };

// A probe message to send. For kPingReq, `target` is the member to ping on our behalf; for kAck it
// is the member whose liveness the ACK vouches for.
struct ProbeMessage {
  ProbeKind kind = ProbeKind::kPing;
  runtime::PeerId to;
  std::uint64_t seq = 0;
  runtime::PeerId target;
};

// A state change, for logs and metrics.
struct MembershipEvent {
  runtime::PeerId member;
  MemberState from = MemberState::kPending;
  MemberState to = MemberState::kAlive;
  std::uint64_t incarnation = 0;
};

struct MemberView {
  runtime::PeerId id;
  MemberState state = MemberState::kPending;
  std::uint64_t incarnation = 0;
  std::optional<runtime::TimePoint> lastHeard;
};

class Membership {
 public:
  Membership(runtime::PeerId self,
             std::uint64_t incarnation,
             runtime::TimePoint start,
             MembershipOptions options,
             std::uint64_t seed);

  // A member from the start-up list: PENDING until heard from.
  void addPending(runtime::PeerId id);

  // Probe timers and suspicion expiry; returns the probes to send now.
  std::vector<ProbeMessage> tick(runtime::TimePoint now);

  // Inbound probe traffic (already validated). Returns what to send in reply.
  std::vector<ProbeMessage> onPing(runtime::PeerId from, std::uint64_t seq, runtime::TimePoint now);
  std::vector<ProbeMessage> onPingReq(runtime::PeerId from,
                                      std::uint64_t seq,
                                      runtime::PeerId target,
                                      runtime::TimePoint now);
  std::vector<ProbeMessage> onAck(runtime::PeerId from, std::uint64_t seq, runtime::TimePoint now);

  // Any valid message from `from`, which carries its current incarnation: direct evidence that it
  // runs (a PENDING member becomes ALIVE; a higher incarnation clears a suspicion or revives a
  // restarted member).
  void heard(runtime::PeerId from, std::uint64_t incarnation, runtime::TimePoint now);

  // Piggybacked updates from `from`; refutes suspicions about us. Unknown members are ignored
  // (joins add them explicitly).
  void apply(runtime::PeerId from,
             const std::vector<MemberUpdate>& updates,
             runtime::TimePoint now);

  // Up to `limit` updates to piggyback on a message to `to` (news about `to` itself first: the
  // fastest way for a suspect to learn it must refute; a member we hold DEAD is always told so,
  // long after that news stopped spreading, so that it refutes after a partition). Counts their
  // transmissions.
  std::vector<MemberUpdate> piggyback(runtime::PeerId to, std::size_t limit);

  // The message that carried `updates` (from piggyback) was refused by the transport: they do not
  // count as transmitted (a peer still starting up must not use up the news).
  void notSent(const std::vector<MemberUpdate>& updates);

  // We leave: our state becomes LEFT at a new incarnation, to be disseminated.
  void leave(runtime::TimePoint now);

  // A member's exchange timed out: probe it next, so a crash is confirmed quickly.
  void probeSoon(runtime::PeerId id);

  MemberState state(runtime::PeerId id) const;

  // A fit exchange partner: ALIVE (not pending, suspect, dead or left) and heard from directly.
  // Hearsay is not enough: a member we only know of through others may not have its connection
  // to us up yet, and could then receive our proposal but never answer it.
  bool usable(runtime::PeerId id) const;

  // Gone for good: DEAD or LEFT.
  bool gone(runtime::PeerId id) const {
    MemberState s = state(id);
    return s == MemberState::kDead || s == MemberState::kLeft;
  }

  std::uint64_t incarnation() const { return incarnation_; }

  // The incarnation we hold for a member (0 when unknown).
  std::uint64_t incarnationOf(runtime::PeerId id) const;

  std::uint32_t healthMultiplier() const { return health_; }

  // When tick() next has work.
  runtime::TimePoint nextDeadline() const;

  std::vector<MemberView> members() const;

  // State changes since the last call.
  std::vector<MembershipEvent> takeEvents();

 private:
  struct Member {
    MemberState state = MemberState::kPending;
    std::uint64_t incarnation = 0;
    std::optional<runtime::TimePoint> lastHeard;
    runtime::TimePoint suspectedAt{};
    std::vector<runtime::PeerId> confirmations;  // others who suspect it at this incarnation
    bool ownSuspicion = false;  // we spread a SUSPECT of our own (origin: us) at this incarnation
  };

  struct Probe {
    runtime::PeerId target;
    std::uint64_t seq = 0;
    runtime::TimePoint sentAt{};
    bool indirectSent = false;
    bool acked = false;
  };

  struct Relay {  // a PING we send for someone else's PING_REQ
    std::uint64_t ourSeq = 0;
    runtime::PeerId requester;
    std::uint64_t requesterSeq = 0;
    runtime::PeerId target;
    runtime::TimePoint expires{};
  };

  struct Gossip {
    MemberUpdate update;
    std::uint32_t sent = 0;
    std::uint64_t order = 0;    // when it became news: the newer goes first among equally sent
    bool firstContact = false;  // PENDING → ALIVE: yields to news that change partner choice
  };

  runtime::Duration scaled(runtime::Duration d) const { return d * (health_ + 1); }

  static bool hasTimer(MemberState s) {
    return s == MemberState::kPending || s == MemberState::kSuspect;
  }

  std::uint32_t expectedConfirmations() const;  // Lifeguard's K: the timeout is at its minimum
  runtime::Duration suspicionTimeout(const Member& m) const;
  void setState(runtime::PeerId id, Member& m, MemberState to, std::uint64_t incarnation);
  void disseminate(MemberUpdate update, bool firstContact = false);
  void refute(std::uint64_t claimed);
  void suspect(runtime::PeerId id,
               Member& m,
               std::uint64_t incarnation,
               runtime::PeerId origin,
               runtime::TimePoint now);
  // Our own probe of a suspect failed: an independent confirmation, spread once.
  void confirmSuspicion(runtime::PeerId id, Member& m);
  std::optional<runtime::PeerId> nextProbeTarget();
  std::optional<runtime::PeerId> randomDeadMember();
  void healthBetter();
  void healthWorse();
  std::uint32_t retransmitLimit() const;

  runtime::PeerId self_;
  std::uint64_t incarnation_;
  bool left_ = false;
  runtime::TimePoint start_;
  MembershipOptions options_;
  runtime::Rng rng_;
  std::map<runtime::PeerId, Member> members_;
  // Members PENDING or SUSPECT, the states with timers: with none, tick() and nextDeadline() skip
  // the walk over every member (at a thousand members, most of a comm loop's membership work).
  std::size_t timed_ = 0;
  std::vector<runtime::PeerId> probeOrder_;
  std::size_t probeIndex_ = 0;
  std::optional<runtime::PeerId> probeNext_;  // probeSoon() asked for this one
  std::optional<Probe> probe_;
  runtime::TimePoint nextProbe_;
  runtime::TimePoint nextDeadProbe_;
  std::uint64_t nextSeq_;
  std::vector<Relay> relays_;
  // Pings to new suspects, sent by the next tick(): they carry the suspicion to the suspect even
  // when nobody probes it soon (Lifeguard's buddy system), so a paused peer refutes on waking.
  std::vector<ProbeMessage> urgent_;
  std::vector<Gossip> gossip_;
  std::uint64_t newsCount_ = 0;
  std::vector<MembershipEvent> events_;
  std::uint32_t health_ = 0;
};

}  // namespace murmur::gossip
