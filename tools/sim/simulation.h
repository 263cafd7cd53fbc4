// murmur-sim's engine: N peers in one process on virtual time, each running the code a real peer
// runs for gossip (ExchangeFsm: PROPOSE/ACCEPT/BUSY/PARAMS with its timeouts and back-off,
// ExchangeCredits, pickNeighbour over the topology) and momentum (A²CiD² state with snapshot
// deltas, constants from computeAcidConstants), over a modelled network (network_model.h).
// Gradient events come at rate speed_i per time unit (one time unit = one mean gradient interval,
// `stepInterval` of virtual time), as Poisson arrivals; the workload supplies the increments.
// Deterministic for a seed. Thread: single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compression/lbgm.h"
#include "runtime/clock.h"
#include "tools/sim/network_model.h"
#include "tools/sim/swim_members.h"
#include "tools/sim/workload.h"

namespace murmur::sim {

struct SimOptions {
  std::uint32_t peers = 16;
  std::string topology = "ring";  // ring | exponential | complete
  double rate = 1.0;              // r: exchanges each peer takes part in per gradient step
  bool momentum = true;           // A²CiD²; false: the baseline (plain midpoint gossip)
  bool gossip = true;             // false: local training only (no exchange is proposed)
  std::string workload = "drift";
  WorkloadOptions workloadOptions;  // peers and seed are filled in from here
  double until = 100;               // time units
  double burnIn = 0;                // samples before this are left out of the means
  double sampleEvery = 1;           // time units between samples
  std::uint64_t seed = 1;
  runtime::Duration stepInterval = std::chrono::milliseconds(100);  // virtual time per unit
  LinkModel link;
  std::uint64_t modelBytes = 0;  // bytes a snapshot puts on the wire; 0: 4 per dimension
  double stragglerFraction = 0;  // this share of peers computes `stragglerSlowdown`× slower
  double stragglerSlowdown = 1;
  double slowLinkFraction = 0;  // this share of peers has `slowLinkFactor`× less uplink bandwidth
  double slowLinkFactor = 1;
  // Global syncs (specs/fda.md), as `murmur run --sync`: none, every-step, periodic (every
  // syncPeriod steps: every live peer freezes at the period, the ring starts when all have), or
  // fda (each peer's linear-FDA state to every member after each step; a peer whose table's
  // estimate passes Θ·(1 − 0.05) proposes the next epoch through its own sync::SyncAgreement:
  // proposals travel the network model and merge, a peer is ready (and freezes its compute)
  // once the 200 ms window closed or every member was heard, and the ring starts when every
  // member of the view is ready over the same view; a member gone or differing views retry).
  // Every member runs the real sync::RingAllReduce, its chunks over the network model, while
  // compute waits; every member then holds the same float32 mean (a member that crashes mid-ring
  // makes the survivors retry once they notice).
  std::string sync = "none";
  std::int64_t syncPeriod = 100;
  double fdaTheta = 0;  // 0: auto (adaptive, seeded with 3.89e-5·d, rounds of fdaRoundSteps)
  std::int64_t fdaRoundSteps = 200;
  // Gossip payloads (as `murmur run --codec`): raw (a whole model); fp16, bf16 or lossless (the
  // real codec on every snapshot, snapshot_codec.h); or lbgm (publishes to the partner's public
  // copy, specs/lbgm.md; --lbgm-delta δ, --lbgm-topk fraction).
  std::string codec = "raw";
  double lbgmDelta = compression::kLbgmDefaultDelta;
  double lbgmTopk = 0;
  double lbgmGamma = 0;  // the consensus step γ ≤ ½; 0: auto (¼ with top-k, else ½), as murmur run
  double crashFraction = 0;  // this share of peers crashes
  double crashAt = 0;        // at this time unit
  // How peers learn of crashes and departures: oracle (every peer stops picking a crashed one
  // `detectAfter` later, a leaver at once) or swim (each peer runs gossip::Membership over the
  // network model with murmur's defaults: probes, suspicion, piggybacked updates, LEAVE).
  std::string membership = "oracle";
  runtime::Duration detectAfter = std::chrono::seconds(3);
  // Churn. A leaver stops training at leaveAt, says LEFT (nobody picks it any more, a proposal
  // gets BUSY), finishes its exchange in flight and goes. Joiners start at joinAt from a random
  // live member's model (sent over the network model) with a zero gap, as `murmur run --join`
  // does; the member list then outgrows the fixed graph and gossip runs on the complete graph
  // (the A²CiD² constants stay the start's). Under global syncs a joiner takes the member's step
  // count and the epoch with the model, and the next sync.
  double leaveFraction = 0;
  double leaveAt = 0;
  std::uint32_t joiners = 0;
  double joinAt = 0;
};

struct SimSample {
  double time = 0;  // time units
  double consensusDistance = 0;
  std::optional<double> loss;
  std::optional<double> accuracy;
  std::uint64_t bytes = 0;
  std::uint64_t exchanges = 0;
};

struct SimResult {
  std::vector<SimSample> samples;
  // x of each live peer at the end, in peer order, once the exchanges in flight at `until` have
  // completed (the last sample is taken then, a few virtual milliseconds later).
  std::vector<std::vector<double>> finalModels;
  std::vector<std::uint64_t> stepsPerPeer;  // of the same peers (a joiner counts from its member's)
  double consensusDistance = 0;             // at the end: (1/n)Σ|x_i − x̄|² over live peers
  double consensusDistanceMean = 0;         // over the samples from burnIn on
  std::optional<double> loss;               // at the end
  std::optional<double> lossMean;           // over the samples from burnIn on
  std::optional<double> accuracy;           // at the end (mean local test accuracy)
  std::uint64_t bytesTotal = 0;
  std::uint64_t exchanges = 0;  // completed, counted once per pair
  std::uint64_t gradientSteps = 0;
  std::uint64_t busy = 0;      // proposals answered BUSY
  std::uint64_t timeouts = 0;  // exchanges that timed out (a side applied nothing)
  std::uint64_t retransmissions = 0;
  std::uint64_t events = 0;
  double realisedRate = 0;     // completed exchanges per peer per gradient step
  double realisedRateMin = 0;  // of the least and the most exchanging peer
  double realisedRateMax = 0;
  double eta = 0;
  double alphaTilde = 0.5;
  std::uint32_t crashed = 0;
  std::uint32_t left = 0;
  std::uint32_t joined = 0;
  std::uint64_t syncs = 0;
  std::uint64_t syncBytes = 0;       // ring all-reduce chunks
  std::uint64_t stateBytes = 0;      // FDA states
  std::uint64_t proposalBytes = 0;   // FDA's sync proposals (sync::SyncAgreement's messages)
  std::uint64_t syncRetries = 0;     // syncs retried (a member gone mid-ring, views that differed)
  std::uint64_t codecFallbacks = 0;  // --codec fp16|bf16: snapshots sent raw (beyond the range)
  std::optional<compression::LbgmUnitStats> lbgm;  // --codec lbgm: publishes per unit, by kind
  std::optional<SwimStats> swim;                   // --membership swim
};

// Called after every sample (for progress output).
using SampleObserver = std::function<void(const SimSample&)>;

// Runs the simulation to options.until. Throws Error(kInvalidArgument) for bad options, naming
// the option.
SimResult simulate(const SimOptions& options, const SampleObserver& observer = {});

}  // namespace murmur::sim
