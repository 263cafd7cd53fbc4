// One murmur peer, assembled: model and data, the shared A²CiD² state, the ZeroMQ transport, the
// comm thread (Peer) and the compute loop. run() trains, joins the end-of-run exact average,
// evaluates and returns the summary. The CLI is a thin user of this class.
// Thread: construct and run() on one thread (it becomes the compute thread); requestStop() from
// any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gossip/exchange_fsm.h"
#include "gossip/membership.h"
#include "peer/peer_list.h"
#include "peer/trainer.h"

namespace murmur::peer {

struct NodeOptions {
  std::string name;              // our entry in `peers` (empty: the entry at `bind`)
  std::string bind;              // address to bind (empty: our entry's address)
  std::vector<PeerEntry> peers;  // the agreed peer list, identical on every peer
  std::string model = "lenet5";  // a built-in name or a TorchScript file (Model::create)
  std::string dataDir = "/usr/share/datasets/fashion-mnist";
  // Embedding (peer/embedded_peer.h): your own model and data instead of `model` and `dataDir`.
  // The model must start from the same weights on every peer (seed before building it).
  std::shared_ptr<Model> customModel;
  Dataset customTrain;  // used when non-empty, with customTest
  Dataset customTest;
  bool syntheticData = false;  // tests: generated data instead of dataDir
  std::int64_t syntheticSize = 4096;
  std::string shard = "iid";  // iid | label-sorted | dirichlet
  double dirichletAlpha = 0.5;
  std::string topology = "ring";  // complete | ring | exponential | edge file
  double rate = 1.0;              // exchanges per peer per gradient step
  bool momentum = true;           // false: the baseline (α̃ = ½, d ≡ 0)
  bool gossip = true;             // false: no exchanges until the final average
  std::int64_t steps = 2000;      // local gradient steps
  TrainerOptions trainer;
  std::uint64_t seed = 1;            // shared: initial weights, shards; per peer: data order
  bool independentInit = false;      // each peer draws its own initial weights (experiments)
  double evalIntervalSeconds = 5;    // local test accuracy timeline cadence (0: off)
  std::int64_t evalSamples = 2000;   // test samples per timeline point
  double finalTimeoutSeconds = 300;  // the end-of-run average gives up after this
  int threads = 1;                   // LibTorch intra-op threads
  double startUnixSeconds = 0;       // origin of reported times (0: when run() starts)
  // Control endpoint (HTTP: /status, /members, /metrics, POST /leave): HOST:PORT, "" for
  // 127.0.0.1 at the data port + 1, "off" for none. A token is required off loopback.
  std::string control;
  std::string controlToken;
  // Join a running swarm through any of these members (tcp:// addresses) instead of `peers`:
  // the run settings, the member list and a model come from the member that admits us.
  std::vector<std::string> join;
  std::string swarmKeyFile;             // CurveZMQ on every connection (murmur keygen); "" for none
  runtime::Duration injectedLatency{};  // fault injection: one-way delay on every message sent
  // Checkpoints: every `checkpointEverySeconds` (0: never periodically), on leave and at the end;
  // `resume` starts from the newest valid one of this name.
  std::string checkpointDir;
  double checkpointEverySeconds = 0;
  bool resume = false;
  double joinTimeoutSeconds = 30;
  // A founder waits this long before its first step for every listed peer to be heard from, so
  // that the swarm trains together (peers take seconds to start; 0: start at once).
  double startWaitSeconds = 60;
  std::uint16_t joinVersion = 0;  // the protocol version our JOIN claims (0: ours; tests: another)
  gossip::ExchangeOptions exchange;
  gossip::MembershipOptions membership;
  // Global syncs (issue 4, specs/fda.md): an exact all-reduce of the models, never (none), when
  // FDA's variance estimate exceeds Θ (fda), after every step (every-step) or every
  // `syncPeriod` steps (periodic). Shared by the swarm: joiners adopt the founders'.
  std::string sync = "none";
  std::int64_t syncPeriod = 100;
  std::string fdaVariant = "linear";  // naive | linear | sketch
  std::string fdaTheta = "auto";      // Θ, or auto: adaptive, seeded with 3.89e-5·d
  std::string fdaSketch = "5,250";    // D,W of SketchFDA's AMS sketch
  std::int64_t fdaRoundSteps = 200;   // auto: the round length Θ adapts towards
  std::int64_t fdaCheckEvery = 1;     // steps between FDA's checks (local state, sent to members)
  // How gossip exchanges travel (issue 5): raw, fp16 or bf16 (lossy casts), lossless (shuffle +
  // zstd), or lbgm (look-back scalars on public copies, threshold lbgmDelta). Shared by the swarm.
  std::string codec = "raw";
  double lbgmDelta = 0.2;
  double lbgmTopk = 0;     // > 0: LBGM on the top ⌈lbgmTopk·n⌉ entries of each tensor's update
  double lbgmGamma = 0.5;  // LBGM's consensus step γ (½: the midpoint exchange)
  bool lbgmSign = false;   // LBGM on a·sign(update): one bit per entry (not with lbgmTopk)
  // How global syncs' ring travels: raw (float32 models) or lhc (LHC encodings of the drift from
  // the previous sync's mean, added at every hop without decoding; for sparse updates, with tables
  // sized for lhcCapacity nonzeros per position). Shared by the swarm.
  std::string syncCodec = "raw";
  double lhcCapacity = 0.05;
  // Called about once per progressInterval with a one-line JSON progress record.
  std::function<void(const std::string&)> onProgress;
  double progressIntervalSeconds = 1.0;
};

struct PeerSummary {
  std::string name;
  std::uint32_t index = 0;
  std::string control;  // control endpoint HOST:PORT ("" when off)
  std::int64_t steps = 0;
  double epochs = 0;
  double wallSeconds = 0;
  double trainSeconds = 0;  // the training loop alone (no start-up, no final average)
  double finalLoss = 0;
  double testAccuracyLocal = 0;     // own model at the end of training
  double testAccuracyAverage = -1;  // the exact swarm average (-1: not reached)
  bool averaged = false;
  bool left = false;  // left the swarm on request before the end
  std::vector<std::string> finalMembers;
  std::string finalProblem;
  double consensusDistanceFinal = 0;
  double conservedMomentStart = 0;  // SharedModelState::conservedMoment() at start and before the
  double conservedMomentFinal = 0;  // final average: their swarm sums agree when lr = 0
  std::uint64_t exchangesApplied = 0;
  std::uint64_t exchangesInitiated = 0;
  std::uint64_t exchangesBusy = 0;
  std::uint64_t exchangesTimedOut = 0;
  std::uint64_t bytesSent = 0;  // model + control + final
  std::uint64_t bytesReceived = 0;
  std::uint64_t messagesDropped = 0;
  double realisedRate = 0;
  double computeWaitSeconds = 0;
  double eta = 0;
  double alphaTilde = 0.5;
  std::vector<std::pair<double, double>> accuracyTimeline;  // (seconds, local test accuracy)

  // Every timeline point with what a plot needs: time, step, the training loss (EMA), local test
  // accuracy, bytes sent so far and the last distance to a gossip partner (½‖x_j − x_i‖², −1
  // before the first measurement).
  struct TimelinePoint {
    double seconds = 0;
    std::int64_t step = 0;
    double loss = 0;
    double accuracy = 0;
    std::uint64_t bytesSent = 0;
    double partnerDistance = -1;
  };

  std::vector<TimelinePoint> timeline;

  // The same points by work done: (local step, local test accuracy, bytes sent so far).
  struct ProgressPoint {
    std::int64_t step = 0;
    double accuracy = 0;
    std::uint64_t bytesSent = 0;
  };

  std::vector<ProgressPoint> progressTimeline;
  // Global syncs: the mode, how many completed, the last epoch, FDA's last estimate and Θ,
  // bytes by kind, the time compute waited for lockstep syncs, and a digest of the synced model
  // (the reference) of each of the last epochs: equal on every peer that took part.
  std::string syncMode = "none";
  std::uint64_t syncs = 0;
  std::uint64_t syncEpoch = 0;
  double fdaEstimate = 0;
  double fdaTheta = 0;
  double syncWaitSeconds = 0;
  std::vector<std::pair<std::string, std::uint64_t>> bytesSentByKind;
  std::vector<std::pair<std::uint64_t, std::string>> syncDigests;  // (epoch, hex)
  // Exchange compression: the codec, the snapshot bytes it was given and what it sent; LBGM's
  // reuse rate (scalar publishes over scalar + full, per unit and overall) and resets.
  std::string codec = "raw";
  std::uint64_t codecBytesIn = 0;
  std::uint64_t codecBytesOut = 0;
  std::vector<double> lbgmReusePerUnit;
  double lbgmReuse = 0;
  std::uint64_t lbgmResets = 0;
  // --sync-codec: the ring's codec, the syncs it carried and those retried raw.
  std::string syncCodec = "raw";
  std::uint64_t syncCodecRings = 0;
  std::uint64_t syncCodecFallbacks = 0;
  // --sync-codec lhc: the ring chunks this peer finished, by the form they arrived in (zero, list,
  // lhc, dense).
  std::map<std::string, std::uint64_t> syncChunkForms;
  std::string metrics;  // Prometheus text at the end
};

// JSON object of a summary (the per-peer --summary-json format).
std::string summaryToJson(const PeerSummary& summary);

class Node {
 public:
  explicit Node(NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Runs the whole peer. Throws Error for configuration problems (kInvalidArgument: bad data
  // directory, unknown model, ...) and rethrows a failure of the comm thread.
  PeerSummary run();

  // Ends training early; the peer still joins the final average. Thread: any.
  void requestStop() { stop_.store(true); }

  // Leaves the swarm (SIGINT, SIGTERM): training stops, the exchange in flight finishes or is
  // aborted, LEFT is announced, and run() returns without the final average. Thread: any.
  void requestLeave() {
    leave_.store(true);
    stop_.store(true);
  }

 private:
  NodeOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> leave_{false};
};

}  // namespace murmur::peer
