#include "tools/sim/swim_members.h"

#include <algorithm>

#include "runtime/error.h"

namespace murmur::sim {
namespace {

using runtime::PeerId;

constexpr std::size_t kPiggybackUpdates = 6;  // as peer.cc puts on every envelope

}  // namespace

SwimMembers::SwimMembers(std::uint32_t total,
                         gossip::MembershipOptions options,
                         std::uint64_t seed,
                         runtime::ManualEventLoop& loop,
                         NetworkModel& network,
                         runtime::Rng& netRng)
    : options_(options),
      seed_(seed),
      loop_(loop),
      network_(network),
      netRng_(netRng),
      members_(total) {}

void SwimMembers::start(std::uint32_t peer) {
  Member& m = members_[peer];
  m.view = std::make_unique<gossip::Membership>(
      PeerId{peer}, 1, loop_.now(), options_, runtime::Rng(seed_).fork("swim").next() + peer);
  m.up = true;
}

void SwimMembers::startFounders(std::uint32_t founders) {
  for (std::uint32_t i = 0; i < founders; ++i) {
    start(i);
    for (std::uint32_t j = 0; j < founders; ++j) {
      if (j != i) {
        members_[i].view->addPending(PeerId{j});
        members_[i].view->heard(PeerId{j}, 1, loop_.now());
      }
    }
    members_[i].view->takeEvents();  // PENDING → ALIVE of the start-up wait: not news here
    scheduleTick(i);
  }
}

void SwimMembers::join(std::uint32_t joiner, std::uint32_t seed) {
  MURMUR_CHECK(members_[seed].view != nullptr, "peer ", seed, " seeds a join before it started");
  start(joiner);
  for (const gossip::MemberView& v : members_[seed].view->members()) {  // seed's own row too
    if (v.id.value != joiner && !members_[seed].view->gone(v.id)) {
      members_[joiner].view->addPending(v.id);
    }
  }
  for (const gossip::MemberView& v : members_[joiner].view->members()) {
    if (v.id.value != joiner) {
      send(joiner, v.id.value, Kind::kHello, gossip::ProbeMessage{});
    }
  }
  scheduleTick(joiner);
}

void SwimMembers::crash(std::uint32_t peer) {
  members_[peer].up = false;
  members_[peer].crashedAt = loop_.now();
}

void SwimMembers::leave(std::uint32_t peer) {
  Member& m = members_[peer];
  if (!m.up) {
    return;
  }
  m.leaving = true;
  m.view->leave(loop_.now());
  for (const gossip::MemberView& v : m.view->members()) {
    if (v.id.value != peer && !m.view->gone(v.id)) {
      send(peer, v.id.value, Kind::kLeave, gossip::ProbeMessage{});
    }
  }
  m.up = false;
}

bool SwimMembers::usable(std::uint32_t from, std::uint32_t to) const {
  const Member& m = members_[from];
  return m.view && m.view->usable(PeerId{to});
}

bool SwimMembers::gone(std::uint32_t from, std::uint32_t to) const {
  const Member& m = members_[from];
  return !m.view || m.view->gone(PeerId{to});
}

SwimNews SwimMembers::news(std::uint32_t from, std::uint32_t to) {
  gossip::Membership& view = *members_[from].view;
  SwimNews n{view.incarnation(), view.piggyback(PeerId{to}, kPiggybackUpdates)};
  stats_.bytes += n.updates.size() * kUpdateBytes;
  return n;
}

void SwimMembers::received(std::uint32_t at, std::uint32_t from, const SwimNews& news) {
  if (!members_[at].up) {
    return;
  }
  absorb(at, from, news);
  takeEvents(at);
  scheduleTick(at);
}

void SwimMembers::absorb(std::uint32_t at, std::uint32_t from, const SwimNews& news) {
  gossip::Membership& view = *members_[at].view;
  view.heard(PeerId{from}, news.incarnation, loop_.now());
  view.apply(PeerId{from}, news.updates, loop_.now());
}

void SwimMembers::exchangeTimedOut(std::uint32_t peer, std::uint32_t partner) {
  if (members_[peer].up) {
    members_[peer].view->probeSoon(PeerId{partner});
  }
}

void SwimMembers::send(std::uint32_t from,
                       std::uint32_t to,
                       Kind kind,
                       const gossip::ProbeMessage& probe) {
  SwimNews n = news(from, to);
  const std::uint64_t bytes = kHeaderBytes + n.updates.size() * kUpdateBytes;
  stats_.bytes += kHeaderBytes;
  ++stats_.messages;
  runtime::TimePoint when = network_.deliveryTime(from, to, bytes, loop_.now(), netRng_);
  loop_.runAt(
      when, [this, to, from, kind, probe, n = std::move(n)] { deliver(to, from, kind, probe, n); });
}

void SwimMembers::deliver(std::uint32_t to,
                          std::uint32_t from,
                          Kind kind,
                          const gossip::ProbeMessage& probe,
                          const SwimNews& news) {
  Member& m = members_[to];
  if (!m.up) {
    return;  // a crashed or departed peer's socket
  }
  const runtime::TimePoint now = loop_.now();
  if (kind == Kind::kHello && !m.leaving) {
    m.view->addPending(PeerId{from});  // a joiner: known from its HELLO on
  }
  absorb(to, from, news);
  std::vector<gossip::ProbeMessage> replies;
  switch (kind) {
    case Kind::kHello:
      send(to, from, Kind::kHelloReply, gossip::ProbeMessage{});
      break;
    case Kind::kProbe:
      switch (probe.kind) {
        case gossip::ProbeKind::kPing:
          replies = m.view->onPing(PeerId{from}, probe.seq, now);
          break;
        case gossip::ProbeKind::kAck:
          replies = m.view->onAck(PeerId{from}, probe.seq, now);
          break;
        case gossip::ProbeKind::kPingReq:
          replies = m.view->onPingReq(PeerId{from}, probe.seq, probe.target, now);
          break;
      }
      break;
    case Kind::kHelloReply:
    case Kind::kLeave:
      break;
  }
  for (const gossip::ProbeMessage& reply : replies) {
    send(to, reply.to.value, Kind::kProbe, reply);
  }
  takeEvents(to);
  scheduleTick(to);
}

void SwimMembers::tick(std::uint32_t peer) {
  Member& m = members_[peer];
  if (!m.up) {
    return;
  }
  for (const gossip::ProbeMessage& probe : m.view->tick(loop_.now())) {
    send(peer, probe.to.value, Kind::kProbe, probe);
  }
  takeEvents(peer);
  scheduleTick(peer);
}

// One timer per peer at its view's next deadline; a later call with an earlier deadline adds
// another, and a timer that is no longer the peer's next one does nothing.
void SwimMembers::scheduleTick(std::uint32_t peer) {
  Member& m = members_[peer];
  const runtime::TimePoint at = std::max(m.view->nextDeadline(), loop_.now());
  if (at >= m.nextTick) {
    return;
  }
  m.nextTick = at;
  loop_.runAt(at, [this, peer, at] {
    if (members_[peer].nextTick == at) {
      members_[peer].nextTick = runtime::TimePoint::max();
      tick(peer);
    }
  });
}

void SwimMembers::takeEvents(std::uint32_t peer) {
  for (const gossip::MembershipEvent& e : members_[peer].view->takeEvents()) {
    if (e.to != gossip::MemberState::kDead || e.member.value == peer) {
      continue;
    }
    const Member& dead = members_[e.member.value];
    if (dead.crashedAt) {
      const double seconds = runtime::toSeconds(loop_.now() - *dead.crashedAt);
      ++stats_.deaths;
      detectionSum_ += seconds;
      stats_.detectionSecondsMean = detectionSum_ / static_cast<double>(stats_.deaths);
      stats_.detectionSecondsMax = std::max(stats_.detectionSecondsMax, seconds);
    } else if (dead.up) {
      ++stats_.falseDeaths;
    }
  }
}

}  // namespace murmur::sim
