#include "peer/global_sync.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "peer/lhc_ring_codec.h"
#include "peer/lossless_ring_codec.h"
#include "runtime/log.h"
#include "runtime/rng.h"

namespace murmur::peer {
namespace {

constexpr std::size_t kMaxEarlyChunks = 256;
constexpr runtime::Duration kAgreementPoll = std::chrono::milliseconds(5);
// Members that never show up do not hold syncs back for longer than this.
constexpr runtime::Duration kSettleTimeout = std::chrono::seconds(10);
// Views that disagree make both sides retry: at most one retry per this, or they would chase
// each other's attempts.
constexpr runtime::Duration kRetryInterval = std::chrono::milliseconds(50);

}  // namespace

const char* syncModeName(SyncMode mode) {
  switch (mode) {
    case SyncMode::kNone:
      return "none";
    case SyncMode::kFda:
      return "fda";
    case SyncMode::kEveryStep:
      return "every-step";
    case SyncMode::kPeriodic:
      return "periodic";
  }
  return "?";
}

std::optional<SyncMode> parseSyncMode(const std::string& name) {
  for (SyncMode mode :
       {SyncMode::kNone, SyncMode::kFda, SyncMode::kEveryStep, SyncMode::kPeriodic}) {
    if (name == syncModeName(mode)) {
      return mode;
    }
  }
  return std::nullopt;
}

GlobalSync::GlobalSync(GlobalSyncOptions options,
                       runtime::PeerId self,
                       sync::FdaThreshold threshold,
                       SharedModelState& state,
                       SyncMailbox& mailbox,
                       runtime::MetricsRegistry& metrics,
                       std::function<std::string(runtime::PeerId)> nameOf)
    : options_(options),
      self_(self),
      threshold_(threshold),
      state_(state),
      mailbox_(mailbox),
      metrics_(metrics),
      nameOf_(std::move(nameOf)),
      agreement_(self, 0, options.collectWindow),
      table_(self) {}

void GlobalSync::noteEpoch(std::uint64_t epoch) {
  highestSeen_ = std::max(highestSeen_, epoch);
}

void GlobalSync::dropped(const char* reason) {
  metrics_.counter(fmt::format("sync_messages_dropped_total{{reason=\"{}\"}}", reason)).add();
  MURMUR_LOG(kDebug, "sync", "dropped a sync message: {} (epoch {})", reason, epoch_);
}

void GlobalSync::onState(runtime::PeerId from,
                         std::uint64_t epoch,
                         std::uint64_t step,
                         sync::FdaState state,
                         double theta,
                         runtime::TimePoint /*now*/) {
  if (options_.mode != SyncMode::kFda) {
    dropped("unexpected_state");
    return;
  }
  if (epoch < epoch_) {
    dropped("old_epoch");  // it has not installed the last sync yet: its drift is from before
    return;
  }
  const std::size_t cells = options_.variant == sync::FdaVariant::kSketch
                                ? std::size_t{options_.sketch.depth} * options_.sketch.width
                                : 0;
  if (state.sketch.size() != cells || !std::isfinite(state.a) || !std::isfinite(state.b) ||
      !(theta > 0) || !std::isfinite(theta)) {
    dropped("malformed_state");
    return;
  }
  table_.merge(from, sync::StateEntry{epoch, step, std::move(state), theta});
}

void GlobalSync::spread(const sync::SyncProposal& proposal, std::vector<SyncSend>& out) const {
  for (runtime::PeerId id : proposal.view) {
    if (id != self_) {
      SyncSend send;
      send.kind = SyncSend::Kind::kProposal;
      send.to = id;
      send.proposal = proposal;
      out.push_back(std::move(send));
    }
  }
}

void GlobalSync::onProposal(runtime::PeerId from,
                            const sync::SyncProposal& proposal,
                            runtime::TimePoint now,
                            std::vector<SyncSend>& out) {
  if (!enabled()) {
    dropped("sync_off");
    return;
  }
  // The sync after the one we are in: a faster member finished ours and asks for the next.
  // It waits until ours is done (taking it now would abandon our ring half-way).
  const std::uint64_t current =
      ring_ ? ring_->epoch() : (agreement_.pending() ? agreement_.pending()->epoch : 0);
  if (current != 0 && proposal.epoch == current + 1) {
    if (deferred_.size() < kMaxEarlyChunks) {
      deferred_.push_back(Deferred{from, proposal});
    }
    return;
  }
  sync::ProposalVerdict verdict = agreement_.onProposal(from, proposal, now);
  if (verdict == sync::ProposalVerdict::kAhead) {
    // The swarm synced without us: take part in its next sync as if we had been there (our
    // reference is replaced by that sync's average).
    noteEpoch(proposal.epoch - 1);
    ring_.reset();
    agreement_ = sync::SyncAgreement(self_, proposal.epoch - 1, options_.collectWindow);
    verdict = agreement_.onProposal(from, proposal, now);
    MURMUR_LOG(kWarn,
               "sync",
               "{} proposes epoch {}, we are at {}: joining it to catch up",
               nameOf_(from),
               proposal.epoch,
               epoch_);
  }
  switch (verdict) {
    case sync::ProposalVerdict::kStale:
      dropped("stale_proposal");
      if (proposal.epoch <= epoch_) {
        notice(from, out);  // it waits for a sync that happened without it
      }
      return;
    case sync::ProposalVerdict::kAhead:
      return;
    case sync::ProposalVerdict::kKnown:
      if (agreement_.pending() && proposal.attempt < agreement_.pending()->attempt) {
        SyncSend send;  // it missed the retry: tell it
        send.kind = SyncSend::Kind::kProposal;
        send.to = from;
        send.proposal = *agreement_.pending();
        out.push_back(std::move(send));
      }
      return;
    case sync::ProposalVerdict::kMerged:
      if (ring_ && agreement_.pending()->attempt != ring_->attempt()) {
        ring_.reset();  // someone retried: the ring restarts over the new view
      }
      spread(*agreement_.pending(), out);
      return;
  }
}

void GlobalSync::onChunk(runtime::PeerId from,
                         sync::RingChunk chunk,
                         runtime::TimePoint now,
                         std::vector<SyncSend>& out) {
  if (!enabled()) {
    dropped("sync_off");
    return;
  }
  for (float v : chunk.data) {
    if (!std::isfinite(v)) {
      dropped("non_finite");
      return;
    }
  }
  if (ring_ && chunk.epoch == ring_->epoch() && chunk.attempt == ring_->attempt()) {
    feed(from, std::move(chunk), now, out);
    return;
  }
  if (chunk.epoch > epoch_ && early_.size() < kMaxEarlyChunks) {
    early_.push_back(Buffered{from, std::move(chunk)});  // a ring we have not started yet
    return;
  }
  dropped("stale_chunk");
  if (chunk.epoch <= epoch_) {
    notice(from, out);
  }
}

void GlobalSync::notice(runtime::PeerId to, std::vector<SyncSend>& out) {
  auto [it, fresh] = noticed_.try_emplace(to.value, epoch_);
  if (!fresh && it->second >= epoch_) {
    return;
  }
  it->second = epoch_;
  SyncSend send;
  send.kind = SyncSend::Kind::kNotice;
  send.to = to;
  send.proposal.epoch = epoch_;
  out.push_back(std::move(send));
}

void GlobalSync::onSyncedNotice(runtime::PeerId from,
                                std::uint64_t epoch,
                                runtime::TimePoint /*now*/) {
  if (!enabled()) {
    dropped("sync_off");
    return;
  }
  noteEpoch(epoch);
  const std::uint64_t current =
      ring_ ? ring_->epoch() : (agreement_.pending() ? agreement_.pending()->epoch : 0);
  if (current == 0 || epoch < current) {
    return;  // nothing of ours is obsolete
  }
  // The others synced this epoch without us: our sync of it can never complete. Give it up and
  // join their next one (its average replaces our reference).
  MURMUR_LOG(kWarn,
             "sync",
             "{} synced epoch {} without us (we were at {}): joining the next sync",
             nameOf_(from),
             epoch,
             epoch_);
  metrics_.counter("sync_catch_ups_total").add();
  ring_.reset();
  agreement_ = sync::SyncAgreement(self_, epoch, options_.collectWindow);
}

void GlobalSync::feed(runtime::PeerId from,
                      sync::RingChunk chunk,
                      runtime::TimePoint now,
                      std::vector<SyncSend>& out) {
  auto rank = idToRank_.find(from.value);
  if (rank == idToRank_.end()) {
    dropped("not_in_view");
    return;
  }
  std::vector<sync::OutgoingChunk> next;
  switch (ring_->onChunk(runtime::PeerId{rank->second}, chunk, next)) {
    case sync::ChunkVerdict::kAccepted:
    case sync::ChunkVerdict::kHeld:
      lastProgress_ = now;
      break;
    case sync::ChunkVerdict::kOtherView:
      dropped("other_view");
      if (now - lastRetry_ >= kRetryInterval) {
        retry(now, live_, "a member built its ring on another view", out);
      }
      return;
    case sync::ChunkVerdict::kWrongRound:
      dropped("wrong_round");
      return;
    case sync::ChunkVerdict::kNotFromPredecessor:
      dropped("not_predecessor");
      return;
    case sync::ChunkVerdict::kMalformed:
      dropped("malformed_chunk");
      return;
    case sync::ChunkVerdict::kCodecFailed:
      codecFailed(now, out);
      return;
  }
  emit(next, out);
  if (ring_->done()) {
    finishRing(now);
  }
}

void GlobalSync::emit(std::vector<sync::OutgoingChunk>& chunks, std::vector<SyncSend>& out) const {
  for (sync::OutgoingChunk& c : chunks) {
    SyncSend send;
    send.kind = SyncSend::Kind::kChunk;
    send.to = rankToId_[c.to.value];
    send.chunk = std::move(c.chunk);
    out.push_back(std::move(send));
  }
}

void GlobalSync::propose(runtime::TimePoint now,
                         const std::vector<runtime::PeerId>& live,
                         std::vector<SyncSend>& out) {
  if (highestSeen_ > agreement_.epoch() && !agreement_.pending()) {
    agreement_ = sync::SyncAgreement(self_, highestSeen_, options_.collectWindow);
  }
  if (std::optional<sync::SyncProposal> proposal = agreement_.propose(live, now)) {
    spread(*proposal, out);
  }
}

void GlobalSync::startRing(const sync::SyncProposal& agreed,
                           runtime::TimePoint now,
                           std::vector<SyncSend>& out) {
  // Local ids differ between peers (joiners): the ring is ordered by name, the same everywhere.
  std::vector<std::pair<std::string, runtime::PeerId>> members;
  for (runtime::PeerId id : agreed.view) {
    members.emplace_back(nameOf_(id), id);
  }
  std::sort(members.begin(), members.end());
  rankToId_.clear();
  idToRank_.clear();
  std::vector<runtime::PeerId> ranks;
  std::string names;
  runtime::PeerId selfRank;
  for (const auto& [name, id] : members) {
    const auto rank = static_cast<std::uint32_t>(rankToId_.size());
    if (id == self_) {
      selfRank = runtime::PeerId{rank};
    }
    idToRank_[id.value] = rank;
    rankToId_.push_back(id);
    ranks.push_back(runtime::PeerId{rank});
    names += name;
    names.push_back('\n');
  }
  if (!contributed_) {
    std::shared_ptr<BufferPool::Buffer> snapshot = state_.snapshot(now);
    contributed_ =
        std::make_shared<std::vector<float>>(snapshot->data(), snapshot->data() + snapshot->size());
  }
  // A ring codec only on a first attempt (and LHC only from the reference every member holds): a
  // retry, for whatever reason, goes raw, so members that disagreed end up on the same ring.
  std::unique_ptr<sync::RingSegmentCodec> codec;
  if (agreed.attempt == 0 && options_.ringCodec == compression::CodecId::kLossless) {
    codec = std::make_unique<LosslessRingCodec>();
  } else if (agreed.attempt == 0 && options_.ringCodec == compression::CodecId::kLhc &&
             reference_ && referenceEpoch_ + 1 == agreed.epoch &&
             reference_->size() == contributed_->size()) {
    codec = std::make_unique<LhcRingCodec>(
        reference_, selfRank.value, options_.runSeed, options_.lhcCapacity, metrics_);
  }
  const bool encoded = codec != nullptr;
  ring_ = std::make_unique<sync::RingAllReduce>(std::move(ranks),
                                                selfRank,
                                                agreed.epoch,
                                                agreed.attempt,
                                                *contributed_,
                                                runtime::stableHash(names),
                                                std::move(codec));
  lastProgress_ = now;
  estimateAtTrigger_ = estimate_;  // the round's variance as the swarm's table shows it now
  // Lockstep modes sync every few steps: only FDA's rare syncs are worth a line each.
  const runtime::LogLevel level =
      options_.mode == SyncMode::kFda ? runtime::LogLevel::kInfo : runtime::LogLevel::kDebug;
  if (runtime::logEnabled(level, "sync")) {
    runtime::logLine(
        level,
        "sync",
        fmt::format("sync to epoch {} (attempt {}) over {} members{}",
                    agreed.epoch,
                    agreed.attempt,
                    members.size(),
                    options_.mode == SyncMode::kFda
                        ? fmt::format(", estimate {:.4g} (Θ {:.4g}, fires above {:.4g})",
                                      estimateAtTrigger_,
                                      swarmTheta(),
                                      swarmTheta() * (1 - options_.triggerMargin))
                        : ""));
  }
  MURMUR_LOG(
      kDebug, "sync", "ring {}.{}: {} members", agreed.epoch, agreed.attempt, members.size());
  std::vector<sync::OutgoingChunk> first = ring_->start();
  if (ring_->failed()) {
    codecFailed(now, out);
    return;
  }
  if (encoded) {
    metrics_
        .counter(fmt::format("sync_codec_rings_total{{codec=\"{}\"}}",
                             compression::codecName(options_.ringCodec)))
        .add();
  }
  emit(first, out);
  // Chunks that came before we started: feed those of this round, forget older ones.
  std::vector<Buffered> early = std::move(early_);
  early_.clear();
  for (Buffered& b : early) {
    if (!ring_) {
      break;
    }
    if (b.chunk.epoch == agreed.epoch && b.chunk.attempt == agreed.attempt) {
      feed(b.from, std::move(b.chunk), now, out);
    } else if (b.chunk.epoch > agreed.epoch ||
               (b.chunk.epoch == agreed.epoch && b.chunk.attempt > agreed.attempt)) {
      early_.push_back(std::move(b));
    }
  }
  if (ring_ && ring_->done()) {
    finishRing(now);  // alone in the view
  }
}

void GlobalSync::finishRing(runtime::TimePoint now) {
  const std::uint64_t epoch = ring_->epoch();
  const std::size_t members = ring_->view().size();
  auto mean = std::make_shared<const std::vector<float>>(ring_->result());
  state_.submitInstall(now, epoch, mean, contributed_);
  if (options_.ringCodec == compression::CodecId::kLhc) {
    reference_ = mean;  // every member of this sync holds the same bits
    referenceEpoch_ = epoch;
  }
  epoch_ = epoch;
  highestSeen_ = std::max(highestSeen_, epoch);
  agreement_.completed(epoch);
  if (options_.mode == SyncMode::kFda) {
    threshold_.roundEnded(step_ - roundStartStep_, estimateAtTrigger_);
  }
  roundStartStep_ = step_;
  requested_ = false;
  contributed_.reset();
  ring_.reset();
  early_.erase(
      std::remove_if(
          early_.begin(), early_.end(), [&](const Buffered& b) { return b.chunk.epoch <= epoch; }),
      early_.end());
  ++syncs_;
  metrics_.counter("syncs_total", "global syncs completed").add();
  metrics_.gauge("sync_epoch").set(static_cast<double>(epoch));
  metrics_.gauge("sync_members_last").set(static_cast<double>(members));
  mailbox_.synced(epoch);
}

void GlobalSync::codecFailed(runtime::TimePoint now, std::vector<SyncSend>& out) {
  const std::string_view codec = compression::codecName(options_.ringCodec);
  metrics_.counter(fmt::format("sync_codec_fallbacks_total{{codec=\"{}\"}}", codec)).add();
  const std::string why = ring_ ? ring_->codecFailure() : std::string();
  retry(now,
        live_,
        fmt::format("the {} ring codec could not carry it{}, so raw",
                    codec,
                    why.empty() ? "" : " (" + why + ")")
            .c_str(),
        out);
}

void GlobalSync::retry(runtime::TimePoint now,
                       const std::vector<runtime::PeerId>& live,
                       const char* why,
                       std::vector<SyncSend>& out) {
  ring_.reset();
  lastRetry_ = now;
  sync::SyncProposal proposal = agreement_.retry(live, now);
  metrics_.counter("sync_retries_total").add();
  MURMUR_LOG(kWarn,
             "sync",
             "sync to epoch {}: {}; retrying as attempt {} over {} members",
             proposal.epoch,
             why,
             proposal.attempt,
             proposal.view.size());
  spread(proposal, out);
}

void GlobalSync::tick(runtime::TimePoint now,
                      const std::vector<runtime::PeerId>& members,
                      const std::vector<runtime::PeerId>& unheard,
                      std::uint64_t step,
                      std::vector<SyncSend>& out) {
  if (!enabled()) {
    return;
  }
  if (!firstTick_) {
    firstTick_ = now;
  }
  const bool settling = !unheard.empty() && now - *firstTick_ <= kSettleTimeout;
  std::vector<runtime::PeerId> live = members;
  if (settling) {
    live.insert(live.end(), unheard.begin(), unheard.end());
  }
  live_ = live;
  step_ = step;
  if (!ring_ && !deferred_.empty()) {  // our ring is done: the next sync's proposals count now
    std::vector<Deferred> deferred = std::move(deferred_);
    deferred_.clear();
    for (const Deferred& d : deferred) {
      onProposal(d.from, d.proposal, now, out);
    }
  }
  if (std::optional<SyncMailbox::PostedState> posted = mailbox_.takeState();
      posted && posted->epoch == epoch_ && options_.mode == SyncMode::kFda) {
    table_.setOwn(sync::StateEntry{posted->epoch, posted->step, posted->state, threshold_.theta()});
    ownState_ = std::make_shared<const sync::FdaState>(std::move(posted->state));
    ownStep_ = posted->step;
  }
  if (std::optional<std::uint64_t> request = mailbox_.takeRequest()) {
    if (*request < epoch_) {
      mailbox_.synced(epoch_);  // that sync already happened; the compute thread missed it
    } else {
      requested_ = true;
    }
  }
  if (ownState_) {
    for (runtime::PeerId id : live) {
      SyncSend send;
      send.kind = SyncSend::Kind::kState;
      send.to = id;
      send.step = ownStep_;
      send.state = ownState_;
      send.theta = threshold_.theta();
      out.push_back(std::move(send));
    }
    ownState_.reset();
  }
  // Members that failed, left or finished drop out of the estimate (specs/fda.md §4.3 step 6).
  std::vector<runtime::PeerId> gone;
  for (const auto& [id, entry] : table_.entries()) {
    if (id != self_ && std::find(live.begin(), live.end(), id) == live.end()) {
      gone.push_back(id);
    }
  }
  for (runtime::PeerId id : gone) {
    table_.remove(id);
  }
  const bool installing = state_.installPending();
  if (!active() && !installing) {
    bool trigger = requested_ || (highestSeen_ > epoch_ && !trainingEnded_);
    if (options_.mode == SyncMode::kFda && !trainingEnded_) {
      std::size_t counted = 0;
      std::optional<sync::FdaState> mean = table_.mean(epoch_, &counted);
      // One model has no variance: FDA needs the states of at least two members.
      if (mean && counted >= 2) {
        estimate_ = sync::estimateVariance(options_.variant, *mean, options_.sketch);
        const double theta = swarmTheta();
        metrics_.gauge("fda_estimate").set(estimate_);
        metrics_.gauge("fda_theta").set(theta);
        if (sync::staleTableTriggers(estimate_, theta, options_.triggerMargin)) {
          estimateAtTrigger_ = estimate_;
          trigger = true;
        }
      }
    }
    if (trigger && !settling) {
      propose(now, live, out);
    }
  }
  // Lockstep modes: our model joins a sync only at our step boundary (when our compute thread
  // asks), so that every peer contributes after the same number of steps, as all-reduce would.
  const bool atBoundary = options_.mode == SyncMode::kFda || requested_ || trainingEnded_;
  if (agreement_.pending() && !ring_ && !installing && atBoundary) {
    if (std::optional<sync::SyncProposal> agreed = agreement_.ready(live, now)) {
      startRing(*agreed, now, out);
    }
  }
  if (ring_) {
    for (runtime::PeerId id : rankToId_) {
      // A member that said DONE did so after its part of this ring: not a failure.
      if (id != self_ && std::find(live.begin(), live.end(), id) == live.end() &&
          std::find(done_.begin(), done_.end(), id) == done_.end()) {
        retry(now, live, fmt::format("{} is gone", nameOf_(id)).c_str(), out);
        return;
      }
    }
    if (now - lastProgress_ > options_.ringTimeout) {
      retry(now, live, "the ring stalled", out);
    }
  }
}

void GlobalSync::noteDone(runtime::PeerId member, bool done) {
  const auto it = std::find(done_.begin(), done_.end(), member);
  if (done && it == done_.end()) {
    done_.push_back(member);
  } else if (!done && it != done_.end()) {
    done_.erase(it);
  }
}

double GlobalSync::swarmTheta() const {
  const double mean = table_.meanTheta(epoch_);
  return mean > 0 ? mean : threshold_.theta();
}

std::optional<runtime::TimePoint> GlobalSync::deadline(runtime::TimePoint now) const {
  if (ring_) {
    return lastProgress_ + options_.ringTimeout;
  }
  if (agreement_.pending() || requested_) {
    return now + kAgreementPoll;
  }
  return std::nullopt;
}

}  // namespace murmur::peer
