#include "peer/peer.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "compression/codec.h"
#include "peer/join.h"
#include "runtime/error.h"
#include "runtime/log.h"

namespace murmur::peer {
namespace {

using wire::MessageType;

constexpr runtime::Duration kMaxPollWait = std::chrono::milliseconds(50);
constexpr runtime::Duration kWarningInterval = std::chrono::seconds(5);
constexpr runtime::Duration kNoPartnerRetry = std::chrono::milliseconds(20);
constexpr std::size_t kPiggybackUpdates = 6;  // membership updates riding on each message
constexpr runtime::Duration kAdmissionRepeat = std::chrono::seconds(5);  // JOIN retries

MessageType toWireType(gossip::ProbeKind kind) {
  switch (kind) {
    case gossip::ProbeKind::kPing:
      return MessageType::kPing;
    case gossip::ProbeKind::kAck:
      return MessageType::kAck;
    case gossip::ProbeKind::kPingReq:
      return MessageType::kPingReq;
  }
  return MessageType::kPing;
}

gossip::ExchangeMessage toExchangeMessage(MessageType type) {
  switch (type) {
    case MessageType::kPropose:
      return gossip::ExchangeMessage::kPropose;
    case MessageType::kAccept:
      return gossip::ExchangeMessage::kAccept;
    case MessageType::kBusy:
      return gossip::ExchangeMessage::kBusy;
    default:
      return gossip::ExchangeMessage::kParams;
  }
}

MessageType toWireType(gossip::ExchangeMessage type) {
  switch (type) {
    case gossip::ExchangeMessage::kPropose:
      return MessageType::kPropose;
    case gossip::ExchangeMessage::kAccept:
      return MessageType::kAccept;
    case gossip::ExchangeMessage::kBusy:
      return MessageType::kBusy;
    case gossip::ExchangeMessage::kParams:
      return MessageType::kParams;
  }
  return MessageType::kBusy;
}

bool carriesModel(MessageType type) {
  return type == MessageType::kAccept || type == MessageType::kParams ||
         type == MessageType::kFinal;
}

const char* resultName(gossip::ExchangeResult result) {
  switch (result) {
    case gossip::ExchangeResult::kApplied:
      return "applied";
    case gossip::ExchangeResult::kBusy:
      return "busy";
    case gossip::ExchangeResult::kTimedOut:
      return "timeout";
    case gossip::ExchangeResult::kAborted:
      return "aborted";
    case gossip::ExchangeResult::kUnreachable:
      return "unreachable";
  }
  return "?";
}

}  // namespace

Peer::Peer(PeerOptions options,
           transport::ZmqTransport& transport,
           SharedModelState& state,
           ExchangeBudget& budget,
           runtime::MetricsRegistry& metrics,
           const runtime::Clock& clock)
    : options_(std::move(options)),
      transport_(transport),
      state_(state),
      budget_(budget),
      metrics_(metrics),
      clock_(clock),
      fsm_(options_.self, options_.exchange, runtime::Rng(options_.seed).fork("fsm").next()),
      membership_(options_.self,
                  options_.incarnation,
                  clock.now(),
                  options_.membership,
                  runtime::Rng(options_.seed).fork("membership").next()),
      rng_(runtime::Rng(options_.seed).fork("neighbours")),
      peers_(options_.peers),
      topology_(options_.topology),
      doneFrom_(peers_.size(), false),
      reached_(peers_.size(), false),
      controlOf_(peers_.size()),
      stepOf_(peers_.size(), 0) {
  MURMUR_REQUIRE(options_.self.value < peers_.size(), "self index out of range");
  MURMUR_REQUIRE(topology_.size() == peers_.size(),
                 "topology has ",
                 topology_.size(),
                 " lists for ",
                 peers_.size(),
                 " peers");
  for (std::uint32_t i = 0; i < peers_.size(); ++i) {
    idByName_[peers_[i].name] = i;
    if (i != options_.self.value) {
      membership_.addPending(runtime::PeerId{i});
    }
  }
  refreshUnheard();
  codec_ = std::make_unique<ExchangeCodec>(options_.codec, state_.numel(), state_.pool(), metrics_);
  globalSync_ =
      std::make_unique<GlobalSync>(options_.sync,
                                   options_.self,
                                   options_.threshold,
                                   state_,
                                   options_.mailbox != nullptr ? *options_.mailbox : ownMailbox_,
                                   metrics_,
                                   [this](runtime::PeerId id) { return nameOf(id); });
}

void Peer::run() {
  while (!stop_.load()) {
    runtime::TimePoint now = clock_.now();
    tick(now);
    runtime::Duration wait = std::clamp<runtime::Duration>(
        nextWakeup(now) - now, runtime::Duration::zero(), kMaxPollWait);
    for (const transport::InboundMessage& message : transport_.poll(wait)) {
      handle(message, clock_.now());
    }
  }
}

void Peer::requestStop() {
  stop_.store(true);
  transport_.wake();
  { std::lock_guard<std::mutex> lock(unheardMu_); }  // a waiter checks stop_ or gets the notify
  unheardChanged_.notify_all();
}

void Peer::leave() {
  leaveRequested_.store(true);
  transport_.wake();
}

void Peer::finishTraining() {
  finishRequested_.store(true);
  transport_.wake();
}

std::optional<FinalResult> Peer::waitFinal(runtime::Duration timeout) {
  std::unique_lock<std::mutex> lock(finalMu_);
  finalReady_.wait_for(lock, timeout, [&] { return final_.has_value(); });
  return final_;
}

runtime::TimePoint Peer::nextWakeup(runtime::TimePoint now) const {
  runtime::TimePoint next = std::min(nextHeartbeat_, membership_.nextDeadline());
  if (leaving_) {
    next = std::min(next, leaveStarted_ + options_.leaveTimeout);
  }
  if (auto deadline = fsm_.deadline()) {
    next = std::min(next, *deadline);
  }
  if (auto deadline = globalSync_->deadline(now)) {
    next = std::min(next, *deadline);
  }
  // Without credit there is nothing to start: sleep until compute earns some (it wakes us).
  if (fsm_.idle() && !finishRequested_.load() && !leaving_ && options_.gossipEnabled &&
      budget_.canInitiate()) {
    next = std::min(next, std::max({now, fsm_.backoffUntil(), noPartnerUntil_}));
  }
  return next;
}

void Peer::tick(runtime::TimePoint now) {
  if (auto deadline = fsm_.deadline(); deadline && now >= *deadline) {
    processStep(fsm_.onTimer(now), nullptr, now);
  }
  driveMembership(now);
  if (leaveRequested_.load()) {
    advanceLeave(now);
    return;
  }
  if (now >= nextHeartbeat_) {
    // SWIM probes carry liveness between members that know each other; HELLO introduces us to
    // those not heard from yet (they may start later) and to those no message of ours reached
    // yet (libzmq refuses sends until a connection is up: our first HELLO may have been refused
    // while theirs got through, and their next probe of us can be seconds away). Once we
    // finished, DONE goes to everyone, so that a peer that connects late still hears it.
    for (std::uint32_t j = 0; j < peers_.size(); ++j) {
      runtime::PeerId id{j};
      if (id == options_.self || membership_.gone(id)) {
        continue;
      }
      if (doneAnnounced_) {
        sendMessage(id, MessageType::kDone, 0, {});
      } else if (membership_.state(id) == gossip::MemberState::kPending || !reached_[j]) {
        sendMessage(id, MessageType::kHello, 0, {});
      }
    }
    nextHeartbeat_ = now + options_.heartbeatInterval;
    postMembers(now);
  }
  if (globalSync_->enabled() && !leaving_) {
    if (finishRequested_.load()) {
      globalSync_->trainingEnded();
    }
    std::vector<SyncSend> sends;
    for (SyncSend& chunk : unsentChunks_) {
      if (globalSync_->current(chunk.chunk) && !membership_.gone(chunk.to)) {
        sends.push_back(std::move(chunk));
      }
    }
    unsentChunks_.clear();
    std::vector<runtime::PeerId> unheard;
    for (const gossip::MemberView& m : membership_.members()) {
      if (m.id != options_.self && m.state == gossip::MemberState::kPending) {
        unheard.push_back(m.id);
      }
    }
    globalSync_->tick(
        now, syncMembers(), unheard, localStep_.load(std::memory_order_relaxed), sends);
    sendSync(sends);
  }
  // A sync we take part in finishes before we say DONE: the others' ring needs us.
  if (finishRequested_.load() && !doneAnnounced_ && fsm_.partner() == std::nullopt &&
      !globalSync_->active()) {
    doneAnnounced_ = true;
    finishedAt_ = now;
    nextHeartbeat_ = now;  // announce at once
    MURMUR_LOG(kInfo, "peer", "training done; waiting for the others to finish");
  }
  if (!finishRequested_.load()) {
    maybeInitiate(now);
  }
  if (doneAnnounced_ && !closed_) {
    advanceFinal(now);
  }
}

void Peer::driveMembership(runtime::TimePoint now) {
  for (const std::string& rejected : transport_.takeRejections()) {
    metrics_.counter("connections_rejected_total").add();
    warnOncePer("security",
                "rejected:" + rejected.substr(0, rejected.find(':', 6)),
                now,
                "rejected a connection on " + rejected);
  }
  for (const gossip::ProbeMessage& probe : membership_.tick(now)) {
    sendProbe(probe);
  }
  bool startUpNews = false;  // a listed member left PENDING: the start-up wait may be over
  for (const gossip::MembershipEvent& e : membership_.takeEvents()) {
    if (e.from == gossip::MemberState::kPending) {
      startUpNews = true;
      if (e.to == gossip::MemberState::kDead) {
        givenUp_.insert(e.member.value);
      }
    }
    metrics_
        .counter(
            fmt::format("membership_events_total{{state=\"{}\"}}", gossip::memberStateName(e.to)))
        .add();
    if (e.from == gossip::MemberState::kLeft && e.to == gossip::MemberState::kAlive) {
      doneFrom_[e.member.value] = false;  // a new process under a name that left: not done yet
      globalSync_->noteDone(e.member, false);
    }
    const bool bad = e.to == gossip::MemberState::kSuspect || e.to == gossip::MemberState::kDead;
    const runtime::LogLevel level = bad ? runtime::LogLevel::kWarn : runtime::LogLevel::kInfo;
    if (runtime::logEnabled(level, "membership")) {
      runtime::logLine(level,
                       "membership",
                       fmt::format("{} is {} (was {}, incarnation {})",
                                   nameOf(e.member),
                                   gossip::memberStateName(e.to),
                                   gossip::memberStateName(e.from),
                                   e.incarnation));
    }
  }
  if (startUpNews) {
    refreshUnheard();
  }
  // Never wait on a partner declared dead or gone: its exchange ends now, unapplied. A suspect
  // keeps its exchange until the deadline: it may be slow, not dead, and may already have
  // applied its side (ending ours early would break the pair's conservation).
  if (std::optional<runtime::PeerId> partner = fsm_.partner();
      partner && membership_.gone(*partner)) {
    if (std::optional<gossip::ExchangeOutcome> outcome = fsm_.abort(now)) {
      recordOutcome(*outcome, now);
    }
  }
}

void Peer::refuseForever(std::optional<runtime::PeerId> member) {
  if (member && incompatible_.insert(member->value).second) {
    refreshUnheard();  // not worth waiting for at the start
  }
}

void Peer::refreshUnheard() {
  std::vector<std::string> unheard;
  bool pending = false;
  for (const gossip::MemberView& m : membership_.members()) {
    if (incompatible_.count(m.id.value) != 0) {
      continue;
    }
    const bool waiting = m.state == gossip::MemberState::kPending;
    pending = pending || waiting;
    if (waiting || givenUp_.count(m.id.value) != 0) {
      unheard.push_back(nameOf(m.id));
    }
  }
  {
    std::lock_guard<std::mutex> lock(unheardMu_);
    unheard_ = std::move(unheard);
    startUpPending_ = pending;
  }
  unheardChanged_.notify_all();
}

Peer::ListedPeers Peer::waitListedPeers(runtime::Duration timeout) {
  std::unique_lock<std::mutex> lock(unheardMu_);
  unheardChanged_.wait_for(lock, timeout, [&] { return !startUpPending_ || stop_.load(); });
  return ListedPeers{!startUpPending_, unheard_};
}

void Peer::postMembers(runtime::TimePoint now) {
  if (options_.board == nullptr) {
    return;
  }
  std::vector<MemberRow> rows;
  const PeerEntry& self = peers_[options_.self.value];
  rows.push_back(MemberRow{self.name,
                           self.address,
                           options_.control,
                           leaving_ ? "left" : "self",
                           membership_.incarnation(),
                           now,
                           localStep_.load(std::memory_order_relaxed)});
  for (const gossip::MemberView& m : membership_.members()) {
    if (m.id == options_.self) {
      continue;
    }
    const PeerEntry& entry = peers_[m.id.value];
    rows.push_back(MemberRow{entry.name,
                             entry.address,
                             controlOf_[m.id.value],
                             gossip::memberStateName(m.state),
                             m.incarnation,
                             m.lastHeard,
                             stepOf_[m.id.value]});
  }
  options_.board->postMembers(std::move(rows));
}

void Peer::advanceLeave(runtime::TimePoint now) {
  if (!leaving_) {
    leaving_ = true;
    leaveStarted_ = now;
    MURMUR_LOG(kInfo, "peer", "leaving the swarm");
  }
  // Let the exchange in flight finish (both sides then apply it), up to the leave timeout.
  if (fsm_.partner() && now < leaveStarted_ + options_.leaveTimeout) {
    return;
  }
  if (std::optional<gossip::ExchangeOutcome> outcome =
          fsm_.abort(now, gossip::ExchangeResult::kAborted)) {
    recordOutcome(*outcome, now);
  }
  membership_.leave(now);
  for (std::uint32_t j = 0; j < peers_.size(); ++j) {
    runtime::PeerId id{j};
    if (id != options_.self && !membership_.gone(id)) {
      sendMessage(id, MessageType::kLeave, 0, {});
    }
  }
  MURMUR_LOG(kInfo, "peer", "announced LEFT (incarnation {})", membership_.incarnation());
  {
    std::lock_guard<std::mutex> lock(finalMu_);
    left_.store(true);
  }
  finalReady_.notify_all();
  stop_.store(true);
}

bool Peer::waitLeft(runtime::Duration timeout) {
  std::unique_lock<std::mutex> lock(finalMu_);
  finalReady_.wait_for(lock, timeout, [&] { return left_.load(); });
  return left_.load();
}

void Peer::sendProbe(const gossip::ProbeMessage& probe) {
  sendMessage(probe.to, toWireType(probe.kind), probe.seq, {}, probe.target);
}

std::optional<runtime::PeerId> Peer::idOf(const std::string& name) const {
  auto it = idByName_.find(name);
  if (it == idByName_.end()) {
    return std::nullopt;
  }
  return runtime::PeerId{it->second};
}

runtime::PeerId Peer::addMember(const std::string& name, const std::string& address) {
  const runtime::PeerId id{static_cast<std::uint32_t>(peers_.size())};
  peers_.push_back(PeerEntry{address, name});
  idByName_[name] = id.value;
  doneFrom_.push_back(false);
  reached_.push_back(false);
  controlOf_.emplace_back();
  stepOf_.push_back(0);
  transport_.connect(id.value, address);
  membership_.addPending(id);
  rebuildTopology();
  metrics_.counter("members_joined_total").add();
  MURMUR_LOG(kInfo, "membership", "{} joins the swarm from {}", name, address);
  return id;
}

void Peer::relocate(runtime::PeerId id, const std::string& address) {
  // Only a member we gave up on may move: a live one's address is its identity on the wire.
  if (!membership_.gone(id) || address.rfind("tcp://", 0) != 0 ||
      peers_[id.value].address == address) {
    return;
  }
  MURMUR_LOG(kInfo,
             "membership",
             "{} comes back at {} (was {})",
             nameOf(id),
             address,
             peers_[id.value].address);
  peers_[id.value].address = address;
  transport_.connect(id.value, address);
  reached_[id.value] = false;
  codec_->forget(id);  // a new process: its public copies start over
}

void Peer::rebuildTopology() {
  std::vector<std::string> names;
  for (const PeerEntry& p : peers_) {
    names.push_back(p.name);
  }
  try {
    topology_ = gossip::makeTopology(options_.topologySpec, names);
  } catch (const runtime::Error& e) {
    // An exponential graph needs 2^k members and an edge file names only the first ones:
    // with joiners, fall back to the complete graph (η and α̃ stay those of the start).
    topology_ = gossip::completeTopology(static_cast<std::uint32_t>(peers_.size()));
    warnOncePer("gossip",
                "topology",
                clock_.now(),
                fmt::format("topology '{}' does not fit {} members ({}); gossiping over the "
                            "complete graph",
                            options_.topologySpec,
                            peers_.size(),
                            e.what()));
  }
}

wire::WireUpdate Peer::describe(runtime::PeerId id,
                                gossip::MemberState state,
                                std::uint64_t incarnation) const {
  wire::WireUpdate u;
  u.name = nameOf(id);
  u.address = peers_[id.value].address;
  u.control = id == options_.self ? options_.control : controlOf_[id.value];
  u.state = state;
  u.incarnation = incarnation;
  return u;
}

std::vector<wire::WireUpdate> Peer::toWire(const std::vector<gossip::MemberUpdate>& updates) const {
  std::vector<wire::WireUpdate> out;
  out.reserve(updates.size());
  for (const gossip::MemberUpdate& u : updates) {
    wire::WireUpdate w = describe(u.member, u.state, u.incarnation);
    w.origin = nameOf(u.origin);
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<gossip::MemberUpdate> Peer::fromWire(const std::vector<wire::WireUpdate>& updates) {
  std::vector<gossip::MemberUpdate> out;
  for (const wire::WireUpdate& u : updates) {
    std::optional<runtime::PeerId> member = idOf(u.name);
    const bool lives =
        u.state == gossip::MemberState::kAlive || u.state == gossip::MemberState::kSuspect;
    if (!member && lives && u.address.rfind("tcp://", 0) == 0 && !leaving_) {
      member = addMember(u.name, u.address);  // a joiner we hear of from others
    } else if (member && lives && *member != options_.self &&
               u.incarnation > membership_.incarnationOf(*member)) {
      relocate(*member, u.address);  // a member that left or died, back under its name
    }
    std::optional<runtime::PeerId> origin = u.origin.empty() ? member : idOf(u.origin);
    if (!member || !origin) {
      metrics_.counter("updates_ignored_total").add();
      continue;
    }
    if (!u.control.empty() && *member != options_.self) {
      controlOf_[member->value] = u.control;
    }
    out.push_back(gossip::MemberUpdate{*member, u.state, u.incarnation, *origin});
  }
  return out;
}

void Peer::refuseJoin(const wire::Envelope& envelope,
                      const std::string& why,
                      runtime::TimePoint now) {
  metrics_.counter("joins_total{result=\"refused\"}").add();
  warnOncePer("membership",
              "refused:" + envelope.senderName,
              now,
              fmt::format("refused {} ({}): {}", envelope.senderName, envelope.address, why));
  // The joiner is no member: answer through a dealer of its own, reused across its retries.
  if (strangerDealers_.size() >= 64 && strangerDealers_.count(envelope.senderName) == 0) {
    return;  // bounded: a flood of strangers costs nothing more
  }
  auto [it, fresh] = strangerDealers_.try_emplace(
      envelope.senderName, (1U << 31) + static_cast<std::uint32_t>(strangerDealers_.size()));
  if (fresh) {
    transport_.connect(it->second, envelope.address);
  }
  wire::Envelope reply;
  reply.type = MessageType::kJoinRefused;
  reply.senderName = nameOf(options_.self);
  reply.receiverName = envelope.senderName;
  reply.incarnation = membership_.incarnation();
  reply.config = why;
  transport_.send(it->second, wire::encodeEnvelope(reply), {});
}

void Peer::handleJoin(const wire::Envelope& envelope, runtime::TimePoint now) {
  const std::string& name = envelope.senderName;
  if (envelope.address.rfind("tcp://", 0) != 0) {
    drop("malformed", name.substr(0, 32), "JOIN without a tcp:// address", now);
    return;
  }
  if (envelope.version != wire::kProtocolVersion) {
    refuseJoin(envelope,
               fmt::format("it speaks murmur protocol version {}, this swarm version {}",
                           envelope.version,
                           wire::kProtocolVersion),
               now);
    return;
  }
  if (envelope.modelSignature != options_.modelSignature) {
    refuseJoin(envelope,
               fmt::format("its model is {} (signature {:016x}), this swarm trains {} (signature "
                           "{:016x})",
                           envelope.modelName,
                           envelope.modelSignature,
                           options_.modelName,
                           options_.modelSignature),
               now);
    return;
  }
  if (leaving_ || finishRequested_.load()) {
    refuseJoin(envelope, nameOf(options_.self) + " is leaving or done: ask another member", now);
    return;
  }
  std::optional<runtime::PeerId> id = idOf(name);
  if (id && (*id == options_.self ||
             (!membership_.gone(*id) && peers_[id->value].address != envelope.address))) {
    refuseJoin(
        envelope,
        fmt::format("the name {} is taken by a live member at {}", name, peers_[id->value].address),
        now);
    return;
  }
  if (!id) {
    id = addMember(name, envelope.address);
  } else {
    relocate(*id, envelope.address);
  }
  if (!envelope.control.empty()) {
    controlOf_[id->value] = envelope.control;
  }
  if (auto sent = admitted_.find(name);
      sent != admitted_.end() && now - sent->second < kAdmissionRepeat) {
    return;  // our answer is on its way: a retry must not send the model again
  }
  // Everything a joiner needs: the run settings, who is in, and a model to start from.
  wire::Envelope reply;
  reply.type = MessageType::kJoinAccept;
  reply.senderName = nameOf(options_.self);
  reply.receiverName = name;
  reply.incarnation = membership_.incarnation();
  reply.runHash = options_.runHash;
  reply.config = options_.runConfig;
  reply.members.push_back(
      describe(options_.self, gossip::MemberState::kAlive, membership_.incarnation()));
  for (const gossip::MemberView& m : membership_.members()) {
    if (m.id != options_.self && m.id != *id &&
        (m.state == gossip::MemberState::kAlive || m.state == gossip::MemberState::kSuspect)) {
      reply.members.push_back(describe(m.id, m.state, m.incarnation));
    }
  }
  std::shared_ptr<BufferPool::Buffer> snapshot = state_.pool().acquire();
  state_.copyParameters(now, snapshot->data());
  std::vector<runtime::Blob> payloads = {compression::codecFor(compression::CodecId::kRaw)
                                             .encode(runtime::floatBlob(snapshot), nullptr)};
  wire::PayloadInfo info;
  info.numel = payloads[0].numel();
  info.frame = 1;
  reply.payloads.push_back(info);
  if (!transport_.send(id->value, wire::encodeEnvelope(reply), payloads)) {
    return;  // its connection is not up yet: the joiner asks again
  }
  admitted_[name] = now;
  metrics_.counter("joins_total{result=\"accepted\"}").add();
  metrics_.counter("bytes_sent_total{kind=\"state_transfer\"}").add(payloads[0].bytes);
  MURMUR_LOG(kInfo,
             "membership",
             "let {} in: sent the member list and the model ({} parameters)",
             name,
             payloads[0].numel());
}

void Peer::maybeInitiate(runtime::TimePoint now) {
  if (!options_.gossipEnabled || !fsm_.canPropose(now) || now < noPartnerUntil_ ||
      !budget_.canInitiate() || globalSync_->holdsGossip()) {
    return;
  }
  const auto& list = topology_[options_.self.value];
  auto usable = [&](runtime::PeerId id) { return membership_.usable(id); };
  std::optional<runtime::PeerId> partner = gossip::pickNeighbour(list, usable, rng_);
  if (!partner) {
    // Every neighbour is suspect or dead: look again shortly instead of spinning.
    noPartnerUntil_ = now + kNoPartnerRetry;
    return;
  }
  exchangeStart_ = now;
  processStep(fsm_.propose(*partner, now), nullptr, now);
  if (!fsm_.idle()) {
    // Our snapshot is taken while the partner prepares its reply, off the exchange's critical
    // path. It stays valid until then: we answer BUSY to everyone else meanwhile.
    ownSnapshot_ = state_.snapshot(now);
    ownSnapshotEpoch_ = globalSync_->epoch();
  }
}

void Peer::handle(const transport::InboundMessage& message, runtime::TimePoint now) {
  // Routing ids are names chosen by the sender: printable and short before they reach a log.
  std::string printable = message.routingId.substr(0, 32);
  for (char& c : printable) {
    c = std::isprint(static_cast<unsigned char>(c)) != 0 ? c : '?';
  }
  std::optional<runtime::PeerId> known = idOf(message.routingId);
  const std::string& who = known ? message.routingId : printable;
  if (message.frames.empty()) {
    drop("malformed", who, "message without frames", now);
    return;
  }
  wire::Envelope envelope;
  try {
    envelope = wire::decodeEnvelope(message.frames[0].data, message.frames[0].bytes);
  } catch (const runtime::Error& e) {
    drop("malformed", who, e.what(), now);
    return;
  }
  if (envelope.type == MessageType::kJoin &&
      isJoinRoutingId(message.routingId, envelope.senderName)) {
    handleJoin(envelope, now);
    return;
  }
  if (envelope.senderName != message.routingId) {
    drop("spoofed", who, "envelope claims to be " + envelope.senderName.substr(0, 32), now);
    return;
  }
  if (envelope.version != wire::kProtocolVersion) {
    refuseForever(known);
    drop("version",
         who,
         "protocol version " + std::to_string(envelope.version) + ", ours is " +
             std::to_string(wire::kProtocolVersion),
         now);
    return;
  }
  if (envelope.runHash != options_.runHash) {
    refuseForever(known);
    drop("run_mismatch",
         who,
         fmt::format("run hash {:016x}, ours {:016x}: another model or other run settings",
                     envelope.runHash,
                     options_.runHash),
         now);
    return;
  }
  const bool introduces = envelope.type == MessageType::kHello && !envelope.address.empty();
  if (!known && introduces && !leaving_) {
    // A joiner says hello (the member that let it in told us, or will): add it.
    known = addMember(envelope.senderName, envelope.address);
  } else if (known && introduces && envelope.incarnation > membership_.incarnationOf(*known)) {
    relocate(*known, envelope.address);
  }
  if (!known) {
    // One warning key for all strangers: their ids must not grow our state.
    drop(
        "unknown_sender", "an unknown peer", "routing id '" + printable + "' is not a member", now);
    return;
  }
  if (envelope.receiverName != nameOf(options_.self)) {
    drop("misdirected", who, "addressed to " + envelope.receiverName.substr(0, 32), now);
    return;
  }
  const bool wantsModel = carriesModel(envelope.type);
  // A ring chunk carries one segment; an FDA state its sketch (SketchFDA only).
  const bool wantsFloats = envelope.type == MessageType::kRingChunk ||
                           (envelope.type == MessageType::kFdaState && !envelope.payloads.empty());
  if (envelope.payloads.size() != (wantsModel || wantsFloats ? 1U : 0U) ||
      message.frames.size() != envelope.payloads.size() + 1) {
    drop("malformed",
         who,
         fmt::format("{} with {} payloads in {} frames",
                     wire::messageTypeName(envelope.type),
                     envelope.payloads.size(),
                     message.frames.size()),
         now);
    return;
  }
  runtime::Blob model;
  if (wantsModel) {
    const wire::PayloadInfo& info = envelope.payloads[0];
    const bool exchange =
        envelope.type == MessageType::kAccept || envelope.type == MessageType::kParams;
    if (!exchange && (info.dtype != runtime::DType::kFloat32 || info.numel != state_.numel() ||
                      info.codec != static_cast<std::uint8_t>(compression::CodecId::kRaw))) {
      drop("bad_payload",
           who,
           fmt::format("{} payload of {} elements (codec {}), the model has {} (raw)",
                       wire::messageTypeName(envelope.type),
                       info.numel,
                       info.codec,
                       state_.numel()),
           now);
      return;
    }
    runtime::Blob frame = message.frames[1];
    if (reinterpret_cast<std::uintptr_t>(frame.data) % alignof(float) != 0 &&
        frame.bytes <= state_.numel() * sizeof(float)) {
      // libzmq receives small messages into a shared buffer at any offset: realign into a
      // pooled buffer (large messages get their own allocation and need no copy).
      std::shared_ptr<BufferPool::Buffer> aligned = state_.pool().acquire();
      std::memcpy(aligned->data(), frame.data, frame.bytes);
      frame.data = reinterpret_cast<const std::byte*>(aligned->data());
      frame.keepAlive = std::move(aligned);
      metrics_.counter("payloads_realigned_total").add();
    }
    try {
      model = exchange ? codec_->decode(*known, info, envelope.lbgm, frame)
                       : compression::codecFor(compression::CodecId::kRaw)
                             .decode(frame, state_.numel(), nullptr);
    } catch (const runtime::Error& e) {
      drop("bad_payload", who, e.what(), now);
      return;
    }
    metrics_.counter("bytes_received_total{kind=\"model\"}").add(message.frames[1].bytes);
  }
  std::vector<float> floats;
  std::vector<std::byte> encoded;
  if (wantsFloats && envelope.type == MessageType::kRingChunk &&
      (envelope.payloads[0].codec == static_cast<std::uint8_t>(compression::CodecId::kLhc) ||
       envelope.payloads[0].codec == static_cast<std::uint8_t>(compression::CodecId::kLossless))) {
    // An encoded ring segment (--sync-codec): bytes, checked by the ring's codec.
    const wire::PayloadInfo& info = envelope.payloads[0];
    if (info.dtype != runtime::DType::kUInt8 || info.numel != message.frames[1].bytes ||
        info.numel > 2 * state_.numel() * sizeof(float) + (1U << 20)) {
      drop("bad_payload",
           who,
           fmt::format(
               "LHC ring chunk of {} bytes in a frame of {}", info.numel, message.frames[1].bytes),
           now);
      return;
    }
    encoded.resize(info.numel);
    std::memcpy(encoded.data(), message.frames[1].data, info.numel);
    metrics_.counter("bytes_received_total{kind=\"sync\"}").add(message.frames[1].bytes);
  } else if (wantsFloats) {
    const wire::PayloadInfo& info = envelope.payloads[0];
    if (info.dtype != runtime::DType::kFloat32 || info.numel > state_.numel() ||
        info.codec != static_cast<std::uint8_t>(compression::CodecId::kRaw) ||
        message.frames[1].bytes != info.numel * sizeof(float)) {
      drop("bad_payload",
           who,
           fmt::format("{} payload of {} elements in {} bytes",
                       wire::messageTypeName(envelope.type),
                       info.numel,
                       message.frames[1].bytes),
           now);
      return;
    }
    floats.resize(info.numel);  // copied: the frame may sit at any alignment
    std::memcpy(floats.data(), message.frames[1].data, message.frames[1].bytes);
    metrics_.counter("bytes_received_total{kind=\"sync\"}").add(message.frames[1].bytes);
  }
  metrics_.counter("bytes_received_total{kind=\"control\"}").add(message.frames[0].bytes);
  const runtime::PeerId from = *known;
  const bool probe = envelope.type == MessageType::kPing || envelope.type == MessageType::kAck ||
                     envelope.type == MessageType::kPingReq;
  std::optional<runtime::PeerId> target = idOf(envelope.target);
  if (probe && !target) {
    drop("malformed", who, "probe about unknown member " + envelope.target.substr(0, 32), now);
    return;
  }
  membership_.heard(from, envelope.incarnation, now);
  stepOf_[from.value] = envelope.step;
  if (!envelope.control.empty()) {
    controlOf_[from.value] = envelope.control;
  }
  membership_.apply(from, fromWire(envelope.updates), now);
  globalSync_->noteEpoch(envelope.epoch);
  std::vector<gossip::ProbeMessage> replies;
  switch (envelope.type) {
    case MessageType::kFdaState:
    case MessageType::kSyncPropose:
    case MessageType::kRingChunk:
      handleSync(from, envelope, std::move(floats), std::move(encoded), now);
      return;
    case MessageType::kHello:
    case MessageType::kLeave:
      return;  // their news rode in the envelope
    case MessageType::kPing:
      replies = membership_.onPing(from, envelope.seq, now);
      break;
    case MessageType::kAck:
      replies = membership_.onAck(from, envelope.seq, now);
      break;
    case MessageType::kPingReq:
      replies = membership_.onPingReq(from, envelope.seq, *target, now);
      break;
    case MessageType::kDone:
      doneFrom_[from.value] = true;
      globalSync_->noteDone(from, true);
      return;
    case MessageType::kFinal:
      doneFrom_[from.value] = true;
      globalSync_->noteDone(from, true);
      if (average_) {
        if (!average_->contribute(from, model)) {
          drop("unexpected_final", who, "final model not expected from this peer", now);
        }
      } else {
        earlyFinals_.insert_or_assign(from.value, model);
      }
      return;
    default:
      handleExchange(from, envelope, wantsModel ? &model : nullptr, now);
  }
  for (const gossip::ProbeMessage& reply : replies) {
    sendProbe(reply);
  }
}

void Peer::handleExchange(runtime::PeerId from,
                          const wire::Envelope& envelope,
                          const runtime::Blob* payload,
                          runtime::TimePoint now) {
  if (envelope.type == MessageType::kPropose &&
      (closed_ || average_ || globalSync_->holdsGossip() ||
       envelope.epoch != globalSync_->epoch())) {
    // Our final model is taken (or already the average), or a global sync is under way or
    // between us: the model must not move through gossip now.
    sendMessage(from, MessageType::kBusy, envelope.seq, {});
    return;
  }
  if ((envelope.type == MessageType::kAccept || envelope.type == MessageType::kParams) &&
      fsm_.partner() == from && ownSnapshot_ && envelope.epoch != ownSnapshotEpoch_) {
    // The two snapshots straddle a global sync: their difference would undo it. Neither side
    // applies (the partner's wait ends at its deadline).
    metrics_.counter("exchanges_across_syncs_total").add();
    if (std::optional<gossip::ExchangeOutcome> outcome =
            fsm_.abort(now, gossip::ExchangeResult::kAborted)) {
      recordOutcome(*outcome, now);
    }
    return;
  }
  if (envelope.type == MessageType::kPropose || envelope.type == MessageType::kAccept) {
    partnerHeldSeq_ = envelope.lbgm.heldSeq;  // what our reply's publish must build on
  }
  gossip::ExchangeStep step =
      fsm_.onMessage(from, toExchangeMessage(envelope.type), envelope.seq, now);
  if (step.ignored) {
    metrics_.counter("messages_stale_total").add();
    MURMUR_LOG(kDebug,
               "gossip",
               "stale {} seq {} from {}",
               wire::messageTypeName(envelope.type),
               envelope.seq,
               nameOf(from));
  }
  processStep(step, payload, now);
}

void Peer::processStep(const gossip::ExchangeStep& step,
                       const runtime::Blob* received,
                       runtime::TimePoint now) {
  bool refused = false;
  for (const gossip::Outgoing& out : step.send) {
    std::vector<runtime::Blob> payloads;
    wire::Envelope envelope;
    envelope.type = toWireType(out.type);
    envelope.seq = out.seq;
    if (out.withSnapshot) {
      if (!ownSnapshot_) {
        ownSnapshot_ = state_.snapshot(now);
        ownSnapshotEpoch_ = globalSync_->epoch();
      }
      EncodedSnapshot encoded = codec_->encode(out.to, partnerHeldSeq_, ownSnapshot_);
      payloads.push_back(std::move(encoded.payload));
      envelope.payloads.push_back(encoded.info);
      envelope.lbgm = std::move(encoded.lbgm);
      ownView_ = std::move(encoded.selfView);
    } else if (out.type == gossip::ExchangeMessage::kPropose &&
               codec_->codec() == compression::CodecId::kLbgm) {
      envelope.lbgm.present = true;
      envelope.lbgm.heldSeq = codec_->heldSeq(out.to);
    }
    bool handshake = out.type != gossip::ExchangeMessage::kBusy;
    if (!sendEnvelope(out.to, envelope, payloads) && handshake) {
      refused = true;  // the connection to that peer is down (or not up yet)
    }
  }
  std::optional<gossip::ExchangeOutcome> outcome = step.finished;
  if (refused) {
    if (outcome) {
      // Our PARAMS never left: the partner will apply nothing, so neither may we.
      outcome->result = gossip::ExchangeResult::kUnreachable;
    } else {
      // Our PROPOSE or ACCEPT never left: end the exchange now, not at its deadline.
      outcome = fsm_.abort(now);
    }
  } else if (step.applyReceived) {
    MURMUR_CHECK(received != nullptr && ownView_ != nullptr, "apply without snapshots");
    runtime::Blob partner = *received;
    codec_->consensusViews(partner, ownView_);
    state_.submitExchange(now, partner, ownView_);
  }
  if (outcome) {
    recordOutcome(*outcome, now);
  }
}

void Peer::recordOutcome(const gossip::ExchangeOutcome& outcome, runtime::TimePoint now) {
  metrics_.counter(fmt::format("exchanges_total{{result=\"{}\"}}", resultName(outcome.result)))
      .add();
  if (outcome.result == gossip::ExchangeResult::kApplied) {
    budget_.spend();
    if (outcome.initiated) {
      metrics_.counter("exchanges_initiated_total").add();
      metrics_.gauge("exchange_seconds_last").set(runtime::toSeconds(now - exchangeStart_));
      metrics_.counter("exchange_microseconds_total")
          .add(static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(now - exchangeStart_).count()));
    }
    if (options_.board != nullptr) {
      options_.board->postExchange(nameOf(outcome.peer), now);
    }
    MURMUR_LOG(kDebug, "gossip", "exchange {} with {} applied", outcome.seq, nameOf(outcome.peer));
  } else if (outcome.result == gossip::ExchangeResult::kTimedOut) {
    membership_.probeSoon(outcome.peer);  // a crash is confirmed by SWIM, not guessed here
    warnOncePer(
        "gossip",
        "timeout:" + nameOf(outcome.peer),
        now,
        fmt::format(
            "exchange {} with {} timed out; nothing applied", outcome.seq, nameOf(outcome.peer)));
  } else if (outcome.result == gossip::ExchangeResult::kUnreachable) {
    warnOncePer("gossip",
                "unreachable:" + nameOf(outcome.peer),
                now,
                fmt::format("exchange {} with {} abandoned: our message could not be sent",
                            outcome.seq,
                            nameOf(outcome.peer)));
  }
  ownSnapshot_.reset();
  ownView_.reset();
}

void Peer::warnOncePer(const char* subsystem,
                       const std::string& key,
                       runtime::TimePoint now,
                       const std::string& text) {
  auto it = lastWarning_.find(key);
  if (it == lastWarning_.end() || now - it->second > kWarningInterval) {
    lastWarning_[key] = now;
    MURMUR_LOG(kWarn, subsystem, "{}", text);
  }
}

void Peer::advanceFinal(runtime::TimePoint now) {
  if (now - finishedAt_ > options_.finalTimeout) {
    FinalResult result;
    result.problem = "the end-of-run average did not complete within the final timeout";
    if (average_) {
      for (runtime::PeerId id : average_->missing()) {
        result.problem += "; no final model from " + nameOf(id);
      }
    }
    completeFinal(std::move(result));
    return;
  }
  if (!average_) {
    if (fsm_.partner() != std::nullopt || globalSync_->active()) {
      return;  // an exchange we answered, or a sync we take part in, is still in flight
    }
    std::vector<runtime::PeerId> members{options_.self};
    for (std::uint32_t j = 0; j < peers_.size(); ++j) {
      runtime::PeerId id{j};
      if (id == options_.self || membership_.gone(id)) {
        continue;
      }
      if (!doneFrom_[j]) {
        return;  // someone alive is still training
      }
      members.push_back(id);
    }
    average_ = std::make_unique<sync::ExactAverage>(members, state_.numel());
    finalSnapshot_ = state_.pool().acquire();
    state_.copyParameters(now, finalSnapshot_->data());
    conservedMoment_ = state_.conservedMoment();
    average_->contribute(options_.self, runtime::floatBlob(finalSnapshot_));
    for (runtime::PeerId id : members) {
      if (id != options_.self) {
        finalUnsent_.push_back(id);
      }
    }
    for (auto& [id, blob] : earlyFinals_) {
      average_->contribute(runtime::PeerId{id}, blob);
    }
    earlyFinals_.clear();
    MURMUR_LOG(kInfo, "peer", "everyone is done: averaging exactly over {} peers", members.size());
  }
  // Sends are refused while a connection is down: retry on every tick until each member has it.
  std::vector<runtime::PeerId> stillUnsent;
  for (runtime::PeerId id : finalUnsent_) {
    if (!membership_.gone(id) &&
        !sendMessage(id, MessageType::kFinal, 0, {runtime::floatBlob(finalSnapshot_)})) {
      stillUnsent.push_back(id);
    }
  }
  finalUnsent_ = std::move(stillUnsent);
  for (runtime::PeerId id : average_->missing()) {
    if (membership_.gone(id)) {
      MURMUR_LOG(kWarn,
                 "peer",
                 "{} is {} without having sent its final model; averaging without it",
                 nameOf(id),
                 gossip::memberStateName(membership_.state(id)));
      average_->excuse(id);
    }
  }
  if (!average_->complete()) {
    return;
  }
  FinalResult result;
  std::vector<float> mean(state_.numel());
  average_->average(mean.data());
  result.consensusDistance = average_->consensusDistance();
  result.conservedMoment = conservedMoment_;
  state_.replaceParameters(mean.data());
  result.averaged = true;
  for (runtime::PeerId id : average_->contributors()) {
    result.members.push_back(nameOf(id));
  }
  std::sort(result.members.begin(), result.members.end());  // local ids differ between peers
  completeFinal(std::move(result));
}

void Peer::completeFinal(FinalResult result) {
  closed_ = true;
  if (result.averaged) {
    MURMUR_LOG(kInfo,
               "peer",
               "exact average over {} peers done (consensus distance before: {:.3g})",
               result.members.size(),
               result.consensusDistance);
  } else {
    MURMUR_LOG(kWarn, "peer", "{}", result.problem);
  }
  {
    std::lock_guard<std::mutex> lock(finalMu_);
    final_ = std::move(result);
  }
  finalReady_.notify_all();
}

bool Peer::sendMessage(runtime::PeerId to,
                       MessageType type,
                       runtime::Seq seq,
                       const std::vector<runtime::Blob>& payloads,
                       std::optional<runtime::PeerId> target) {
  wire::Envelope envelope;
  envelope.type = type;
  envelope.seq = seq;
  if (target) {
    envelope.target = nameOf(*target);
  }
  return sendEnvelope(to, envelope, payloads);
}

bool Peer::sendEnvelope(runtime::PeerId to,
                        wire::Envelope& envelope,
                        const std::vector<runtime::Blob>& payloads) {
  const MessageType type = envelope.type;
  envelope.receiverName = nameOf(to);
  envelope.incarnation = membership_.incarnation();
  const std::vector<gossip::MemberUpdate> updates = membership_.piggyback(to, kPiggybackUpdates);
  envelope.updates = toWire(updates);
  envelope.runHash = options_.runHash;
  envelope.step = localStep_.load(std::memory_order_relaxed);
  envelope.senderName = nameOf(options_.self);
  envelope.epoch = type == MessageType::kAccept || type == MessageType::kParams
                       ? ownSnapshotEpoch_
                       : globalSync_->epoch();
  if (type == MessageType::kHello || type == MessageType::kPing || type == MessageType::kAck ||
      type == MessageType::kPingReq) {
    envelope.control = options_.control;
    envelope.address = peers_[options_.self.value].address;
  }
  // Encoded payloads come with their directory entries; plain ones are described here (raw).
  MURMUR_CHECK(envelope.payloads.empty() || envelope.payloads.size() == payloads.size(),
               "payload directory does not match the payloads");
  const bool described = !envelope.payloads.empty();
  std::uint64_t payloadBytes = 0;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    if (!described) {
      wire::PayloadInfo info;
      info.dtype = payloads[i].dtype;
      info.numel = payloads[i].numel();
      info.codec = static_cast<std::uint8_t>(compression::CodecId::kRaw);
      envelope.payloads.push_back(info);
    }
    envelope.payloads[i].frame = static_cast<std::uint32_t>(i + 1);
    payloadBytes += payloads[i].bytes;
  }
  std::vector<std::byte> head = wire::encodeEnvelope(envelope);
  if (!transport_.send(to.value, head, payloads)) {
    membership_.notSent(updates);
    metrics_.counter("sends_refused_total").add();
    return false;
  }
  reached_[to.value] = true;
  // Bytes by kind: FDA's states are what FDA costs between syncs; a sync's ring moves models.
  const bool state = type == MessageType::kFdaState;
  metrics_
      .counter(state ? "bytes_sent_total{kind=\"sync_state\"}"
                     : "bytes_sent_total{kind=\"control\"}")
      .add(head.size());
  if (payloadBytes > 0) {
    const char* kind = "bytes_sent_total{kind=\"model\"}";
    if (type == MessageType::kFinal) {
      kind = "bytes_sent_total{kind=\"final\"}";
    } else if (type == MessageType::kRingChunk) {
      kind = "bytes_sent_total{kind=\"sync_model\"}";
    } else if (state) {
      kind = "bytes_sent_total{kind=\"sync_sketch\"}";  // SketchFDA's sketch
    }
    metrics_.counter(kind).add(payloadBytes);
  }
  return true;
}

std::vector<runtime::PeerId> Peer::syncMembers() const {
  std::vector<runtime::PeerId> out;
  for (const gossip::MemberView& m : membership_.members()) {
    if (m.id != options_.self && !doneFrom_[m.id.value] &&
        (m.state == gossip::MemberState::kAlive || m.state == gossip::MemberState::kSuspect)) {
      out.push_back(m.id);
    }
  }
  return out;
}

void Peer::sendSync(const std::vector<SyncSend>& sends) {
  for (const SyncSend& send : sends) {
    wire::Envelope envelope;
    std::vector<runtime::Blob> payloads;
    std::shared_ptr<std::vector<float>> floats;
    switch (send.kind) {
      case SyncSend::Kind::kState:
        envelope.type = MessageType::kFdaState;
        envelope.fda.variant = static_cast<std::uint8_t>(options_.sync.variant);
        envelope.fda.a = send.state->a;
        envelope.fda.b = send.state->b;
        envelope.fda.theta = send.theta;
        if (!send.state->sketch.empty()) {
          // float32 on the wire (specs/fda.md §4.5); the sum over the swarm runs in double.
          floats = std::make_shared<std::vector<float>>(send.state->sketch.begin(),
                                                        send.state->sketch.end());
        }
        break;
      case SyncSend::Kind::kNotice:
        envelope.type = MessageType::kSyncPropose;
        envelope.sync.epoch = send.proposal.epoch;
        envelope.sync.synced = true;
        break;
      case SyncSend::Kind::kProposal:
        envelope.type = MessageType::kSyncPropose;
        envelope.sync.epoch = send.proposal.epoch;
        envelope.sync.attempt = send.proposal.attempt;
        for (runtime::PeerId id : send.proposal.view) {
          envelope.sync.view.push_back(nameOf(id));
        }
        break;
      case SyncSend::Kind::kChunk:
        envelope.type = MessageType::kRingChunk;
        envelope.sync.epoch = send.chunk.epoch;
        envelope.sync.attempt = send.chunk.attempt;
        envelope.sync.viewDigest = send.chunk.view;
        envelope.sync.phase = static_cast<std::uint8_t>(send.chunk.phase);
        envelope.sync.ringStep = send.chunk.step;
        envelope.sync.segment = send.chunk.segment;
        if (!send.chunk.encoded.empty()) {
          auto bytes = std::make_shared<std::vector<std::byte>>(send.chunk.encoded);
          runtime::Blob blob;
          blob.data = bytes->data();
          blob.bytes = bytes->size();
          blob.dtype = runtime::DType::kUInt8;
          blob.keepAlive = bytes;
          payloads.push_back(std::move(blob));
          wire::PayloadInfo info;
          info.dtype = runtime::DType::kUInt8;
          info.numel = bytes->size();
          info.codec = static_cast<std::uint8_t>(options_.sync.ringCodec);
          envelope.payloads.push_back(info);
        } else {
          floats = std::make_shared<std::vector<float>>(send.chunk.data);
        }
        break;
    }
    if (floats) {
      runtime::Blob blob;
      blob.data = reinterpret_cast<const std::byte*>(floats->data());
      blob.bytes = floats->size() * sizeof(float);
      blob.dtype = runtime::DType::kFloat32;
      blob.keepAlive = floats;
      payloads.push_back(std::move(blob));
    }
    // A refused send (the connection is not up yet, or down): a state is superseded by the next
    // and a lost proposal only makes the agreement wait its window, but the ring needs every
    // chunk: those are sent again on the next ticks while their ring runs.
    if (!sendEnvelope(send.to, envelope, payloads) && send.kind == SyncSend::Kind::kChunk) {
      unsentChunks_.push_back(send);
    }
  }
}

void Peer::handleSync(runtime::PeerId from,
                      const wire::Envelope& envelope,
                      std::vector<float> data,
                      std::vector<std::byte> encoded,
                      runtime::TimePoint now) {
  if (doneAnnounced_ && envelope.type != MessageType::kRingChunk) {
    metrics_.counter("sync_messages_dropped_total{reason=\"after_done\"}").add();
    return;  // we no longer train: the others sync without us
  }
  std::vector<SyncSend> sends;
  switch (envelope.type) {
    case MessageType::kFdaState: {
      sync::FdaState state;
      state.a = envelope.fda.a;
      state.b = envelope.fda.b;
      state.sketch.assign(data.begin(), data.end());
      if (envelope.fda.variant != static_cast<std::uint8_t>(options_.sync.variant)) {
        drop("bad_sync", nameOf(from), "an FDA state of another variant", now);
        return;
      }
      globalSync_->onState(
          from, envelope.epoch, envelope.step, std::move(state), envelope.fda.theta, now);
      return;
    }
    case MessageType::kSyncPropose: {
      if (envelope.sync.synced) {
        globalSync_->onSyncedNotice(from, envelope.sync.epoch, now);
        return;
      }
      sync::SyncProposal proposal{envelope.sync.epoch, envelope.sync.attempt, {}};
      for (const std::string& name : envelope.sync.view) {
        if (std::optional<runtime::PeerId> id = idOf(name)) {
          proposal.view.push_back(*id);
        }
      }
      std::sort(proposal.view.begin(), proposal.view.end());
      proposal.view.erase(std::unique(proposal.view.begin(), proposal.view.end()),
                          proposal.view.end());
      globalSync_->onProposal(from, proposal, now, sends);
      break;
    }
    default: {
      sync::RingChunk chunk;
      chunk.epoch = envelope.sync.epoch;
      chunk.attempt = envelope.sync.attempt;
      chunk.view = envelope.sync.viewDigest;
      chunk.phase = static_cast<sync::RingPhase>(envelope.sync.phase);
      chunk.step = envelope.sync.ringStep;
      chunk.segment = envelope.sync.segment;
      chunk.data = std::move(data);
      chunk.encoded = std::move(encoded);
      globalSync_->onChunk(from, std::move(chunk), now, sends);
      break;
    }
  }
  sendSync(sends);
}

void Peer::drop(const std::string& reason,
                const std::string& who,
                const std::string& detail,
                runtime::TimePoint now) {
  metrics_.counter("messages_dropped_total{reason=\"" + reason + "\"}").add();
  warnOncePer("peer",
              reason + ":" + who,
              now,
              fmt::format("dropped a message from {} ({}): {}", who, reason, detail));
}

}  // namespace murmur::peer
