// specs/a2cid2.md acceptance test 10: the handshake on virtual time.
#include "gossip/exchange_fsm.h"

#include <functional>
#include <map>
#include <memory>

#include <gtest/gtest.h>

#include "runtime/manual_event_loop.h"

namespace murmur::gossip {
namespace {

using runtime::PeerId;
using std::chrono::milliseconds;

const runtime::TimePoint kT0{};

ExchangeFsm makeFsm(std::uint32_t id) {
  return ExchangeFsm(PeerId{id}, ExchangeOptions{}, 100 + id);
}

TEST(ExchangeFsm, ProposeAcceptParamsCompletesOnBothSides) {
  ExchangeFsm a = makeFsm(0);
  ExchangeFsm b = makeFsm(1);
  ExchangeStep proposed = a.propose(PeerId{1}, kT0);
  ASSERT_EQ(proposed.send.size(), 1U);
  EXPECT_EQ(proposed.send[0].type, ExchangeMessage::kPropose);
  runtime::Seq seq = proposed.send[0].seq;

  ExchangeStep accepted = b.onMessage(PeerId{0}, ExchangeMessage::kPropose, seq, kT0);
  ASSERT_EQ(accepted.send.size(), 1U);
  EXPECT_EQ(accepted.send[0].type, ExchangeMessage::kAccept);
  EXPECT_TRUE(accepted.send[0].withSnapshot);
  EXPECT_FALSE(b.idle());

  ExchangeStep params = a.onMessage(PeerId{1}, ExchangeMessage::kAccept, seq, kT0);
  ASSERT_EQ(params.send.size(), 1U);
  EXPECT_EQ(params.send[0].type, ExchangeMessage::kParams);
  EXPECT_TRUE(params.send[0].withSnapshot);
  EXPECT_TRUE(params.applyReceived);
  ASSERT_TRUE(params.finished);
  EXPECT_EQ(params.finished->result, ExchangeResult::kApplied);
  EXPECT_TRUE(params.finished->initiated);
  EXPECT_TRUE(a.idle());

  ExchangeStep done = b.onMessage(PeerId{0}, ExchangeMessage::kParams, seq, kT0);
  EXPECT_TRUE(done.applyReceived);
  ASSERT_TRUE(done.finished);
  EXPECT_FALSE(done.finished->initiated);
  EXPECT_TRUE(b.idle());
}

TEST(ExchangeFsm, ProposeWhileBusyGetsBusy) {
  ExchangeFsm b = makeFsm(1);
  b.onMessage(PeerId{0}, ExchangeMessage::kPropose, 1, kT0);  // b is in an exchange with 0
  ExchangeStep reply = b.onMessage(PeerId{2}, ExchangeMessage::kPropose, 9, kT0);
  ASSERT_EQ(reply.send.size(), 1U);
  EXPECT_EQ(reply.send[0].type, ExchangeMessage::kBusy);
  EXPECT_EQ(reply.send[0].seq, 9U);
  EXPECT_EQ(reply.send[0].to, PeerId{2});
  EXPECT_EQ(b.partner(), PeerId{0});
}

TEST(ExchangeFsm, CrossingProposalsGoToTheLowerId) {
  ExchangeFsm low = makeFsm(1);
  ExchangeFsm high = makeFsm(3);
  runtime::Seq lowSeq = low.propose(PeerId{3}, kT0).send[0].seq;
  runtime::Seq highSeq = high.propose(PeerId{1}, kT0).send[0].seq;
  // The lower id keeps its proposal and refuses the crossing one.
  ExchangeStep atLow = low.onMessage(PeerId{3}, ExchangeMessage::kPropose, highSeq, kT0);
  EXPECT_EQ(atLow.send[0].type, ExchangeMessage::kBusy);
  // The higher id drops its own proposal and accepts.
  ExchangeStep atHigh = high.onMessage(PeerId{1}, ExchangeMessage::kPropose, lowSeq, kT0);
  EXPECT_EQ(atHigh.send[0].type, ExchangeMessage::kAccept);
  EXPECT_EQ(atHigh.send[0].seq, lowSeq);
  // BUSY for the dropped proposal arrives at the higher id: stale, ignored.
  ExchangeStep stale = high.onMessage(PeerId{1}, ExchangeMessage::kBusy, highSeq, kT0);
  EXPECT_TRUE(stale.ignored);
  EXPECT_FALSE(high.idle());
  // The exchange completes.
  EXPECT_TRUE(low.onMessage(PeerId{3}, ExchangeMessage::kAccept, lowSeq, kT0).applyReceived);
  EXPECT_TRUE(high.onMessage(PeerId{1}, ExchangeMessage::kParams, lowSeq, kT0).applyReceived);
  EXPECT_TRUE(low.idle());
  EXPECT_TRUE(high.idle());
}

TEST(ExchangeFsm, SilentPeerTimesOutAndBacksOff) {
  ExchangeOptions options;
  options.replyTimeout = milliseconds(100);
  options.backoffMin = milliseconds(2);
  options.backoffMax = milliseconds(8);
  ExchangeFsm a(PeerId{0}, options, 1);
  a.propose(PeerId{1}, kT0);
  EXPECT_EQ(*a.deadline(), kT0 + milliseconds(100));
  EXPECT_FALSE(a.onTimer(kT0 + milliseconds(99)).finished);
  ExchangeStep expired = a.onTimer(kT0 + milliseconds(100));
  ASSERT_TRUE(expired.finished);
  EXPECT_EQ(expired.finished->result, ExchangeResult::kTimedOut);
  EXPECT_FALSE(expired.applyReceived);
  EXPECT_TRUE(a.idle());
  EXPECT_FALSE(a.canPropose(kT0 + milliseconds(101)));
  EXPECT_GE(a.backoffUntil(), kT0 + milliseconds(102));
  EXPECT_LE(a.backoffUntil(), kT0 + milliseconds(108));
  EXPECT_TRUE(a.canPropose(kT0 + milliseconds(108)));
}

TEST(ExchangeFsm, StaleAcceptIsAnsweredBusyAndNeverApplied) {
  ExchangeOptions options;
  options.replyTimeout = milliseconds(10);
  ExchangeFsm a(PeerId{0}, options, 1);
  runtime::Seq seq = a.propose(PeerId{1}, kT0).send[0].seq;
  a.onTimer(kT0 + milliseconds(10));
  ExchangeStep late = a.onMessage(PeerId{1}, ExchangeMessage::kAccept, seq, kT0 + milliseconds(11));
  EXPECT_TRUE(late.ignored);
  EXPECT_FALSE(late.applyReceived);
  ASSERT_EQ(late.send.size(), 1U);
  EXPECT_EQ(late.send[0].type, ExchangeMessage::kBusy);
  // The responder, told BUSY for the seq it accepted, aborts at once instead of timing out.
  ExchangeFsm b = makeFsm(1);
  b.onMessage(PeerId{0}, ExchangeMessage::kPropose, seq, kT0);
  ExchangeStep aborted = b.onMessage(PeerId{0}, ExchangeMessage::kBusy, seq, kT0);
  ASSERT_TRUE(aborted.finished);
  EXPECT_EQ(aborted.finished->result, ExchangeResult::kAborted);
  EXPECT_TRUE(b.idle());
}

TEST(ExchangeFsm, AbortEndsTheWaitAtOnceWithoutApplying) {
  ExchangeFsm a = makeFsm(0);
  a.propose(PeerId{1}, kT0);
  std::optional<ExchangeOutcome> outcome = a.abort(kT0);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, ExchangeResult::kUnreachable);
  EXPECT_TRUE(a.idle());
  EXPECT_FALSE(a.deadline().has_value());
  EXPECT_FALSE(a.abort(kT0).has_value());  // nothing left to abort
}

TEST(ExchangeFsm, ParamsWithWrongSeqOrSenderAreIgnored) {
  ExchangeFsm b = makeFsm(1);
  b.onMessage(PeerId{0}, ExchangeMessage::kPropose, 5, kT0);
  EXPECT_TRUE(b.onMessage(PeerId{0}, ExchangeMessage::kParams, 4, kT0).ignored);
  EXPECT_TRUE(b.onMessage(PeerId{2}, ExchangeMessage::kParams, 5, kT0).ignored);
  EXPECT_FALSE(b.idle());
  EXPECT_TRUE(b.onMessage(PeerId{0}, ExchangeMessage::kParams, 5, kT0).applyReceived);
}

// Eight peers on a virtual-time network with random latencies, each proposing to a random
// neighbour whenever it can: no deadlock, and every exchange ends (applied, busy or timeout) with
// both sides agreeing on what was applied.
TEST(ExchangeFsm, EightPeersOnALoopbackNetworkNeverDeadlock) {
  constexpr std::uint32_t kPeers = 8;
  runtime::ManualEventLoop loop;
  runtime::Rng net(99);
  std::vector<std::unique_ptr<ExchangeFsm>> fsms;
  for (std::uint32_t i = 0; i < kPeers; ++i) {
    fsms.push_back(std::make_unique<ExchangeFsm>(PeerId{i}, ExchangeOptions{}, 7 * i + 1));
  }
  std::vector<int> applied(kPeers, 0);
  std::map<std::pair<std::uint32_t, runtime::Seq>, int> appliedSides;  // (initiator, seq) → sides
  std::vector<runtime::TimerId> timers(kPeers, 0);
  bool proposing = true;
  std::function<void(std::uint32_t, const ExchangeStep&)> act;
  std::function<void(std::uint32_t)> schedule;
  act = [&](std::uint32_t self, const ExchangeStep& step) {
    for (const Outgoing& out : step.send) {
      auto latency = milliseconds(1 + net.below(5));
      loop.runAfter(latency, [&, self, out] {
        ExchangeStep reply =
            fsms[out.to.value]->onMessage(PeerId{self}, out.type, out.seq, loop.now());
        act(out.to.value, reply);
      });
    }
    if (step.finished && step.finished->result == ExchangeResult::kApplied) {
      ++applied[self];
      std::uint32_t initiator = step.finished->initiated ? self : step.finished->peer.value;
      ++appliedSides[{initiator, step.finished->seq}];
    }
    schedule(self);
  };
  schedule = [&](std::uint32_t self) {
    loop.cancel(timers[self]);
    ExchangeFsm& fsm = *fsms[self];
    runtime::TimePoint when =
        fsm.deadline() ? *fsm.deadline() : std::max(loop.now(), fsm.backoffUntil());
    timers[self] = loop.runAt(when, [&, self] {
      ExchangeFsm& f = *fsms[self];
      if (f.deadline()) {
        act(self, f.onTimer(loop.now()));
      } else if (proposing && f.canPropose(loop.now())) {
        std::uint32_t to = (self + 1 + static_cast<std::uint32_t>(net.below(kPeers - 1))) % kPeers;
        act(self, f.propose(PeerId{to}, loop.now()));
      } else if (proposing) {
        schedule(self);
      }
    });
  };
  for (std::uint32_t i = 0; i < kPeers; ++i) {
    schedule(i);
  }
  loop.advanceBy(std::chrono::seconds(20));
  proposing = false;  // let the exchanges in flight finish
  loop.advanceBy(std::chrono::seconds(10));
  for (std::uint32_t i = 0; i < kPeers; ++i) {
    EXPECT_TRUE(fsms[i]->idle()) << "peer " << i << " stuck";
  }
  for (std::uint32_t i = 0; i < kPeers; ++i) {
    EXPECT_GT(applied[i], 200) << "peer " << i << " starved";
  }
  for (const auto& [key, sides] : appliedSides) {
    EXPECT_EQ(sides, 2) << "exchange " << key.second << " of " << key.first
                        << " applied on one side only";
  }
}

}  // namespace
}  // namespace murmur::gossip
