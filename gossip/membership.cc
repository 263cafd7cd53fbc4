#include "gossip/membership.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

#include "runtime/error.h"

namespace murmur::gossip {

const char* memberStateName(MemberState state) {
  switch (state) {
    case MemberState::kPending:
      return "pending";
    case MemberState::kAlive:
      return "alive";
    case MemberState::kSuspect:
      return "suspect";
    case MemberState::kDead:
      return "dead";
    case MemberState::kLeft:
      return "left";
  }
  return "?";
}

Membership::Membership(runtime::PeerId self,
                       std::uint64_t incarnation,
                       runtime::TimePoint start,
                       MembershipOptions options,
                       std::uint64_t seed)
    : self_(self),
      incarnation_(incarnation),
      start_(start),
      options_(options),
      rng_(seed),
      nextProbe_(start),
      nextDeadProbe_(start + options.deadProbeInterval),
      nextSeq_(rng_.next() >> 1) {
  MURMUR_REQUIRE(options.probeTimeout < options.probeInterval,
                 "the probe timeout must be shorter than the probe interval");
  MURMUR_REQUIRE(options.suspicionMin <= options.suspicionMax,
                 "the minimum suspicion timeout exceeds the maximum");
}

void Membership::addPending(runtime::PeerId id) {
  MURMUR_REQUIRE(id != self_, "a member list must not hold ourselves twice");
  if (members_.try_emplace(id).second) {
    ++timed_;
  }
}

std::uint32_t Membership::retransmitLimit() const {
  const double n = static_cast<double>(members_.size() + 1);
  return options_.retransmitMultiplier * static_cast<std::uint32_t>(std::ceil(std::log2(n + 1)));
}

std::uint32_t Membership::expectedConfirmations() const {
  const auto n = static_cast<std::uint32_t>(members_.size() + 1);
  return n > 2 ? std::min(options_.indirectProbes, n - 2) : 0;
}

runtime::Duration Membership::suspicionTimeout(const Member& m) const {
  // Lifeguard: from the maximum with no confirmation down to the minimum with K of them.
  const std::uint32_t expected = expectedConfirmations();
  if (expected == 0) {
    return options_.suspicionMax;
  }
  const double confirmed = std::min<double>(m.confirmations.size(), expected);
  const double fraction = std::log(confirmed + 1) / std::log(static_cast<double>(expected) + 1);
  const auto span = options_.suspicionMax - options_.suspicionMin;
  return std::max(
      options_.suspicionMin,
      options_.suspicionMax - std::chrono::duration_cast<runtime::Duration>(span * fraction));
}

void Membership::setState(runtime::PeerId id,
                          Member& m,
                          MemberState to,
                          std::uint64_t incarnation) {
  if (m.state != to) {
    events_.push_back(MembershipEvent{id, m.state, to, incarnation});
    timed_ = timed_ + (hasTimer(to) ? 1 : 0) - (hasTimer(m.state) ? 1 : 0);
  }
  m.state = to;
  m.incarnation = incarnation;
  if (to != MemberState::kSuspect) {
    m.confirmations.clear();
    m.ownSuspicion = false;
  }
}

void Membership::disseminate(MemberUpdate update, bool firstContact) {
  // Only the newest claim about a member is worth spreading.
  auto same = std::find_if(gossip_.begin(), gossip_.end(), [&](const Gossip& g) {
    return g.update.member == update.member;
  });
  if (same != gossip_.end()) {
    *same = Gossip{update, 0, ++newsCount_, firstContact};
  } else {
    gossip_.push_back(Gossip{update, 0, ++newsCount_, firstContact});
  }
}

void Membership::refute(std::uint64_t claimed) {
  incarnation_ = std::max(incarnation_, claimed) + 1;
  events_.push_back(
      MembershipEvent{self_, MemberState::kSuspect, MemberState::kAlive, incarnation_});
  disseminate(MemberUpdate{self_, MemberState::kAlive, incarnation_, self_});
  healthWorse();  // Lifeguard: being suspected hints that we are the slow one
}

void Membership::suspect(runtime::PeerId id,
                         Member& m,
                         std::uint64_t incarnation,
                         runtime::PeerId origin,
                         runtime::TimePoint now) {
  setState(id, m, MemberState::kSuspect, incarnation);
  m.suspectedAt = now;
  m.confirmations.clear();
  m.ownSuspicion = origin == self_;
  if (!m.ownSuspicion) {
    m.confirmations.push_back(origin);
    // Lifeguard: check it ourselves next; a failed probe of ours confirms the suspicion to the
    // others (the first suspecter otherwise waits out the longest timeout).
    probeSoon(id);
  }
  disseminate(MemberUpdate{id, MemberState::kSuspect, incarnation, origin});
  if (!left_) {
    urgent_.push_back(ProbeMessage{ProbeKind::kPing, id, nextSeq_++, id});
  }
}

void Membership::confirmSuspicion(runtime::PeerId id, Member& m) {
  // Past K known confirmations more change no timeout: no news for them (Lifeguard's limit,
  // which keeps a mass failure among thousands from flooding the piggyback slots).
  if (!m.ownSuspicion && m.confirmations.size() < expectedConfirmations()) {
    m.ownSuspicion = true;
    disseminate(MemberUpdate{id, MemberState::kSuspect, m.incarnation, self_});
  }
}

void Membership::healthBetter() {
  if (health_ > 0) {
    --health_;
  }
}

void Membership::healthWorse() {
  health_ = std::min(health_ + 1, options_.maxHealthMultiplier);
}

std::optional<runtime::PeerId> Membership::nextProbeTarget() {
  auto probeable = [&](runtime::PeerId id) {
    MemberState s = state(id);
    return s == MemberState::kAlive || s == MemberState::kSuspect;
  };
  if (probeNext_) {
    runtime::PeerId asked = *probeNext_;
    probeNext_.reset();
    if (probeable(asked)) {
      return asked;
    }
  }
  // Shuffled round robin (SWIM §4.3): every member is probed within one pass.
  for (int pass = 0; pass < 2; ++pass) {
    while (probeIndex_ < probeOrder_.size()) {
      runtime::PeerId id = probeOrder_[probeIndex_++];
      if (probeable(id)) {
        return id;
      }
    }
    probeOrder_.clear();
    for (const auto& [id, m] : members_) {
      probeOrder_.push_back(id);
    }
    for (std::size_t i = probeOrder_.size(); i > 1; --i) {
      std::swap(probeOrder_[i - 1], probeOrder_[rng_.below(i)]);
    }
    probeIndex_ = 0;
  }
  return std::nullopt;
}

std::optional<runtime::PeerId> Membership::randomDeadMember() {
  std::vector<runtime::PeerId> dead;
  for (const auto& [id, m] : members_) {
    if (m.state == MemberState::kDead) {
      dead.push_back(id);
    }
  }
  if (dead.empty()) {
    return std::nullopt;
  }
  return dead[rng_.below(dead.size())];
}

std::vector<ProbeMessage> Membership::tick(runtime::TimePoint now) {
  std::vector<ProbeMessage> out;
  out.swap(urgent_);
  for (auto it = members_.begin(); timed_ > 0 && it != members_.end(); ++it) {
    auto& [id, m] = *it;
    if (m.state == MemberState::kPending && now - start_ >= options_.startupGrace) {
      // Never heard, so our word is weak: dead here, not spread (others may well see it).
      setState(id, m, MemberState::kDead, m.incarnation);
    } else if (m.state == MemberState::kSuspect && now - m.suspectedAt >= suspicionTimeout(m)) {
      setState(id, m, MemberState::kDead, m.incarnation);
      disseminate(MemberUpdate{id, MemberState::kDead, m.incarnation, self_});
    }
  }
  relays_.erase(
      std::remove_if(
          relays_.begin(), relays_.end(), [&](const Relay& r) { return now >= r.expires; }),
      relays_.end());
  if (left_) {
    urgent_.clear();
    return out;
  }
  if (now >= nextDeadProbe_) {
    nextDeadProbe_ = now + options_.deadProbeInterval;
    if (std::optional<runtime::PeerId> dead = randomDeadMember()) {
      out.push_back(ProbeMessage{ProbeKind::kPing, *dead, nextSeq_++, *dead});
    }
  }
  if (probe_) {
    Member& target = members_[probe_->target];
    if (!probe_->indirectSent && now >= probe_->sentAt + scaled(options_.probeTimeout)) {
      probe_->indirectSent = true;
      std::vector<runtime::PeerId> helpers;
      for (const auto& [id, m] : members_) {
        if (id != probe_->target && m.state == MemberState::kAlive) {
          helpers.push_back(id);
        }
      }
      for (std::uint32_t k = 0; k < options_.indirectProbes && !helpers.empty(); ++k) {
        std::size_t pick = rng_.below(helpers.size());
        out.push_back(
            ProbeMessage{ProbeKind::kPingReq, helpers[pick], probe_->seq, probe_->target});
        helpers.erase(helpers.begin() + static_cast<std::ptrdiff_t>(pick));
      }
    }
    if (now >= probe_->sentAt + scaled(options_.probeInterval)) {
      if (target.state == MemberState::kAlive) {
        suspect(probe_->target, target, target.incarnation, self_, now);
        healthWorse();  // Lifeguard: nobody else missed it: we may be the slow one
      } else if (target.state == MemberState::kSuspect) {
        // Others missed it too: a confirmation, and no hint that we are slow.
        confirmSuspicion(probe_->target, target);
      }
      probe_.reset();
    }
  }
  if (!probe_ && now >= nextProbe_) {
    if (std::optional<runtime::PeerId> target = nextProbeTarget()) {
      probe_ = Probe{*target, nextSeq_++, now, false, false};
      out.push_back(ProbeMessage{ProbeKind::kPing, *target, probe_->seq, *target});
    }
    nextProbe_ = now + scaled(options_.probeInterval);
  }
  out.insert(out.end(), urgent_.begin(), urgent_.end());
  urgent_.clear();
  return out;
}

std::vector<ProbeMessage> Membership::onPing(runtime::PeerId from,
                                             std::uint64_t seq,
                                             runtime::TimePoint /*now*/) {
  if (left_) {
    return {};
  }
  return {ProbeMessage{ProbeKind::kAck, from, seq, self_}};
}

std::vector<ProbeMessage> Membership::onPingReq(runtime::PeerId from,
                                                std::uint64_t seq,
                                                runtime::PeerId target,
                                                runtime::TimePoint now) {
  if (left_ || target == self_ || target == from || members_.count(target) == 0) {
    return {};
  }
  Relay relay{nextSeq_++, from, seq, target, now + options_.probeInterval};
  relays_.push_back(relay);
  return {ProbeMessage{ProbeKind::kPing, target, relay.ourSeq, target}};
}

std::vector<ProbeMessage> Membership::onAck(runtime::PeerId from,
                                            std::uint64_t seq,
                                            runtime::TimePoint /*now*/) {
  if (probe_ && probe_->seq == seq) {
    // Direct or relayed: either way the target answered within the period.
    healthBetter();
    probe_.reset();
    return {};
  }
  auto relay = std::find_if(relays_.begin(), relays_.end(), [&](const Relay& r) {
    return r.ourSeq == seq && r.target == from;
  });
  if (relay == relays_.end()) {
    return {};  // late or unknown: harmless
  }
  ProbeMessage back{ProbeKind::kAck, relay->requester, relay->requesterSeq, relay->target};
  relays_.erase(relay);
  return {back};
}

bool Membership::usable(runtime::PeerId id) const {
  auto it = members_.find(id);
  return it != members_.end() && it->second.state == MemberState::kAlive &&
         it->second.lastHeard.has_value();
}

void Membership::heard(runtime::PeerId from, std::uint64_t incarnation, runtime::TimePoint now) {
  auto it = members_.find(from);
  if (it == members_.end()) {
    return;
  }
  Member& m = it->second;
  m.lastHeard = now;
  const bool newer = incarnation > m.incarnation;
  switch (m.state) {
    case MemberState::kPending:
      setState(from, m, MemberState::kAlive, std::max(incarnation, m.incarnation));
      disseminate(MemberUpdate{from, MemberState::kAlive, m.incarnation, self_}, true);
      break;
    case MemberState::kSuspect:
    case MemberState::kDead:
      // Its own word at a higher incarnation: a refutation, or a restarted process.
      if (newer) {
        setState(from, m, MemberState::kAlive, incarnation);
        disseminate(MemberUpdate{from, MemberState::kAlive, incarnation, self_});
      }
      break;
    case MemberState::kAlive:
      if (newer) {
        m.incarnation = incarnation;
      }
      break;
    case MemberState::kLeft:
      // A member that left may still send its last messages (at the LEFT incarnation); a higher
      // one is a new process under the same name, rejoining.
      if (newer) {
        setState(from, m, MemberState::kAlive, incarnation);
        disseminate(MemberUpdate{from, MemberState::kAlive, incarnation, self_});
      }
      break;
  }
}

void Membership::apply(runtime::PeerId from,
                       const std::vector<MemberUpdate>& updates,
                       runtime::TimePoint now) {
  for (const MemberUpdate& u : updates) {
    if (u.member == self_) {
      if (!left_ && (u.state == MemberState::kSuspect || u.state == MemberState::kDead) &&
          u.incarnation >= incarnation_) {
        refute(u.incarnation);
      }
      continue;
    }
    auto it = members_.find(u.member);
    if (it == members_.end()) {
      continue;
    }
    Member& m = it->second;
    const bool gone = m.state == MemberState::kDead || m.state == MemberState::kLeft;
    switch (u.state) {
      case MemberState::kPending:
        break;  // never sent
      case MemberState::kAlive:
        if (m.state == MemberState::kPending ? u.incarnation >= m.incarnation
                                             : u.incarnation > m.incarnation) {
          const bool firstContact = m.state == MemberState::kPending;
          setState(u.member, m, MemberState::kAlive, u.incarnation);
          disseminate(u, firstContact);
        }
        break;
      case MemberState::kSuspect:
        if (gone || u.incarnation < m.incarnation) {
          break;
        }
        if (m.state == MemberState::kSuspect && u.incarnation == m.incarnation) {
          // Lifeguard: another member independently suspects it: shorten the timeout.
          if (u.origin != self_ && m.confirmations.size() < expectedConfirmations() &&
              std::find(m.confirmations.begin(), m.confirmations.end(), u.origin) ==
                  m.confirmations.end()) {
            m.confirmations.push_back(u.origin);
            if (!m.ownSuspicion) {
              disseminate(u);  // pass it on (our own suspicion, if any, keeps its slot)
            }
          }
        } else {
          suspect(u.member, m, u.incarnation, u.origin, now);
        }
        break;
      case MemberState::kDead:
        if (!gone && u.incarnation >= m.incarnation) {
          setState(u.member, m, MemberState::kDead, u.incarnation);
          disseminate(u);
        }
        break;
      case MemberState::kLeft:
        if (m.state != MemberState::kLeft && u.incarnation >= m.incarnation) {
          setState(u.member, m, MemberState::kLeft, u.incarnation);
          disseminate(u);
        }
        break;
    }
  }
  (void)from;
}

std::vector<MemberUpdate> Membership::piggyback(runtime::PeerId to, std::size_t limit) {
  // Exhausted news goes now, not after the last send: that send may yet be refused (notSent).
  const std::uint32_t limitSends = retransmitLimit();
  gossip_.erase(
      std::remove_if(
          gossip_.begin(), gossip_.end(), [&](const Gossip& g) { return g.sent >= limitSends; }),
      gossip_.end());
  // News about the receiver first; then news that change partner choice (suspicions, deaths,
  // departures, refutations) before first contacts; then the least-sent, the newest first. At
  // start-up every founder holds an ALIVE of first contact per member (a thousand, at 6 a
  // message): a crash queued behind them spread one peer per hop (1024 simulated peers: 647
  // of 1023 knew after 15 s). Only the first few are needed: a selection, not a sort.
  std::vector<std::size_t> order(gossip_.size());
  std::iota(order.begin(), order.end(), 0);
  auto key = [&](std::size_t i) {
    const Gossip& g = gossip_[i];
    return std::tuple(g.update.member != to, g.firstContact, g.sent, ~g.order);
  };
  const std::size_t wanted = std::min(order.size(), limit + 1);  // + 1: one about `to` is skipped
  std::partial_sort(order.begin(),
                    order.begin() + static_cast<std::ptrdiff_t>(wanted),
                    order.end(),
                    [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  std::vector<MemberUpdate> out;
  auto receiver = members_.find(to);
  const bool toldDead =
      receiver != members_.end() && receiver->second.state == MemberState::kDead && limit > 0;
  if (toldDead) {
    out.push_back(MemberUpdate{to, MemberState::kDead, receiver->second.incarnation, self_});
  }
  for (std::size_t k = 0; k < wanted; ++k) {
    Gossip& g = gossip_[order[k]];
    if (toldDead && g.update.member == to) {
      continue;  // the claim above says it
    }
    if (out.size() >= limit) {
      break;
    }
    out.push_back(g.update);
    ++g.sent;
  }
  return out;
}

void Membership::notSent(const std::vector<MemberUpdate>& updates) {
  for (const MemberUpdate& u : updates) {
    auto it = std::find_if(
        gossip_.begin(), gossip_.end(), [&](const Gossip& g) { return g.update == u; });
    if (it != gossip_.end() && it->sent > 0) {
      --it->sent;
    }
  }
}

void Membership::leave(runtime::TimePoint /*now*/) {
  if (left_) {
    return;
  }
  left_ = true;
  ++incarnation_;
  probe_.reset();
  disseminate(MemberUpdate{self_, MemberState::kLeft, incarnation_, self_});
}

void Membership::probeSoon(runtime::PeerId id) {
  probeNext_ = id;
}

std::uint64_t Membership::incarnationOf(runtime::PeerId id) const {
  if (id == self_) {
    return incarnation_;
  }
  auto it = members_.find(id);
  return it == members_.end() ? 0 : it->second.incarnation;
}

MemberState Membership::state(runtime::PeerId id) const {
  if (id == self_) {
    return left_ ? MemberState::kLeft : MemberState::kAlive;
  }
  auto it = members_.find(id);
  return it == members_.end() ? MemberState::kDead : it->second.state;
}

runtime::TimePoint Membership::nextDeadline() const {
  runtime::TimePoint next = runtime::TimePoint::max();
  if (!urgent_.empty()) {
    return runtime::TimePoint{};  // pings to send at once (the clock's epoch: always past)
  }
  if (!left_) {
    next = std::min(next, nextProbe_);
    next = std::min(next, nextDeadProbe_);
    if (probe_) {
      if (!probe_->indirectSent) {
        next = std::min(next, probe_->sentAt + scaled(options_.probeTimeout));
      }
      next = std::min(next, probe_->sentAt + scaled(options_.probeInterval));
    }
  }
  for (auto it = members_.begin(); timed_ > 0 && it != members_.end(); ++it) {
    const auto& [id, m] = *it;
    if (m.state == MemberState::kPending) {
      next = std::min(next, start_ + options_.startupGrace);
    } else if (m.state == MemberState::kSuspect) {
      next = std::min(next, m.suspectedAt + suspicionTimeout(m));
    }
  }
  return next;
}

std::vector<MemberView> Membership::members() const {
  std::vector<MemberView> out;
  out.push_back(MemberView{self_, state(self_), incarnation_, std::nullopt});
  for (const auto& [id, m] : members_) {
    out.push_back(MemberView{id, m.state, m.incarnation, m.lastHeard});
  }
  return out;
}

std::vector<MembershipEvent> Membership::takeEvents() {
  std::vector<MembershipEvent> out;
  out.swap(events_);
  return out;
}

}  // namespace murmur::gossip
