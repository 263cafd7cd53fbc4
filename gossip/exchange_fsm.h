// The pairwise exchange handshake of one peer as a sans-I/O state machine
// (specs/a2cid2.md §3.1): events in (proposals, replies, the time), messages out.
//
//   initiator i                      responder j
//   PROPOSE(seq) ───────────────────▶ idle? ACCEPT(seq)+snapshot S_j   (else BUSY(seq))
//   ACCEPT: PARAMS(seq)+snapshot S_i ▶ apply S_i − S_j
//   apply S_j − S_i
//
// Crossing proposals: the lower peer id wins, the higher drops its own and accepts. Every wait
// has a deadline; stale replies (wrong seq or partner) are dropped, and a stale ACCEPT is answered
// BUSY so the responder stops waiting at once. Thread: one owner (the comm thread).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/clock.h"
#include "runtime/ids.h"
#include "runtime/rng.h"

namespace murmur::gossip {

enum class ExchangeMessage : std::uint8_t { kPropose, kAccept, kBusy, kParams };

enum class ExchangeResult : std::uint8_t {
  kApplied,      // both snapshots met: the caller applies the delta
  kBusy,         // the partner was busy (or won a crossing)
  kTimedOut,     // a deadline passed: nothing is applied
  kAborted,      // the initiator gave up on us (stale ACCEPT answered BUSY)
  kUnreachable,  // our message could not be handed to the transport: nothing is applied
};

struct ExchangeOptions {
  runtime::Duration replyTimeout = std::chrono::seconds(2);      // PROPOSE → ACCEPT/BUSY
  runtime::Duration paramsTimeout = std::chrono::seconds(5);     // ACCEPT sent → PARAMS back
  runtime::Duration backoffMin = std::chrono::milliseconds(1);   // after BUSY or timeout,
  runtime::Duration backoffMax = std::chrono::milliseconds(10);  // uniform in [min, max]
};

// A message to send. withSnapshot: attach a fresh snapshot of x (the caller takes it now and keeps
// it until the exchange ends, to compute Δ).
struct Outgoing {
  runtime::PeerId to;
  ExchangeMessage type;
  runtime::Seq seq;
  bool withSnapshot = false;
};

struct ExchangeOutcome {
  runtime::PeerId peer;
  runtime::Seq seq;
  bool initiated = false;
  ExchangeResult result = ExchangeResult::kApplied;
};

// What the caller must do after an event, in order: send, then (if applyReceived) apply
// Δ = (snapshot in the message just handled) − (own snapshot of this exchange).
struct ExchangeStep {
  std::vector<Outgoing> send;
  bool applyReceived = false;
  std::optional<ExchangeOutcome> finished;
  bool ignored = false;  // the event was stale or unexpected (counted by the caller)
};

class ExchangeFsm {
 public:
  ExchangeFsm(runtime::PeerId self, ExchangeOptions options, std::uint64_t seed);

  // No exchange in flight (a proposal may still be accepted; initiating also needs !backingOff).
  bool idle() const { return state_ == State::kIdle; }

  // Idle and past any back-off.
  bool canPropose(runtime::TimePoint now) const { return idle() && now >= backoffUntil_; }

  // Starts an exchange with `to` (requires canPropose).
  ExchangeStep propose(runtime::PeerId to, runtime::TimePoint now);

  // A handshake message arrived. PARAMS/ACCEPT carry a snapshot the caller holds on to.
  ExchangeStep onMessage(runtime::PeerId from,
                         ExchangeMessage type,
                         runtime::Seq seq,
                         runtime::TimePoint now);

  // Call at or after deadline(): expires the wait in progress.
  ExchangeStep onTimer(runtime::TimePoint now);

  // When onTimer must next run (the wait's deadline), or nullopt when nothing waits.
  std::optional<runtime::TimePoint> deadline() const;

  // End of back-off, for callers that schedule their next proposal.
  runtime::TimePoint backoffUntil() const { return backoffUntil_; }

  // The partner of the exchange in flight, if any.
  std::optional<runtime::PeerId> partner() const;

  // Abandons the exchange in flight without applying anything: our message could not be sent
  // (kUnreachable), or we are leaving. Returns the outcome, or nullopt when idle.
  std::optional<ExchangeOutcome> abort(runtime::TimePoint now,
                                       ExchangeResult why = ExchangeResult::kUnreachable);

 private:
  enum class State : std::uint8_t { kIdle, kWaitReply, kWaitParams };

  ExchangeStep finish(ExchangeResult result, runtime::TimePoint now);
  void startBackoff(runtime::TimePoint now);

  runtime::PeerId self_;
  ExchangeOptions options_;
  runtime::Rng rng_;
  State state_ = State::kIdle;
  runtime::PeerId partner_{};
  runtime::Seq seq_ = 0;  // of the exchange in flight (the initiator's numbering)
  bool initiated_ = false;
  runtime::TimePoint deadline_{};
  runtime::TimePoint backoffUntil_{};
  runtime::Seq nextSeq_ = 1;
};

}  // namespace murmur::gossip
