#include "gossip/exchange_fsm.h"

#include "runtime/error.h"

namespace murmur::gossip {

ExchangeFsm::ExchangeFsm(runtime::PeerId self, ExchangeOptions options, std::uint64_t seed)
    : self_(self), options_(options), rng_(seed) {
  MURMUR_REQUIRE(options.backoffMax >= options.backoffMin, "back-off max below min");
  // Sequence numbers are the initiator's own; starting each peer at a random point keeps a
  // BUSY for our dropped crossing proposal from matching the exchange we just accepted.
  nextSeq_ = rng_.next() >> 1;
}

ExchangeStep ExchangeFsm::propose(runtime::PeerId to, runtime::TimePoint now) {
  MURMUR_CHECK(canPropose(now), "propose while not idle or backing off");
  MURMUR_CHECK(to != self_, "propose to self");
  state_ = State::kWaitReply;
  partner_ = to;
  seq_ = nextSeq_++;
  initiated_ = true;
  deadline_ = now + options_.replyTimeout;
  ExchangeStep step;
  step.send.push_back(Outgoing{to, ExchangeMessage::kPropose, seq_, false});
  return step;
}

ExchangeStep ExchangeFsm::onMessage(runtime::PeerId from,
                                    ExchangeMessage type,
                                    runtime::Seq seq,
                                    runtime::TimePoint now) {
  ExchangeStep step;
  switch (type) {
    case ExchangeMessage::kPropose: {
      bool crossingWeLose = state_ == State::kWaitReply && from == partner_ && from < self_;
      if (state_ == State::kIdle || crossingWeLose) {
        // Accept: our own crossing proposal (if any) is dropped; its BUSY reply will be stale.
        state_ = State::kWaitParams;
        partner_ = from;
        seq_ = seq;
        initiated_ = false;
        deadline_ = now + options_.paramsTimeout;
        step.send.push_back(Outgoing{from, ExchangeMessage::kAccept, seq, true});
      } else {
        step.send.push_back(Outgoing{from, ExchangeMessage::kBusy, seq, false});
      }
      return step;
    }
    case ExchangeMessage::kAccept: {
      if (state_ != State::kWaitReply || from != partner_ || seq != seq_) {
        // We gave up on this proposal: free the responder instead of letting it time out.
        step.ignored = true;
        step.send.push_back(Outgoing{from, ExchangeMessage::kBusy, seq, false});
        return step;
      }
      step = finish(ExchangeResult::kApplied, now);
      step.send.push_back(Outgoing{from, ExchangeMessage::kParams, seq, true});
      step.applyReceived = true;
      return step;
    }
    case ExchangeMessage::kBusy: {
      if (state_ == State::kWaitReply && from == partner_ && seq == seq_) {
        return finish(ExchangeResult::kBusy, now);
      }
      if (state_ == State::kWaitParams && !initiated_ && from == partner_ && seq == seq_) {
        return finish(ExchangeResult::kAborted, now);
      }
      step.ignored = true;
      return step;
    }
    case ExchangeMessage::kParams: {
      if (state_ != State::kWaitParams || from != partner_ || seq != seq_) {
        step.ignored = true;
        return step;
      }
      step = finish(ExchangeResult::kApplied, now);
      step.applyReceived = true;
      return step;
    }
  }
  step.ignored = true;
  return step;
}

ExchangeStep ExchangeFsm::onTimer(runtime::TimePoint now) {
  if (state_ == State::kIdle || now < deadline_) {
    return {};
  }
  return finish(ExchangeResult::kTimedOut, now);
}

std::optional<runtime::TimePoint> ExchangeFsm::deadline() const {
  if (state_ == State::kIdle) {
    return std::nullopt;
  }
  return deadline_;
}

std::optional<runtime::PeerId> ExchangeFsm::partner() const {
  if (state_ == State::kIdle) {
    return std::nullopt;
  }
  return partner_;
}

std::optional<ExchangeOutcome> ExchangeFsm::abort(runtime::TimePoint now, ExchangeResult why) {
  if (state_ == State::kIdle) {
    return std::nullopt;
  }
  return finish(why, now).finished;
}

ExchangeStep ExchangeFsm::finish(ExchangeResult result, runtime::TimePoint now) {
  ExchangeStep step;
  step.finished = ExchangeOutcome{partner_, seq_, initiated_, result};
  state_ = State::kIdle;
  if (result != ExchangeResult::kApplied) {
    startBackoff(now);
  }
  return step;
}

void ExchangeFsm::startBackoff(runtime::TimePoint now) {
  auto span = (options_.backoffMax - options_.backoffMin).count();
  auto jitter =
      span > 0
          ? static_cast<runtime::Duration::rep>(rng_.below(static_cast<std::uint64_t>(span) + 1))
          : 0;
  backoffUntil_ = now + options_.backoffMin + runtime::Duration(jitter);
}

}  // namespace murmur::gossip
