#include "tools/sim/simulation.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <utility>

#include "gossip/exchange_credits.h"
#include "gossip/exchange_fsm.h"
#include "gossip/topology.h"
#include "momentum/acid_constants.h"
#include "momentum/acid_state.h"
#include "runtime/error.h"
#include "runtime/manual_event_loop.h"
#include "sync/fda_estimator.h"
#include "sync/fda_threshold.h"
#include "sync/ring_all_reduce.h"
#include "sync/state_table.h"
#include "sync/sync_agreement.h"
#include "tools/sim/lbgm_edges.h"
#include "tools/sim/snapshot_codec.h"
#include "tools/sim/swim_members.h"

namespace murmur::sim {
namespace {

using runtime::Duration;
using runtime::PeerId;
using runtime::TimePoint;
using Snapshot = std::shared_ptr<const std::vector<double>>;

// A handshake message's envelope on the wire (murmur's Cap'n Proto envelope is about this size).
constexpr std::uint64_t kHeaderBytes = 64;

struct Message {
  std::uint32_t from = 0;
  gossip::ExchangeMessage type = gossip::ExchangeMessage::kPropose;
  runtime::Seq seq = 0;
  Snapshot snapshot;  // ACCEPT and PARAMS (raw codec; under LBGM the receiver's view of it)
  std::shared_ptr<const compression::LbgmMessage> lbgm;  // ACCEPT and PARAMS under LBGM
  SwimNews news;                                         // --membership swim
};

struct SimPeer {
  SimPeer(std::uint32_t id, const SimOptions& o, std::size_t dim)
      : x(dim),
        fsm(PeerId{id}, gossip::ExchangeOptions{}, runtime::Rng(o.seed).fork("fsm").next() + id),
        credits(gossip::CreditOptions{o.rate, 0}),
        rng(runtime::Rng(o.seed + id).fork("peer")) {}

  std::vector<double> x;
  std::unique_ptr<momentum::BasicAcidState<double>> state;  // over x
  gossip::ExchangeFsm fsm;
  gossip::ExchangeCredits credits;
  runtime::Rng rng;
  double speed = 1;  // gradient events per time unit
  bool alive = true;
  bool detectedDead = false;  // --membership oracle: neighbours no longer pick it
  bool leaving = false;       // said LEFT: no steps, no proposals, gone once its exchange ends
  bool computeBlocked = false;
  bool proposeScheduled = false;
  Snapshot ownSnapshot;  // of the exchange in flight
  // Global syncs.
  std::uint64_t steps = 0;
  std::uint64_t roundStart = 0;                    // steps at the last sync
  bool frozen = false;                             // compute waits for a sync to install
  bool gradientHeld = false;                       // a step came due while frozen
  std::vector<double> contributed;                 // x when it froze: what it gives the average
  std::unique_ptr<sync::StateTable> table;         // fda: the states heard
  std::unique_ptr<sync::SyncAgreement> agreement;  // fda: the next sync, as peers agree on it
  std::optional<sync::SyncProposal> agreed;        // fda: the view it is ready to sync over
  bool polling = false;                            // fda: an agreement poll is scheduled
  std::unique_ptr<sync::RingAllReduce> ring;       // the sync's ring, while it runs
};

// An FDA state on the wire: the linear state (a, b), epoch, step and Θ, and the envelope.
constexpr std::uint64_t kStateBytes = kHeaderBytes + 40;

// A sync proposal on the wire: epoch, attempt and the view (a member name of ~8 bytes each).
std::uint64_t proposalBytes(const sync::SyncProposal& p) {
  return kHeaderBytes + 12 + 8 * p.view.size();
}

// `fraction` of the peers, chosen by a seeded shuffle (the same peers for the same seed).
std::vector<bool> chosenPeers(std::uint32_t n, double fraction, runtime::Rng rng) {
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (std::uint32_t i = n; i > 1; --i) {
    std::swap(order[i - 1], order[rng.below(i)]);
  }
  auto count = static_cast<std::uint32_t>(std::lround(fraction * n));
  std::vector<bool> chosen(n, false);
  for (std::uint32_t k = 0; k < count; ++k) {
    chosen[order[k]] = true;
  }
  return chosen;
}

void validate(const SimOptions& o) {
  MURMUR_REQUIRE(o.peers >= 2, "--peers must be at least 2, not ", o.peers);
  MURMUR_REQUIRE(o.rate > 0, "--rate must be positive, not ", o.rate);
  MURMUR_REQUIRE(o.until > 0, "--until must be positive, not ", o.until);
  MURMUR_REQUIRE(o.sampleEvery > 0, "--sample-every must be positive, not ", o.sampleEvery);
  MURMUR_REQUIRE(
      o.burnIn >= 0 && o.burnIn < o.until, "--burn-in must be in [0, --until), not ", o.burnIn);
  MURMUR_REQUIRE(o.stepInterval.count() > 0, "--step-ms must be positive");
  for (auto [name, fraction] : {std::pair{"--stragglers", o.stragglerFraction},
                                std::pair{"--slow-links", o.slowLinkFraction},
                                std::pair{"--crash", o.crashFraction},
                                std::pair{"--leave", o.leaveFraction}}) {
    MURMUR_REQUIRE(fraction >= 0 && fraction <= 1, name, ": the share of peers must be in [0, 1]");
  }
  MURMUR_REQUIRE(o.stragglerSlowdown >= 1, "--stragglers: the slowdown must be at least 1");
  MURMUR_REQUIRE(o.slowLinkFactor >= 1, "--slow-links: the factor must be at least 1");
  MURMUR_REQUIRE(
      o.sync == "none" || o.sync == "every-step" || o.sync == "periodic" || o.sync == "fda",
      "--sync must be none, every-step, periodic or fda, not '",
      o.sync,
      "'");
  MURMUR_REQUIRE(o.syncPeriod >= 1, "--sync-period must be at least 1");
  MURMUR_REQUIRE(o.codec == "raw" || o.codec == "fp16" || o.codec == "bf16" ||
                     o.codec == "lossless" || o.codec == "lbgm",
                 "--codec must be raw, fp16, bf16, lossless or lbgm, not '",
                 o.codec,
                 "'");
  MURMUR_REQUIRE(o.lbgmGamma >= 0 && o.lbgmGamma <= 0.5,
                 "--lbgm-gamma must be in (0, 0.5] (or 0: auto), not ",
                 o.lbgmGamma);
  MURMUR_REQUIRE(o.fdaTheta >= 0, "--fda-theta must be positive (or 0: auto)");
  MURMUR_REQUIRE(o.fdaRoundSteps >= 1, "--fda-round-steps must be at least 1");
  MURMUR_REQUIRE(o.membership == "oracle" || o.membership == "swim",
                 "--membership must be oracle or swim, not '",
                 o.membership,
                 "'");
}

class Simulation {
 public:
  Simulation(const SimOptions& o, SampleObserver observer)
      : o_(o), observer_(std::move(observer)), netRng_(runtime::Rng(o.seed).fork("network")) {
    validate(o);
    WorkloadOptions wo = o.workloadOptions;
    wo.peers = o.peers;
    wo.seed = o.seed;
    workload_ = makeWorkload(o.workload, wo);
    std::vector<std::string> names(o.peers);
    for (std::uint32_t i = 0; i < o.peers; ++i) {
      names[i] = "peer" + std::to_string(i);
    }
    neighbours_ = gossip::makeTopology(o.topology, names);
    momentum::AcidConstants constants = momentum::computeAcidConstants(neighbours_, o.rate);
    params_ = o.momentum ? momentum::AcidParams::from(constants) : momentum::AcidParams::baseline();
    if (o.codec == "lbgm" && o.lbgmTopk > 0) {
      params_ = params_.capped(momentum::kMaxAlphaTildeWithErrorFeedback);  // as real peers do
    }
    modelBytes_ = o.modelBytes > 0 ? o.modelBytes : 4 * workload_->dim();
    if (o.codec == "lbgm") {
      lbgmGamma_ = o.lbgmGamma > 0 ? o.lbgmGamma : o.lbgmTopk > 0 ? 0.25 : 0.5;
      lbgm_ = std::make_unique<LbgmEdges>(workload_->tensorSizes(),
                                          compression::LbgmOptions{o.lbgmDelta, o.lbgmTopk, false});
    } else if (o.codec != "raw") {
      codec_ = std::make_unique<SnapshotCodec>(o.codec);
    }

    const std::uint32_t total = o.peers + o.joiners;
    std::vector<bool> slow = chosenPeers(total, o.stragglerFraction, netRng_.fork("stragglers"));
    std::vector<bool> slowLink = chosenPeers(total, o.slowLinkFraction, netRng_.fork("links"));
    std::vector<double> uplink(total, 1.0);
    for (std::uint32_t i = 0; i < total; ++i) {
      auto p = std::make_unique<SimPeer>(i, o, workload_->dim());
      if (i < o.peers) {
        workload_->initial(i, p->x.data());
      } else {
        p->alive = false;  // not started yet
        p->detectedDead = true;
      }
      p->state =
          std::make_unique<momentum::BasicAcidState<double>>(p->x.data(), p->x.size(), params_);
      p->speed = slow[i] ? 1.0 / o.stragglerSlowdown : 1.0;
      uplink[i] = slowLink[i] ? 1.0 / o.slowLinkFactor : 1.0;
      peers_.push_back(std::move(p));
    }
    network_ = std::make_unique<NetworkModel>(total, o.link, std::move(uplink));
    if (o.membership == "swim") {
      swim_ = std::make_unique<SwimMembers>(
          total, gossip::MembershipOptions{}, o.seed, loop_, *network_, netRng_);
    }
    const std::size_t d = workload_->dim();
    if (o.sync == "fda") {
      estimator_ = std::make_unique<sync::FdaEstimator>(sync::FdaVariant::kLinear, d, o.seed);
      for (std::uint32_t i = 0; i < total; ++i) {
        peers_[i]->table = std::make_unique<sync::StateTable>(PeerId{i});
        peers_[i]->agreement = std::make_unique<sync::SyncAgreement>(PeerId{i}, 0, kCollectWindow);
      }
    }
    threshold_ = o.fdaTheta > 0
                     ? sync::FdaThreshold::fixed(o.fdaTheta)
                     : sync::FdaThreshold::adaptive(d, static_cast<std::uint64_t>(o.fdaRoundSteps));
    // Every peer starts from the same x: the first round's reference.
    referenceFloat_.assign(peers_[0]->x.begin(), peers_[0]->x.end());
    crashing_ = chosenPeers(o.peers, o.crashFraction, netRng_.fork("crashes"));
    leaving_ = chosenPeers(o.peers, o.leaveFraction, netRng_.fork("leaves"));
  }

  SimResult run() {
    if (swim_) {
      swim_->startFounders(o_.peers);
    }
    for (std::uint32_t i = 0; i < o_.peers; ++i) {
      scheduleGradient(i);
      if (crashing_[i]) {
        loop_.runAt(at(o_.crashAt), [this, i] { crash(i); });
      }
      if (leaving_[i]) {
        loop_.runAt(at(o_.leaveAt), [this, i] { leave(i); });
      }
    }
    if (o_.joiners > 0) {
      loop_.runAt(at(o_.joinAt), [this] { join(); });
    }
    for (std::uint64_t k = 0;; ++k) {
      double t = static_cast<double>(k) * o_.sampleEvery;
      if (t >= o_.until) {
        break;
      }
      loop_.runAt(at(t), [this] { sample(); });
    }
    result_.events = loop_.advanceTo(at(o_.until));
    drain();
    sample(/*final=*/true);
    return finish();
  }

 private:
  TimePoint now() const { return loop_.now(); }

  // i's view of j: a fit exchange partner; a member its FDA states still go to.
  bool picks(std::uint32_t i, std::uint32_t j) const {
    return swim_ ? swim_->usable(i, j) : !peers_[j]->detectedDead;
  }

  bool knows(std::uint32_t i, std::uint32_t j) const {
    return swim_ ? !swim_->gone(i, j) : !peers_[j]->detectedDead;
  }

  // The end, as real peers end: no new steps or proposals, but the exchanges in flight complete
  // (or time out), so no exchange is left applied on one side only when the models are read.
  void drain() {
    draining_ = true;
    auto inFlight = [this] {
      return std::any_of(
          peers_.begin(), peers_.end(), [](const auto& p) { return p->alive && !p->fsm.idle(); });
    };
    while (inFlight() && !loop_.idle()) {
      result_.events += loop_.advanceTo(loop_.nextTimer());
    }
  }

  double units(TimePoint t) const {
    return runtime::toSeconds(t - TimePoint{}) / runtime::toSeconds(o_.stepInterval);
  }

  TimePoint at(double units) const {
    return TimePoint{} + runtime::fromSeconds(units * runtime::toSeconds(o_.stepInterval));
  }

  void scheduleGradient(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    double wait = p.rng.exponential(p.speed);
    loop_.runAt(at(units(now()) + wait), [this, i] { gradient(i); });
  }

  // One optimizer step: the same increment to x and x̃, so the gap is untouched (spec §2.5).
  void gradient(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    if (!p.alive || p.leaving || draining_) {
      return;
    }
    if (p.frozen) {
      p.gradientHeld = true;
      return;
    }
    p.state->mixTo(units(now()));
    increment_.resize(p.x.size());
    // A joiner trains one of the founders' shards, as real joiners do (theirs by name).
    workload_->increment(i % o_.peers, p.x.data(), increment_.data(), p.rng);
    for (std::size_t k = 0; k < p.x.size(); ++k) {
      p.x[k] += increment_[k];
    }
    if (o_.gossip) {
      p.credits.earnForStep(p.rng);
    }
    ++result_.gradientSteps;
    ++p.steps;
    tryPropose(i);
    if (afterStepSync(i)) {
      return;  // frozen until the sync installs
    }
    if (p.credits.overCap()) {
      p.computeBlocked = true;  // as a real peer's compute thread: wait for comm to catch up
      return;
    }
    scheduleGradient(i);
  }

  // ---- Global syncs -------------------------------------------------------------------------

  // After a step: FDA posts the state and maybe triggers; lockstep modes freeze at the period.
  // Returns whether this peer is now frozen.
  bool afterStepSync(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    if (o_.sync == "fda") {
      postState(i);
      std::size_t counted = 0;
      std::optional<sync::FdaState> mean = p.table->mean(epoch_, &counted);
      if (mean && counted >= 2 &&
          sync::staleTableTriggers(estimator_->estimate(*mean), threshold_.theta(), 0.05)) {
        proposeSync(i);
      }
      return false;
    }
    const std::int64_t period = o_.sync == "every-step" ? 1 : o_.syncPeriod;
    if (o_.sync == "none" || p.steps % static_cast<std::uint64_t>(period) != 0) {
      return false;
    }
    freeze(i);
    p.gradientHeld = true;
    // A joiner may freeze while a ring it is not in runs: it waits for the next one.
    if (!syncing_ && std::all_of(peers_.begin(), peers_.end(), [](const auto& q) {
          return !q->alive || q->frozen;
        })) {
      runRing();
    }
    return true;
  }

  void postState(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    xFloat_.assign(p.x.begin(), p.x.end());
    sync::StateEntry entry{epoch_,
                           p.steps,
                           estimator_->localState(xFloat_.data(), referenceFloat_.data()),
                           threshold_.theta()};
    p.table->setOwn(entry);
    for (std::uint32_t j = 0; j < peers_.size(); ++j) {
      if (j == i || !knows(i, j)) {
        continue;
      }
      TimePoint when = network_->deliveryTime(i, j, kStateBytes, now(), netRng_);
      result_.stateBytes += kStateBytes;
      loop_.runAt(when, [this, i, j, entry] {
        if (peers_[j]->alive) {
          peers_[j]->table->merge(PeerId{i}, entry);
        }
      });
    }
  }

  void freeze(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    p.state->mixTo(units(now()));
    p.contributed = p.x;
    p.frozen = true;
  }

  // ---- FDA's agreement: sync::SyncAgreement per peer, proposals on the network model --------

  // The members i would sync with: those it knows alive (itself too).
  std::vector<PeerId> syncView(std::uint32_t i) const {
    std::vector<PeerId> view;
    for (std::uint32_t j = 0; j < peers_.size(); ++j) {
      if (j == i || knows(i, j)) {
        view.push_back(PeerId{j});
      }
    }
    return view;
  }

  void proposeSync(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    if (std::optional<sync::SyncProposal> proposal = p.agreement->propose(syncView(i), now())) {
      spreadProposal(i, *proposal);
      pollAgreement(i);
    }
  }

  void spreadProposal(std::uint32_t i, const sync::SyncProposal& proposal) {
    for (PeerId to : proposal.view) {
      if (to.value == i) {
        continue;
      }
      const std::uint64_t bytes = proposalBytes(proposal);
      result_.proposalBytes += bytes;
      TimePoint when = network_->deliveryTime(i, to.value, bytes, now(), netRng_);
      loop_.runAt(when, [this, i, to, proposal] { onProposal(to.value, i, proposal); });
    }
  }

  void onProposal(std::uint32_t j, std::uint32_t from, const sync::SyncProposal& proposal) {
    SimPeer& q = *peers_[j];
    if (!q.alive || q.leaving || !q.agreement) {
      return;
    }
    if (q.agreement->onProposal(PeerId{from}, proposal, now()) == sync::ProposalVerdict::kMerged) {
      if (q.agreed && q.agreed->attempt != q.agreement->pending()->attempt) {
        q.agreed.reset();  // someone retried: ready again over the new view
      }
      spreadProposal(j, *q.agreement->pending());
      pollAgreement(j);
    }
    checkAgreement(j);
  }

  // Polls as GlobalSync does (every 5 ms while a sync is pending and its ring has not started).
  void pollAgreement(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    if (p.polling) {
      return;
    }
    p.polling = true;
    loop_.runAt(now() + kAgreementPoll, [this, i] {
      peers_[i]->polling = false;
      checkAgreement(i);
    });
  }

  // Ready once the window closed or every member was heard; the ring starts when every member of
  // the view is ready over the same view. A member gone meanwhile, or members ready over
  // different views, make the sync retry as the next attempt (as a ring would that broke).
  void checkAgreement(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    if (!p.alive || p.leaving || syncing_ || !p.agreement->pending()) {
      return;
    }
    if (!p.agreed) {
      p.agreed = p.agreement->ready(syncView(i), now());
      if (p.agreed) {
        freeze(i);
      }
    }
    if (p.agreed) {
      bool all = true;
      for (PeerId m : p.agreed->view) {
        const SimPeer& q = *peers_[m.value];
        if (m.value != i && !knows(i, m.value)) {
          retrySync(i);
          return;
        }
        const bool same =
            q.agreed && q.agreed->attempt == p.agreed->attempt && q.agreed->view == p.agreed->view;
        if (q.agreed && !same) {
          retrySync(i);
          return;
        }
        all = all && same;
      }
      if (all) {
        std::vector<std::uint32_t> members;
        for (PeerId m : p.agreed->view) {
          members.push_back(m.value);
        }
        runRing(members, p.agreed->attempt);
        return;
      }
    }
    pollAgreement(i);
  }

  void retrySync(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    p.agreed.reset();
    ++result_.syncRetries;
    spreadProposal(i, p.agreement->retry(syncView(i), now()));
    pollAgreement(i);
  }

  // The ring all-reduce over the live peers (lockstep modes) or the agreed view (FDA), in index
  // order: every member runs the real sync::RingAllReduce, its chunks travel the network model,
  // and the mean (bit-identical on every member) is installed once the last member is done.
  void runRing(std::vector<std::uint32_t> members = {}, std::uint32_t attempt = 0) {
    syncing_ = true;
    if (members.empty()) {
      for (std::uint32_t i = 0; i < peers_.size(); ++i) {
        if (peers_[i]->alive) {
          members.push_back(i);
        }
      }
    }
    ringMembers_ = members;
    std::vector<PeerId> view;
    for (std::uint32_t i : members) {
      view.push_back(PeerId{i});
    }
    for (std::uint32_t i : members) {
      SimPeer& p = *peers_[i];
      std::vector<float> values(p.contributed.begin(), p.contributed.end());
      values.resize(std::max(values.size(), members.size()));  // a segment each: pad a scalar
      p.ring = std::make_unique<sync::RingAllReduce>(
          view, PeerId{i}, epoch_ + 1, attempt, std::move(values));
    }
    for (std::uint32_t i : members) {
      sendChunks(i, peers_[i]->ring->start());
    }
    finishRingIfDone();
    watchRing();
  }

  void sendChunks(std::uint32_t from, const std::vector<sync::OutgoingChunk>& chunks) {
    for (const sync::OutgoingChunk& c : chunks) {
      const std::uint64_t bytes = kHeaderBytes + 4 * c.chunk.data.size() + c.chunk.encoded.size();
      result_.syncBytes += bytes;
      TimePoint when = network_->deliveryTime(from, c.to.value, bytes, now(), netRng_);
      loop_.runAt(when, [this, from, c] { onChunk(c.to.value, from, c.chunk); });
    }
  }

  void onChunk(std::uint32_t to, std::uint32_t from, const sync::RingChunk& chunk) {
    SimPeer& p = *peers_[to];
    if (!p.alive || !p.ring) {
      return;  // crashed, or the ring was abandoned: the chunk is lost
    }
    std::vector<sync::OutgoingChunk> next;
    const sync::ChunkVerdict verdict = p.ring->onChunk(PeerId{from}, chunk, next);
    MURMUR_CHECK(verdict == sync::ChunkVerdict::kAccepted || verdict == sync::ChunkVerdict::kHeld ||
                     verdict == sync::ChunkVerdict::kWrongRound,
                 "peer ",
                 to,
                 ": a ring chunk from peer ",
                 from,
                 " was refused (",
                 static_cast<int>(verdict),
                 ")");
    sendChunks(to, next);
    finishRingIfDone();
  }

  void finishRingIfDone() {
    if (ringMembers_.empty() ||
        !std::all_of(ringMembers_.begin(), ringMembers_.end(), [this](std::uint32_t i) {
          return peers_[i]->ring && peers_[i]->ring->done();
        })) {
      return;
    }
    const std::vector<float>& mean = peers_[ringMembers_.front()]->ring->result();
    for (std::uint32_t i : ringMembers_) {
      MURMUR_CHECK(peers_[i]->ring->result() == mean, "the ring's mean differs on peer ", i);
    }
    install(ringMembers_,
            std::vector<double>(mean.begin(),
                                mean.begin() + static_cast<std::ptrdiff_t>(workload_->dim())));
  }

  // A member that crashed mid-ring stalls it: once a survivor has noticed, the ring is abandoned
  // and the sync retried over the survivors (as GlobalSync retries on a member gone).
  void watchRing() {
    loop_.runAt(now() + kRingPoll, [this] {
      if (!syncing_) {
        return;
      }
      for (std::uint32_t m : ringMembers_) {
        if (peers_[m]->alive) {
          continue;
        }
        for (std::uint32_t i : ringMembers_) {
          if (peers_[i]->alive && !knows(i, m)) {
            abandonRing();
            return;
          }
        }
      }
      watchRing();
    });
  }

  void abandonRing() {
    const std::vector<std::uint32_t> members = std::move(ringMembers_);
    ringMembers_.clear();
    syncing_ = false;
    ++result_.syncRetries;
    for (std::uint32_t i : members) {
      peers_[i]->ring.reset();
    }
    if (o_.sync != "fda") {
      runRing({}, ++lockstepAttempt_);  // the barrier holds: every survivor is still frozen
      return;
    }
    for (std::uint32_t i : members) {
      if (peers_[i]->alive && peers_[i]->agreement->pending()) {
        retrySync(i);
      }
    }
  }

  void install(const std::vector<std::uint32_t> members, const std::vector<double>& mean) {
    const std::size_t d = workload_->dim();
    double variance = 0;
    double steps = 0;
    for (std::uint32_t i : members) {
      SimPeer& p = *peers_[i];
      for (std::size_t c = 0; c < d; ++c) {
        variance += (p.contributed[c] - mean[c]) * (p.contributed[c] - mean[c]);
      }
      steps += static_cast<double>(p.steps - p.roundStart) / static_cast<double>(members.size());
    }
    variance /= static_cast<double>(members.size());
    threshold_.roundEnded(static_cast<std::uint64_t>(std::lround(steps)), variance);
    if (estimator_) {
      std::vector<float> newReference(mean.begin(), mean.end());
      estimator_->setDirection(newReference.data(), referenceFloat_.data());
      referenceFloat_ = std::move(newReference);
    }
    ++epoch_;
    ++result_.syncs;
    syncing_ = false;
    ringMembers_.clear();
    lockstepAttempt_ = 0;
    for (const auto& p : peers_) {
      if (p->agreement) {
        p->agreement->completed(epoch_);  // a peer outside the view waits for the next one
        p->agreed.reset();
      }
    }
    for (std::uint32_t i : members) {
      SimPeer& p = *peers_[i];
      p.state->mixTo(units(now()));
      p.state->rebase(mean.data(), p.contributed.data());  // keeps what gossip applied since
      p.frozen = false;
      p.ring.reset();
      p.roundStart = p.steps;
      if (p.gradientHeld && p.alive) {
        p.gradientHeld = false;
        scheduleGradient(i);
      }
    }
  }

  void unblockIfUnderCap(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    if (p.computeBlocked && !p.credits.overCap()) {
      p.computeBlocked = false;
      scheduleGradient(i);
    }
  }

  void tryPropose(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    if (!o_.gossip || !p.alive || p.leaving || draining_ || !p.fsm.idle() ||
        !p.credits.canInitiate()) {
      return;
    }
    if (now() < p.fsm.backoffUntil()) {
      if (!p.proposeScheduled) {
        p.proposeScheduled = true;
        loop_.runAt(p.fsm.backoffUntil(), [this, i] {
          peers_[i]->proposeScheduled = false;
          tryPropose(i);
        });
      }
      return;
    }
    auto usable = [this, i](PeerId id) { return picks(i, id.value); };
    std::optional<PeerId> to = gossip::pickNeighbour(neighbours_[i], usable, p.rng);
    if (!to) {
      p.credits.dropExcess();  // nobody to exchange with: do not hold compute back
      unblockIfUnderCap(i);
      return;
    }
    handle(i, p.fsm.propose(*to, now()), nullptr);
  }

  // Does what the FSM asks, in its order: send (taking a snapshot where one travels), apply the
  // received snapshot's delta, account for a finished exchange.
  void handle(std::uint32_t i, const gossip::ExchangeStep& step, const Message* received) {
    SimPeer& p = *peers_[i];
    for (const gossip::Outgoing& out : step.send) {
      Message m{i, out.type, out.seq, nullptr, nullptr, {}};
      std::uint64_t bytes = kHeaderBytes;
      if (swim_) {
        m.news = swim_->news(i, out.to.value);
        bytes += m.news.updates.size() * SwimMembers::kUpdateBytes;
      }
      if (out.withSnapshot) {
        p.state->mixTo(units(now()));
        if (lbgm_) {
          auto view = std::make_shared<std::vector<double>>();
          m.lbgm = lbgm_->publish(i, out.to.value, p.x, *view);
          p.ownSnapshot = std::move(view);
          bytes += m.lbgm->wireBytes();
        } else if (codec_) {
          SnapshotCodec::Encoded coded = codec_->encode(p.x);
          p.ownSnapshot = coded.view;
          m.snapshot = std::move(coded.view);
          bytes += codedBytes(coded.wireBytes);
        } else {
          p.ownSnapshot = std::make_shared<const std::vector<double>>(p.x);
          m.snapshot = p.ownSnapshot;
          bytes += modelBytes_;
        }
      }
      TimePoint when = network_->deliveryTime(i, out.to.value, bytes, now(), netRng_);
      loop_.runAt(when, [this, to = out.to.value, m] { deliver(to, m); });
    }
    if (step.applyReceived) {
      MURMUR_CHECK(received != nullptr && received->snapshot && p.ownSnapshot,
                   "peer ",
                   i,
                   ": an exchange to apply without both snapshots");
      p.state->mixTo(units(now()));
      if (lbgmGamma_ < 0.5) {
        std::vector<double> self = *p.ownSnapshot;
        std::vector<double> partner = *received->snapshot;
        LbgmEdges::consensus(self, partner, lbgmGamma_);
        p.state->applyExchange(partner.data(), self.data());
      } else {
        p.state->applyExchange(received->snapshot->data(), p.ownSnapshot->data());
      }
    }
    if (step.finished) {
      account(i, *step.finished);
    }
    if (std::optional<TimePoint> deadline = p.fsm.deadline()) {
      loop_.runAt(*deadline, [this, i] { timer(i); });
    }
    if (step.finished) {
      tryPropose(i);
    }
  }

  // A coded snapshot's bytes, scaled like a raw one's when --model-bytes stands in for the model.
  std::uint64_t codedBytes(std::uint64_t wireBytes) const {
    const double raw = 4.0 * static_cast<double>(workload_->dim());
    return static_cast<std::uint64_t>(
        std::llround(static_cast<double>(wireBytes) * static_cast<double>(modelBytes_) / raw));
  }

  void account(std::uint32_t i, const gossip::ExchangeOutcome& outcome) {
    SimPeer& p = *peers_[i];
    p.ownSnapshot.reset();
    switch (outcome.result) {
      case gossip::ExchangeResult::kApplied:
        p.credits.spend();
        result_.exchanges += outcome.initiated ? 1 : 0;
        break;
      case gossip::ExchangeResult::kBusy:
        result_.busy += outcome.initiated ? 1 : 0;
        break;
      case gossip::ExchangeResult::kTimedOut:
        ++result_.timeouts;
        if (swim_) {
          swim_->exchangeTimedOut(i, outcome.peer.value);
        }
        break;
      case gossip::ExchangeResult::kAborted:
      case gossip::ExchangeResult::kUnreachable:
        break;
    }
    unblockIfUnderCap(i);
    goIfLeft(i);
  }

  void deliver(std::uint32_t to, const Message& m) {
    SimPeer& p = *peers_[to];
    if (p.leaving && m.type == gossip::ExchangeMessage::kPropose) {
      // Its LEFT reaches the proposer with this answer (a proposal already on its way when it
      // left, even after it is gone): no exchange, and no timeout.
      Message busy{to, gossip::ExchangeMessage::kBusy, m.seq, nullptr, nullptr, {}};
      std::uint64_t bytes = kHeaderBytes;
      if (swim_) {
        busy.news = swim_->news(to, m.from);
        bytes += busy.news.updates.size() * SwimMembers::kUpdateBytes;
      }
      TimePoint when = network_->deliveryTime(to, m.from, bytes, now(), netRng_);
      loop_.runAt(when, [this, from = m.from, busy] { deliver(from, busy); });
      return;
    }
    if (!p.alive) {
      return;  // a crashed peer's socket: the message is lost, the sender will time out
    }
    if (swim_) {
      swim_->received(to, m.from, m.news);
    }
    if (m.lbgm) {
      // Every publish lands on the edge's copy, a stale one too: the copies follow the stream.
      auto view = std::make_shared<std::vector<double>>();
      lbgm_->apply(m.from, to, *m.lbgm, *view);
      Message received = m;
      received.snapshot = std::move(view);
      handle(to, p.fsm.onMessage(PeerId{m.from}, m.type, m.seq, now()), &received);
      return;
    }
    handle(to, p.fsm.onMessage(PeerId{m.from}, m.type, m.seq, now()), &m);
  }

  void timer(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    std::optional<TimePoint> deadline = p.fsm.deadline();
    if (p.alive && deadline && *deadline <= now()) {
      handle(i, p.fsm.onTimer(now()), nullptr);
    }
  }

  void leave(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    if (!p.alive || p.leaving) {
      return;
    }
    p.leaving = true;
    p.detectedDead = true;  // LEFT goes out at once: nobody picks it any more
    if (swim_) {
      swim_->leave(i);  // to every member it knows, with its LEFT update
    }
    ++result_.left;
    goIfLeft(i);
  }

  void goIfLeft(std::uint32_t i) {
    SimPeer& p = *peers_[i];
    if (p.leaving && p.alive && p.fsm.idle()) {
      p.alive = false;  // its model leaves with it
    }
  }

  void join() {
    std::vector<std::uint32_t> live;
    for (std::uint32_t i = 0; i < o_.peers; ++i) {
      if (peers_[i]->alive && !peers_[i]->leaving) {
        live.push_back(i);
      }
    }
    if (live.empty()) {
      return;
    }
    neighbours_ = gossip::completeTopology(static_cast<std::uint32_t>(peers_.size()));
    for (auto j = o_.peers; j < peers_.size(); ++j) {
      std::uint32_t from = live[netRng_.below(live.size())];
      auto model = std::make_shared<std::vector<double>>(workload_->dim());
      peers_[from]->state->snapshotAt(units(now()), model->data());
      TimePoint when = network_->deliveryTime(from, j, modelBytes_, now(), netRng_);
      loop_.runAt(when, [this, j, from, model] {
        SimPeer& q = *peers_[j];
        q.x = *model;
        q.state =
            std::make_unique<momentum::BasicAcidState<double>>(q.x.data(), q.x.size(), params_);
        q.state->mixTo(units(now()));  // its clock starts now, with a zero gap
        // The member's step count and the swarm's epoch come with the model (as JOIN_ACCEPT
        // carries them): the joiner's lockstep period is the swarm's, and it takes the next sync.
        q.steps = q.roundStart = peers_[from]->steps;
        if (q.agreement) {
          q.agreement = std::make_unique<sync::SyncAgreement>(PeerId{j}, epoch_, kCollectWindow);
        }
        q.alive = true;
        q.detectedDead = false;
        if (swim_) {
          swim_->join(j, from);
        }
        ++result_.joined;
        scheduleGradient(j);
      });
    }
  }

  void crash(std::uint32_t i) {
    peers_[i]->alive = false;
    ++result_.crashed;
    if (swim_) {
      swim_->crash(i);  // the others find out by probing it
      return;
    }
    loop_.runAt(now() + o_.detectAfter, [this, i] { peers_[i]->detectedDead = true; });
  }

  // Every live peer's x as of now (mixed to now without touching the state: sampling must not
  // change the run).
  void sample(bool final = false) {
    double t = units(now());
    models_.clear();
    for (const auto& p : peers_) {
      if (p->alive) {
        models_.emplace_back(p->x.size());
        p->state->snapshotAt(t, models_.back().data());
      }
    }
    std::vector<double> mean(workload_->dim(), 0.0);
    for (const auto& x : models_) {
      for (std::size_t k = 0; k < x.size(); ++k) {
        mean[k] += x[k] / static_cast<double>(models_.size());
      }
    }
    double distance = 0;
    for (const auto& x : models_) {
      for (std::size_t k = 0; k < x.size(); ++k) {
        distance += (x[k] - mean[k]) * (x[k] - mean[k]);
      }
    }
    SimSample s;
    s.time = t;
    s.consensusDistance = models_.empty() ? 0.0 : distance / static_cast<double>(models_.size());
    Evaluation e = workload_->evaluate(models_, final);
    s.loss = e.loss;
    s.accuracy = e.accuracy;
    s.bytes = network_->bytesSent();
    s.exchanges = result_.exchanges;
    result_.samples.push_back(s);
    if (observer_) {
      observer_(s);
    }
  }

  SimResult finish() {
    result_.finalModels = models_;  // the last sample is at `until`
    for (const auto& p : peers_) {
      if (p->alive) {
        result_.stepsPerPeer.push_back(p->steps);
      }
    }
    const SimSample& last = result_.samples.back();
    result_.consensusDistance = last.consensusDistance;
    result_.loss = last.loss;
    result_.accuracy = last.accuracy;
    double distanceSum = 0;
    double lossSum = 0;
    std::size_t counted = 0;
    for (const SimSample& s : result_.samples) {
      if (s.time >= o_.burnIn) {
        distanceSum += s.consensusDistance;
        lossSum += s.loss.value_or(0);
        ++counted;
      }
    }
    result_.consensusDistanceMean = counted ? distanceSum / counted : last.consensusDistance;
    if (last.loss) {
      result_.lossMean = counted ? lossSum / counted : *last.loss;
    }
    result_.bytesTotal = network_->bytesSent();  // gossip, states and sync rings
    result_.retransmissions = network_->retransmissions();
    result_.realisedRate =
        result_.gradientSteps ? 2.0 * result_.exchanges / result_.gradientSteps : 0.0;
    result_.realisedRateMin = result_.realisedRateMax = peers_[0]->credits.realisedRate();
    for (const auto& p : peers_) {
      result_.realisedRateMin = std::min(result_.realisedRateMin, p->credits.realisedRate());
      result_.realisedRateMax = std::max(result_.realisedRateMax, p->credits.realisedRate());
    }
    result_.eta = params_.eta;
    result_.alphaTilde = params_.alphaTilde;
    if (codec_) {
      result_.codecFallbacks = codec_->fallbacks();
    }
    if (lbgm_) {
      result_.lbgm = lbgm_->totals();
    }
    if (swim_) {
      result_.swim = swim_->stats();
    }
    return result_;
  }

  SimOptions o_;
  SampleObserver observer_;
  runtime::Rng netRng_;
  std::unique_ptr<Workload> workload_;
  gossip::NeighbourLists neighbours_;
  momentum::AcidParams params_;
  std::uint64_t modelBytes_ = 0;
  std::unique_ptr<LbgmEdges> lbgm_;       // --codec lbgm
  std::unique_ptr<SnapshotCodec> codec_;  // --codec fp16, bf16 or lossless
  double lbgmGamma_ = 0.5;
  std::vector<std::unique_ptr<SimPeer>> peers_;
  std::unique_ptr<NetworkModel> network_;
  std::unique_ptr<SwimMembers> swim_;  // --membership swim
  std::vector<bool> crashing_;
  std::vector<bool> leaving_;
  runtime::ManualEventLoop loop_;
  SimResult result_;
  bool draining_ = false;
  // Global syncs.
  static constexpr Duration kCollectWindow = std::chrono::milliseconds(200);  // GlobalSync's
  static constexpr Duration kAgreementPoll = std::chrono::milliseconds(5);
  static constexpr Duration kRingPoll = std::chrono::milliseconds(50);
  std::vector<std::uint32_t> ringMembers_;  // of the ring that runs
  std::uint32_t lockstepAttempt_ = 0;       // a lockstep sync's rings (retries after a crash)
  std::unique_ptr<sync::FdaEstimator> estimator_;  // shared: ξ is the swarm's, not a peer's
  sync::FdaThreshold threshold_ = sync::FdaThreshold::fixed(1.0);
  std::uint64_t epoch_ = 0;
  bool syncing_ = false;
  std::vector<float> referenceFloat_;
  std::vector<float> xFloat_;
  std::vector<double> increment_;
  std::vector<std::vector<double>> models_;
};

}  // namespace

SimResult simulate(const SimOptions& options, const SampleObserver& observer) {
  return Simulation(options, observer).run();
}

}  // namespace murmur::sim
