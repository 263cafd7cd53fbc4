// SWIM + Lifeguard membership on a manual clock: a small simulated network of Membership objects
// exchanging probes with piggybacked updates, where members crash, pause (SIGSTOP) and leave.
#include "gossip/membership.h"

#include <algorithm>
#include <deque>
#include <vector>

#include <gtest/gtest.h>

namespace murmur::gossip {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::size_t kPiggyback = 6;

struct Wire {
  runtime::TimePoint deliverAt;
  runtime::PeerId from;
  ProbeMessage probe;
  std::uint64_t incarnation = 0;
  std::vector<MemberUpdate> updates;
};

enum class Condition { kRunning, kPaused, kCrashed };

// n members, everyone in everyone's start-up list, 1 ms one-way latency, ticks every 10 ms.
class Swarm {
 public:
  explicit Swarm(std::uint32_t n, MembershipOptions options = {}) : condition_(n) {
    for (std::uint32_t i = 0; i < n; ++i) {
      nodes_.emplace_back(runtime::PeerId{i}, 1000 + i, now_, options, 7 + i);
      for (std::uint32_t j = 0; j < n; ++j) {
        if (j != i) {
          nodes_.back().addPending(runtime::PeerId{j});
        }
      }
    }
  }

  Membership& node(std::uint32_t i) { return nodes_[i]; }

  runtime::TimePoint now() const { return now_; }

  void set(std::uint32_t i, Condition c) { condition_[i] = c; }

  // Messages between members on different sides are lost (a link down); {} heals.
  void partition(std::vector<int> side) { side_ = std::move(side); }

  // Every member says hello once (what the first data messages do in a real run).
  void introduce() {
    for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
      for (std::uint32_t j = 0; j < nodes_.size(); ++j) {
        if (i != j) {
          send(i, ProbeMessage{ProbeKind::kAck, runtime::PeerId{j}, 0, runtime::PeerId{i}});
        }
      }
    }
  }

  // Advances time in 1 ms steps, ticking every 10 ms, delivering what is due; `until` may stop it.
  template <typename Until>
  bool runFor(runtime::Duration span, Until until) {
    const runtime::TimePoint end = now_ + span;
    while (now_ < end) {
      now_ += milliseconds(1);
      deliver();
      if ((now_.time_since_epoch() / milliseconds(1)) % 10 == 0) {
        for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
          if (condition_[i] == Condition::kRunning) {
            for (const ProbeMessage& p : nodes_[i].tick(now_)) {
              send(i, p);
            }
          }
        }
      }
      if (until()) {
        return true;
      }
    }
    return false;
  }

  void runFor(runtime::Duration span) {
    runFor(span, [] { return false; });
  }

  // Does every running member other than `who` see it in `state`?
  bool allSee(std::uint32_t who, MemberState state) const {
    for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
      if (i != who && condition_[i] == Condition::kRunning &&
          nodes_[i].state(runtime::PeerId{who}) != state) {
        return false;
      }
    }
    return true;
  }

  bool anyoneSees(std::uint32_t who, MemberState state) const {
    for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
      if (i != who && nodes_[i].state(runtime::PeerId{who}) == state) {
        return true;
      }
    }
    return false;
  }

  void send(std::uint32_t from, const ProbeMessage& probe) {
    if (condition_[from] != Condition::kRunning) {
      return;
    }
    Membership& m = nodes_[from];
    wires_.push_back(Wire{now_ + milliseconds(1),
                          runtime::PeerId{from},
                          probe,
                          m.incarnation(),
                          m.piggyback(probe.to, kPiggyback)});
  }

 private:
  void deliver() {
    std::deque<Wire> later;
    while (!wires_.empty()) {
      Wire w = std::move(wires_.front());
      wires_.pop_front();
      const std::uint32_t to = w.probe.to.value;
      const bool cut = !side_.empty() && side_[to] != side_[w.from.value];
      if (condition_[to] == Condition::kCrashed || cut) {
        continue;  // lost
      }
      if (w.deliverAt > now_ || condition_[to] == Condition::kPaused) {
        later.push_back(std::move(w));  // in flight, or queued in a stopped process's socket
        continue;
      }
      Membership& m = nodes_[to];
      m.heard(w.from, w.incarnation, now_);
      m.apply(w.from, w.updates, now_);
      std::vector<ProbeMessage> replies;
      switch (w.probe.kind) {
        case ProbeKind::kPing:
          replies = m.onPing(w.from, w.probe.seq, now_);
          break;
        case ProbeKind::kPingReq:
          replies = m.onPingReq(w.from, w.probe.seq, w.probe.target, now_);
          break;
        case ProbeKind::kAck:
          replies = m.onAck(w.from, w.probe.seq, now_);
          break;
      }
      for (const ProbeMessage& r : replies) {
        send(to, r);
      }
    }
    wires_ = std::move(later);
  }

  runtime::TimePoint now_{seconds(1000)};
  std::vector<Membership> nodes_;
  std::vector<Condition> condition_;
  std::vector<int> side_;
  std::deque<Wire> wires_;
};

TEST(Membership, HealthySwarmNeverSuspectsAnyone) {
  Swarm swarm(5);
  swarm.introduce();
  swarm.runFor(milliseconds(100));
  for (std::uint32_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(swarm.allSee(i, MemberState::kAlive)) << "member " << i;
  }
  bool suspicion = swarm.runFor(seconds(30), [&] {
    for (std::uint32_t i = 0; i < 5; ++i) {
      if (swarm.anyoneSees(i, MemberState::kSuspect) || swarm.anyoneSees(i, MemberState::kDead)) {
        return true;
      }
    }
    return false;
  });
  EXPECT_FALSE(suspicion);
  EXPECT_EQ(swarm.node(0).healthMultiplier(), 0U);
}

TEST(Membership, CrashedMemberIsSuspectedThenDeadEverywhereWithinFiveSeconds) {
  Swarm swarm(4);
  swarm.introduce();
  swarm.runFor(seconds(3));
  swarm.set(3, Condition::kCrashed);
  const runtime::TimePoint crash = swarm.now();
  bool suspectedFirst = false;
  ASSERT_TRUE(swarm.runFor(seconds(5), [&] {
    suspectedFirst = suspectedFirst || swarm.anyoneSees(3, MemberState::kSuspect);
    return swarm.allSee(3, MemberState::kDead);
  })) << "not declared dead by everyone within 5 s";
  EXPECT_TRUE(suspectedFirst);
  EXPECT_LE(swarm.now() - crash, seconds(5));
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_FALSE(swarm.node(0).state(runtime::PeerId{i}) == MemberState::kDead);
  }
}

TEST(Membership, PausedMemberIsRefutedNotDeclaredDead) {
  Swarm swarm(4);
  swarm.introduce();
  swarm.runFor(seconds(3));
  const std::uint64_t before = swarm.node(2).incarnation();
  swarm.set(2, Condition::kPaused);
  bool suspected = false;
  bool dead = swarm.runFor(seconds(2), [&] {
    suspected = suspected || swarm.anyoneSees(2, MemberState::kSuspect);
    return swarm.anyoneSees(2, MemberState::kDead);
  });
  ASSERT_FALSE(dead);
  EXPECT_TRUE(suspected) << "a 2 s pause should at least raise a suspicion";
  swarm.set(2, Condition::kRunning);
  dead = swarm.runFor(seconds(10), [&] { return swarm.anyoneSees(2, MemberState::kDead); });
  EXPECT_FALSE(dead);
  EXPECT_TRUE(swarm.allSee(2, MemberState::kAlive));
  EXPECT_GT(swarm.node(2).incarnation(), before) << "the refutation raises the incarnation";
}

TEST(Membership, LeftIsDistinctFromDeadAndSpreads) {
  Swarm swarm(4);
  swarm.introduce();
  swarm.runFor(seconds(2));
  swarm.node(1).leave(swarm.now());
  // It tells one member; piggybacking carries it to the rest.
  swarm.send(1, ProbeMessage{ProbeKind::kAck, runtime::PeerId{0}, 0, runtime::PeerId{1}});
  swarm.runFor(milliseconds(20));
  swarm.set(1, Condition::kCrashed);
  ASSERT_TRUE(swarm.runFor(seconds(5), [&] { return swarm.allSee(1, MemberState::kLeft); }));
  swarm.runFor(seconds(10));
  EXPECT_TRUE(swarm.allSee(1, MemberState::kLeft)) << "LEFT must not turn into DEAD";
}

TEST(Membership, APartitionHealsEachSideRefutesTheOthersVerdict) {
  Swarm swarm(4);
  swarm.introduce();
  swarm.runFor(seconds(2));
  swarm.partition({0, 0, 1, 1});
  auto split = [&] {
    for (std::uint32_t i = 0; i < 4; ++i) {
      for (std::uint32_t j = 0; j < 4; ++j) {
        const bool sameSide = (i < 2) == (j < 2);
        if (i != j && (swarm.node(i).state(runtime::PeerId{j}) == MemberState::kDead) == sameSide) {
          return false;
        }
      }
    }
    return true;
  };
  ASSERT_TRUE(swarm.runFor(seconds(10), split)) << "each side should declare the other dead";
  swarm.runFor(seconds(10));  // a long partition: the DEAD news stopped spreading long ago
  ASSERT_TRUE(split());
  swarm.partition({});
  ASSERT_TRUE(swarm.runFor(seconds(10), [&] {
    for (std::uint32_t i = 0; i < 4; ++i) {
      if (!swarm.allSee(i, MemberState::kAlive)) {
        return false;
      }
    }
    return true;
  })) << "the swarm should be whole again within 10 s of healing";
  for (std::uint32_t i = 0; i < 4; ++i) {
    for (std::uint32_t j = 0; j < 4; ++j) {
      if (i != j) {
        EXPECT_TRUE(swarm.node(i).usable(runtime::PeerId{j})) << i << " about " << j;
      }
    }
  }
}

TEST(Membership, AMemberThatLeftRejoinsUnderItsNameWithAHigherIncarnation) {
  runtime::TimePoint t0{seconds(5)};
  Membership m(runtime::PeerId{0}, 10, t0, {}, 1);
  m.addPending(runtime::PeerId{1});
  m.heard(runtime::PeerId{1}, 20, t0);
  m.apply(
      runtime::PeerId{1}, {{runtime::PeerId{1}, MemberState::kLeft, 21, runtime::PeerId{1}}}, t0);
  ASSERT_EQ(m.state(runtime::PeerId{1}), MemberState::kLeft);
  m.heard(runtime::PeerId{1}, 21, t0 + milliseconds(5));  // its last words
  EXPECT_EQ(m.state(runtime::PeerId{1}), MemberState::kLeft);
  m.heard(runtime::PeerId{1}, 5000, t0 + seconds(3));  // a new process, same name
  EXPECT_EQ(m.state(runtime::PeerId{1}), MemberState::kAlive);
  EXPECT_TRUE(m.usable(runtime::PeerId{1}));
}

// Regression (CI, session 4): news piggybacked on sends the transport refused (a peer still
// starting) was counted as sent, and could run out before anyone received it.
TEST(Membership, NewsOnARefusedSendIsNotUsedUp) {
  runtime::TimePoint t0{seconds(5)};
  Membership m(runtime::PeerId{0}, 10, t0, {}, 1);
  for (std::uint32_t i = 1; i <= 3; ++i) {
    m.addPending(runtime::PeerId{i});
    m.heard(runtime::PeerId{i}, 20, t0);
  }
  (void)m.piggyback(runtime::PeerId{1}, 100);  // the ALIVE news of the heard members, once
  m.apply(
      runtime::PeerId{2}, {{runtime::PeerId{2}, MemberState::kLeft, 21, runtime::PeerId{2}}}, t0);
  auto carriesLeft = [](const std::vector<MemberUpdate>& updates) {
    return std::any_of(updates.begin(), updates.end(), [](const MemberUpdate& u) {
      return u.member == runtime::PeerId{2} && u.state == MemberState::kLeft;
    });
  };
  for (int refused = 0; refused < 50; ++refused) {
    std::vector<MemberUpdate> sent = m.piggyback(runtime::PeerId{3}, 6);
    ASSERT_TRUE(carriesLeft(sent)) << "after " << refused << " refused sends";
    m.notSent(sent);
  }
  int delivered = 0;
  while (carriesLeft(m.piggyback(runtime::PeerId{3}, 6))) {
    ++delivered;
  }
  EXPECT_GT(delivered, 1) << "every real send counts, up to the retransmit limit";
}

TEST(Membership, SuspicionOfSelfIsRefutedWithAHigherIncarnation) {
  runtime::TimePoint t0{seconds(5)};
  Membership m(runtime::PeerId{0}, 10, t0, {}, 1);
  m.addPending(runtime::PeerId{1});
  m.apply(runtime::PeerId{1},
          {{runtime::PeerId{0}, MemberState::kSuspect, 10, runtime::PeerId{1}}},
          t0);
  EXPECT_EQ(m.incarnation(), 11U);
  std::vector<MemberUpdate> news = m.piggyback(runtime::PeerId{1}, 6);
  ASSERT_FALSE(news.empty());
  EXPECT_EQ(news[0],
            (MemberUpdate{runtime::PeerId{0}, MemberState::kAlive, 11, runtime::PeerId{0}}));
  // A stale suspicion (older incarnation) changes nothing.
  m.apply(runtime::PeerId{1},
          {{runtime::PeerId{0}, MemberState::kSuspect, 10, runtime::PeerId{1}}},
          t0);
  EXPECT_EQ(m.incarnation(), 11U);
}

TEST(Membership, UpdatesFollowIncarnationPrecedence) {
  runtime::TimePoint t0{seconds(5)};
  Membership m(runtime::PeerId{0}, 1, t0, {}, 1);
  const runtime::PeerId x{1};
  const runtime::PeerId y{2};
  m.addPending(x);
  m.addPending(y);
  m.heard(x, 5, t0);
  EXPECT_EQ(m.state(x), MemberState::kAlive);
  m.apply(y, {{x, MemberState::kSuspect, 4, y}}, t0);  // older incarnation: ignored
  EXPECT_EQ(m.state(x), MemberState::kAlive);
  m.apply(y, {{x, MemberState::kSuspect, 5, y}}, t0);
  EXPECT_EQ(m.state(x), MemberState::kSuspect);
  m.apply(y, {{x, MemberState::kAlive, 5, x}}, t0);  // same incarnation: does not refute
  EXPECT_EQ(m.state(x), MemberState::kSuspect);
  m.apply(y, {{x, MemberState::kAlive, 6, x}}, t0);
  EXPECT_EQ(m.state(x), MemberState::kAlive);
  m.apply(y, {{x, MemberState::kDead, 6, y}}, t0);
  EXPECT_EQ(m.state(x), MemberState::kDead);
  m.apply(y, {{x, MemberState::kAlive, 6, x}}, t0);  // dead is final at its incarnation
  EXPECT_EQ(m.state(x), MemberState::kDead);
  m.heard(x, 7, t0);  // the same name restarted: a new incarnation revives it
  EXPECT_EQ(m.state(x), MemberState::kAlive);
  m.apply(y, {{x, MemberState::kLeft, 7, x}}, t0);
  EXPECT_EQ(m.state(x), MemberState::kLeft);
  m.apply(y, {{x, MemberState::kDead, 7, y}}, t0);
  EXPECT_EQ(m.state(x), MemberState::kLeft) << "LEFT is the more precise word";
  std::vector<MembershipEvent> events = m.takeEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().to, MemberState::kAlive);
  EXPECT_EQ(events.back().to, MemberState::kLeft);
}

TEST(Membership, ConfirmationsShortenTheSuspicionTimeout) {
  MembershipOptions options;
  options.suspicionMin = seconds(2);
  options.suspicionMax = seconds(6);
  auto deadAfter = [&](std::uint32_t confirmations) {
    runtime::TimePoint t0{seconds(5)};
    Membership m(runtime::PeerId{0}, 1, t0, options, 1);
    for (std::uint32_t j = 1; j <= 5; ++j) {
      m.addPending(runtime::PeerId{j});
      m.heard(runtime::PeerId{j}, 1, t0);
    }
    const runtime::PeerId x{1};
    m.apply(runtime::PeerId{2}, {{x, MemberState::kSuspect, 1, runtime::PeerId{2}}}, t0);
    for (std::uint32_t c = 1; c < confirmations; ++c) {
      runtime::PeerId origin{2 + c};
      m.apply(origin, {{x, MemberState::kSuspect, 1, origin}}, t0);
    }
    runtime::TimePoint t = t0;
    while (m.state(x) == MemberState::kSuspect && t < t0 + seconds(10)) {
      t += milliseconds(10);
      m.tick(t);
      m.onAck(x, 0, t);  // keep our own probes from interfering
    }
    return t - t0;
  };
  runtime::Duration one = deadAfter(1);
  runtime::Duration three = deadAfter(3);
  EXPECT_LT(three, one);
  EXPECT_GE(three, seconds(2));
  EXPECT_LE(one, seconds(6));
}

// Lifeguard: a member that hears of a suspicion probes the suspect next, and when its own probe
// fails it spreads a suspicion of its own: the first suspecter (and everyone else) then counts an
// independent confirmation instead of waiting out the longest timeout.
TEST(Membership, OwnFailedProbeOfASuspectIsSpreadAsAConfirmation) {
  const runtime::TimePoint t0{seconds(5)};
  Membership m(runtime::PeerId{0}, 1, t0, MembershipOptions{}, 1);
  for (std::uint32_t j = 1; j <= 4; ++j) {
    m.addPending(runtime::PeerId{j});
    m.heard(runtime::PeerId{j}, 1, t0);
  }
  const runtime::PeerId x{1};
  // Ticks every 10 ms, answering every ping but (when it is gone) x's; true when x was pinged.
  runtime::TimePoint t = t0;
  auto tick = [&](bool xAnswers) {
    t += milliseconds(10);
    bool pingedX = false;
    for (const ProbeMessage& p : m.tick(t)) {
      if (p.kind == ProbeKind::kPing && (p.to != x || xAnswers)) {
        m.onAck(p.to, p.seq, t);
      }
      pingedX = pingedX || (p.kind == ProbeKind::kPing && p.to == x);
    }
    return pingedX;
  };
  while (!tick(true)) {
  }
  // x just answered its turn of the round robin; then it goes, and another member suspects it.
  const runtime::TimePoint heard = t;
  const runtime::PeerId first{2};
  m.apply(first, {{x, MemberState::kSuspect, 1, first}}, heard);
  const MemberUpdate ours{x, MemberState::kSuspect, 1, runtime::PeerId{0}};
  auto spreadsOurs = [&] {
    for (std::uint32_t j = 2; j <= 4; ++j) {
      const std::vector<MemberUpdate> news = m.piggyback(runtime::PeerId{j}, kPiggyback);
      if (std::find(news.begin(), news.end(), ours) != news.end()) {
        return true;
      }
    }
    return false;
  };
  EXPECT_FALSE(spreadsOurs()) << "hearsay is not a confirmation";
  while (!spreadsOurs() && t < heard + seconds(3)) {
    tick(false);
  }
  // Within two probe periods: x is probed next, not in its next turn of the round (~2 s away).
  EXPECT_LE(t - heard, milliseconds(1000)) << "our failed probe was not spread as a confirmation";
  EXPECT_EQ(m.state(x), MemberState::kSuspect);
}

TEST(Membership, PendingMembersAreNotProbedAndDieAfterTheGrace) {
  MembershipOptions options;
  options.startupGrace = seconds(3);
  runtime::TimePoint t0{seconds(5)};
  options.deadProbeInterval = seconds(100);
  Membership m(runtime::PeerId{0}, 1, t0, options, 1);
  m.addPending(runtime::PeerId{1});
  m.addPending(runtime::PeerId{2});
  for (runtime::TimePoint t = t0; t < t0 + seconds(2); t += milliseconds(10)) {
    EXPECT_TRUE(m.tick(t).empty()) << "probed a member that never started";
  }
  EXPECT_EQ(m.state(runtime::PeerId{1}), MemberState::kPending);
  EXPECT_FALSE(m.usable(runtime::PeerId{1}));
  m.heard(runtime::PeerId{2}, 7, t0 + seconds(2));
  (void)m.piggyback(runtime::PeerId{1}, 100);  // spreads the news that 2 is alive
  m.tick(t0 + seconds(3));
  EXPECT_EQ(m.state(runtime::PeerId{1}), MemberState::kDead);
  for (const MemberUpdate& u : m.piggyback(runtime::PeerId{2}, 6)) {
    EXPECT_NE(u.member, runtime::PeerId{1}) << "a local verdict is not spread";
  }
  // A late starter still gets in: its own word, at its first incarnation, revives it.
  m.heard(runtime::PeerId{1}, 4, t0 + seconds(4));
  EXPECT_TRUE(m.usable(runtime::PeerId{1}));
}

// Regression (CI, issue 3): a member known ALIVE only through others may not have its connection
// to us up yet; proposing to it gave an ACCEPT that could not be sent and a 20 s timeout.
TEST(Membership, HearsayMakesAMemberAliveButOnlyDirectContactMakesItUsable) {
  runtime::TimePoint t0{seconds(5)};
  Membership m(runtime::PeerId{0}, 1, t0, {}, 1);
  const runtime::PeerId x{1};
  const runtime::PeerId y{2};
  m.addPending(x);
  m.addPending(y);
  m.heard(y, 1, t0);
  m.apply(y, {{x, MemberState::kAlive, 1, y}}, t0);
  EXPECT_EQ(m.state(x), MemberState::kAlive);
  EXPECT_FALSE(m.usable(x));
  EXPECT_TRUE(m.usable(y));
  m.heard(x, 1, t0 + milliseconds(1));
  EXPECT_TRUE(m.usable(x));
}

}  // namespace
}  // namespace murmur::gossip
