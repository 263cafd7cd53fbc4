#include "peer/node.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>

#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>

#include "compression/chunk_sum.h"
#include "compression/codec.h"
#include "compression/lbgm.h"
#include "gossip/topology.h"
#include "momentum/acid_constants.h"
#include "peer/checkpoint.h"
#include "peer/control/control_server.h"
#include "peer/exchange_budget.h"
#include "peer/join.h"
#include "peer/peer.h"
#include "peer/shared_model_state.h"
#include "peer/status_board.h"
#include "peer/transport/zmq_transport.h"
#include "peer/wire/envelope.h"
#include "runtime/error.h"
#include "runtime/flat_parameters.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "runtime/rng.h"

#include <nlohmann/json.hpp>
#include <pthread.h>

namespace murmur::peer {
namespace {

double unixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::uint64_t counter(const runtime::MetricsRegistry& metrics, const std::string& name) {
  return static_cast<std::uint64_t>(metrics.read(name));
}

std::uint64_t sumCounters(const runtime::MetricsRegistry& metrics,
                          const std::string& base,
                          const std::vector<std::string>& labels) {
  std::uint64_t total = 0;
  for (const std::string& label : labels) {
    total += counter(metrics, base + "{" + label + "}");
  }
  return total;
}

std::uint64_t droppedMessages(const runtime::MetricsRegistry& metrics) {
  return sumCounters(metrics,
                     "messages_dropped_total",
                     {"reason=\"unknown_sender\"",
                      "reason=\"malformed\"",
                      "reason=\"version\"",
                      "reason=\"spoofed\"",
                      "reason=\"misdirected\"",
                      "reason=\"run_mismatch\"",
                      "reason=\"bad_payload\"",
                      "reason=\"unexpected_final\""});
}

// Every kind of bytes a peer sends (bytes_sent_total{kind=...}): what "bytes sent" adds up.
const std::vector<std::string> kSentKinds = {"kind=\"model\"",
                                             "kind=\"control\"",
                                             "kind=\"final\"",
                                             "kind=\"sync_state\"",
                                             "kind=\"sync_sketch\"",
                                             "kind=\"sync_model\""};

// The settings every member of a swarm shares: the founders' flags, adopted by joiners.
struct RunSettings {
  std::string topology;
  double rate = 1;
  bool momentum = true;
  std::uint64_t seed = 1;
  std::uint32_t shards = 1;  // founders: one shard each; joiners share them
  std::string sync = "none";
  std::int64_t syncPeriod = 100;
  std::string fdaVariant = "linear";
  std::string fdaTheta = "auto";
  std::string fdaSketch = "5,250";
  std::int64_t fdaRoundSteps = 200;
  std::int64_t fdaCheckEvery = 1;
  bool gossip = true;
  std::string codec = "raw";
  double lbgmDelta = 0.2;
  double lbgmTopk = 0;
  double lbgmGamma = 0.5;
  bool lbgmSign = false;
  std::string syncCodec = "raw";
  double lhcCapacity = 0.05;

  // Payloads whose left-out part waits in an error feedback (top-k, sign).
  bool errorFeedback() const { return codec == "lbgm" && (lbgmTopk > 0 || lbgmSign); }

  // A founder's settings: its own flags.
  static RunSettings of(const NodeOptions& o, std::uint32_t shards) {
    return RunSettings{o.topology,      o.rate,          o.momentum,   o.seed,      shards,
                       o.sync,          o.syncPeriod,    o.fdaVariant, o.fdaTheta,  o.fdaSketch,
                       o.fdaRoundSteps, o.fdaCheckEvery, o.gossip,     o.codec,     o.lbgmDelta,
                       o.lbgmTopk,      o.lbgmGamma,     o.lbgmSign,   o.syncCodec, o.lhcCapacity};
  }

  std::string syncSpec() const {
    return fmt::format(
        "gossip={};sync={};period={};variant={};theta={};sketch={};round={};check={};ring={};"
        "capacity={}",
        gossip,
        sync,
        syncPeriod,
        fdaVariant,
        fdaTheta,
        fdaSketch,
        fdaRoundSteps,
        fdaCheckEvery,
        syncCodec,
        syncCodec == "lhc" ? lhcCapacity : 0.0);  // the capacity matters only to LHC
  }

  std::uint64_t hash(std::uint64_t modelSignature, bool independentInit) const {
    return runtime::stableHash(
        fmt::format("model={:016x};n={};topology={};rate={};momentum={};seed={};init={};{};"
                    "codec={};delta={};topk={};gamma={};sign={}",
                    modelSignature,
                    shards,
                    topology,
                    rate,
                    momentum,
                    seed,
                    independentInit,
                    syncSpec(),
                    codec,
                    codec == "lbgm" ? lbgmDelta : 0.0,
                    codec == "lbgm" ? lbgmTopk : 0.0,
                    codec == "lbgm" ? lbgmGamma : 0.5,
                    codec == "lbgm" && lbgmSign));
  }

  std::string json(const momentum::AcidParams& acid) const {
    return nlohmann::json{{"topology", topology},
                          {"rate", rate},
                          {"momentum", momentum},
                          {"seed", seed},
                          {"shards", shards},
                          {"gossip", gossip},
                          {"sync", sync},
                          {"sync_period", syncPeriod},
                          {"fda_variant", fdaVariant},
                          {"fda_theta", fdaTheta},
                          {"fda_sketch", fdaSketch},
                          {"fda_round_steps", fdaRoundSteps},
                          {"fda_check_every", fdaCheckEvery},
                          {"codec", codec},
                          {"lbgm_delta", lbgmDelta},
                          {"lbgm_topk", lbgmTopk},
                          {"lbgm_gamma", lbgmGamma},
                          {"lbgm_sign", lbgmSign},
                          {"sync_codec", syncCodec},
                          {"lhc_capacity", lhcCapacity},
                          {"eta", acid.eta},
                          {"alpha_tilde", acid.alphaTilde}}
        .dump();
  }

  // A joiner takes the swarm's settings and A²CiD² constants from its admission.
  momentum::AcidParams adopt(const std::string& config) {
    try {
      nlohmann::json c = nlohmann::json::parse(config);
      topology = c.at("topology").get<std::string>();
      rate = c.at("rate").get<double>();
      momentum = c.at("momentum").get<bool>();
      seed = c.at("seed").get<std::uint64_t>();
      shards = std::max<std::uint32_t>(1, c.at("shards").get<std::uint32_t>());
      gossip = c.value("gossip", true);
      sync = c.value("sync", std::string("none"));
      syncPeriod = c.value("sync_period", std::int64_t{100});
      fdaVariant = c.value("fda_variant", std::string("linear"));
      fdaTheta = c.value("fda_theta", std::string("auto"));
      fdaSketch = c.value("fda_sketch", std::string("5,250"));
      fdaRoundSteps = c.value("fda_round_steps", std::int64_t{200});
      fdaCheckEvery = c.value("fda_check_every", std::int64_t{1});
      codec = c.value("codec", std::string("raw"));
      lbgmDelta = c.value("lbgm_delta", 0.2);
      lbgmTopk = c.value("lbgm_topk", 0.0);
      lbgmGamma = c.value("lbgm_gamma", 0.5);
      lbgmSign = c.value("lbgm_sign", false);
      syncCodec = c.value("sync_codec", std::string("raw"));
      lhcCapacity = c.value("lhc_capacity", 0.05);
      return momentum::AcidParams{c.at("eta").get<double>(), c.at("alpha_tilde").get<double>()};
    } catch (const nlohmann::json::exception& e) {
      MURMUR_THROW(kProtocol, "the run settings we were admitted with are malformed: ", e.what());
    }
  }
};

// The run's global-sync settings, checked: GlobalSync's options and Θ (errors name the flag).
struct SyncSetup {
  GlobalSyncOptions options;
  sync::FdaThreshold threshold = sync::FdaThreshold::fixed(1);
};

SyncSetup makeSyncSetup(const RunSettings& run, std::size_t numel) {
  SyncSetup setup;
  std::optional<SyncMode> mode = parseSyncMode(run.sync);
  MURMUR_REQUIRE(
      mode.has_value(), "--sync must be none, fda, every-step or periodic, got '", run.sync, "'");
  setup.options.mode = *mode;
  MURMUR_REQUIRE(run.syncPeriod >= 1, "--sync-period must be ≥ 1, got ", run.syncPeriod);
  setup.options.period = *mode == SyncMode::kEveryStep ? 1 : run.syncPeriod;
  std::optional<sync::FdaVariant> variant = sync::parseFdaVariant(run.fdaVariant);
  MURMUR_REQUIRE(variant.has_value(),
                 "--fda-variant must be naive, linear or sketch, got '",
                 run.fdaVariant,
                 "'");
  setup.options.variant = *variant;
  unsigned depth = 0;
  unsigned width = 0;
  char tail = 0;
  MURMUR_REQUIRE(std::sscanf(run.fdaSketch.c_str(), "%u,%u%c", &depth, &width, &tail) == 2 &&
                     depth % 2 == 1 && depth <= 15 && width >= 16 && width <= 65536,
                 "--fda-sketch must be D,W with D odd (≤ 15) and 16 ≤ W ≤ 65536, got '",
                 run.fdaSketch,
                 "'");
  setup.options.sketch = sync::SketchShape{depth, width};
  MURMUR_REQUIRE(run.fdaRoundSteps >= 1, "--fda-round-steps must be ≥ 1");
  MURMUR_REQUIRE(run.fdaCheckEvery >= 1, "--fda-check-every must be ≥ 1");
  std::string error;
  std::optional<sync::FdaThreshold> threshold = sync::FdaThreshold::parse(
      run.fdaTheta, numel, static_cast<std::uint64_t>(run.fdaRoundSteps), &error);
  MURMUR_REQUIRE(threshold.has_value(), "--fda-theta: ", error);
  setup.threshold = *threshold;
  MURMUR_REQUIRE(run.syncCodec == "raw" || run.syncCodec == "lossless" || run.syncCodec == "lhc",
                 "--sync-codec must be raw, lossless or lhc, got '",
                 run.syncCodec,
                 "'");
  MURMUR_REQUIRE(run.lhcCapacity > 0 && run.lhcCapacity <= 1,
                 "--lhc-capacity must be in (0, 1], got ",
                 run.lhcCapacity);
  setup.options.ringCodec = compression::codecFromName(run.syncCodec);
  setup.options.lhcCapacity = run.lhcCapacity;
  setup.options.runSeed = run.seed;
  return setup;
}

// The run's exchange codec, checked (errors name the flag).
ExchangeCodecOptions makeCodecOptions(const RunSettings& run, const runtime::FlatParameters& flat) {
  ExchangeCodecOptions options;
  options.codec = compression::codecFromName(run.codec);
  MURMUR_REQUIRE(options.codec != compression::CodecId::kLhc,
                 "--codec lhc: LHC carries sums of sparse updates; use --sync-codec lhc");
  if (options.codec == compression::CodecId::kLbgm) {
    compression::requireLbgmDelta(run.lbgmDelta);
    compression::requireLbgmTopk(run.lbgmTopk);
    compression::requireLbgmGamma(run.lbgmGamma);
  }
  options.lbgmDelta = run.lbgmDelta;
  options.lbgmTopk = run.lbgmTopk;
  options.lbgmGamma = run.lbgmGamma;
  options.lbgmSign = run.lbgmSign;
  for (const runtime::ParameterInfo& p : flat.layout()) {
    options.tensorSizes.push_back(static_cast<std::size_t>(p.numel));
  }
  return options;
}

// The codec's part of a summary, from its counters (the comm thread may still be running).
void recordCodec(PeerSummary& summary,
                 const std::string& codec,
                 const ExchangeCodecOptions& options,
                 const runtime::MetricsRegistry& metrics) {
  summary.codec = codec;
  for (const auto& [name, bytes] : metrics.byLabel("codec_bytes_in_total")) {
    summary.codecBytesIn += static_cast<std::uint64_t>(bytes);  // fallbacks to raw included
  }
  for (const auto& [name, bytes] : metrics.byLabel("codec_bytes_out_total")) {
    summary.codecBytesOut += static_cast<std::uint64_t>(bytes);
  }
  if (options.codec != compression::CodecId::kLbgm) {
    return;
  }
  const LbgmReuse reuse = lbgmReuse(metrics, compression::lbgmUnits(options.tensorSizes).size());
  summary.lbgmReusePerUnit = reuse.perUnit;
  summary.lbgmReuse = reuse.overall;
  summary.lbgmResets = counter(metrics, "lbgm_publishes_total{kind=\"reset\"}");
}

// A digest of a synced model, cheap enough for every sync (8 bytes at a time): peers compare
// theirs in the summaries.
std::string modelDigest(const std::vector<float>& values) {
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ values.size();
  const std::size_t words = values.size() / 2;
  const auto* bytes = reinterpret_cast<const unsigned char*>(values.data());
  for (std::size_t i = 0; i < words; ++i) {
    std::uint64_t w = 0;
    std::memcpy(&w, bytes + i * 8, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  if (values.size() % 2 != 0) {
    std::uint32_t w = 0;
    std::memcpy(&w, &values.back(), 4);
    h = (h ^ w) * 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", h);
}

// The control endpoint: explicit (an error if it cannot bind), off, or by default 127.0.0.1 at
// the data port + 1 — unless another peer of the list has its data port there (peers on
// consecutive ports) or the port is taken, and then any free port, said in the log.
std::unique_ptr<control::ControlServer> openControl(const std::string& requested,
                                                    const std::string& token,
                                                    const std::string& dataAddress,
                                                    const std::vector<PeerEntry>& peers) {
  if (requested == "off") {
    return nullptr;
  }
  if (!requested.empty()) {
    return std::make_unique<control::ControlServer>(control::ControlOptions{requested, token});
  }
  std::size_t colon = dataAddress.rfind(':');
  int port = colon == std::string::npos ? -1 : std::atoi(dataAddress.c_str() + colon + 1);
  MURMUR_REQUIRE(port > 0 && port < 65535,
                 "cannot derive a control port from data address ",
                 dataAddress,
                 ": pass --control HOST:PORT or --control off");
  const std::string suffix = ":" + std::to_string(port + 1);
  bool clash = false;
  for (const PeerEntry& p : peers) {
    clash =
        clash || (p.address.size() > suffix.size() &&
                  p.address.compare(p.address.size() - suffix.size(), suffix.size(), suffix) == 0);
  }
  if (!clash) {
    try {
      return std::make_unique<control::ControlServer>(
          control::ControlOptions{"127.0.0.1" + suffix, token});
    } catch (const runtime::Error& e) {
      MURMUR_LOG(kWarn, "peer", "{}; using any free port instead", e.what());
    }
  }
  return std::make_unique<control::ControlServer>(control::ControlOptions{"127.0.0.1:0", token});
}

// What other machines should dial: a wildcard bind is reachable at the data address's host.
std::string advertisedControl(const std::string& bound, const std::string& dataAddress) {
  auto [host, port] = control::splitHostPort(bound, "control address");
  if (host != "0.0.0.0" && host != "::") {
    return bound;
  }
  std::string rest = dataAddress.substr(dataAddress.find("://") + 3);
  return rest.substr(0, rest.rfind(':')) + ":" + std::to_string(port);
}

}  // namespace

std::string summaryToJson(const PeerSummary& s) {
  nlohmann::json timeline = nlohmann::json::array();
  for (const auto& [t, acc] : s.accuracyTimeline) {
    timeline.push_back({t, acc});
  }
  nlohmann::json out = {
      {"name", s.name},
      {"index", s.index},
      {"steps", s.steps},
      {"epochs", s.epochs},
      {"wall_seconds", s.wallSeconds},
      {"train_seconds", s.trainSeconds},
      {"final_loss", s.finalLoss},
      {"test_accuracy_local", s.testAccuracyLocal},
      {"test_accuracy_avg_model", s.testAccuracyAverage},
      {"averaged", s.averaged},
      {"left", s.left},
      {"final_members", s.finalMembers},
      {"final_problem", s.finalProblem},
      {"consensus_distance_final", s.consensusDistanceFinal},
      {"control", s.control},
      {"conserved_moment_start", s.conservedMomentStart},
      {"conserved_moment_final", s.conservedMomentFinal},
      {"exchanges_applied", s.exchangesApplied},
      {"exchanges_initiated", s.exchangesInitiated},
      {"exchanges_busy", s.exchangesBusy},
      {"exchanges_timed_out", s.exchangesTimedOut},
      {"bytes_sent", s.bytesSent},
      {"bytes_received", s.bytesReceived},
      {"messages_dropped", s.messagesDropped},
      {"realised_rate", s.realisedRate},
      {"compute_wait_seconds", s.computeWaitSeconds},
      {"eta", s.eta},
      {"alpha_tilde", s.alphaTilde},
      {"accuracy_timeline", timeline},
      {"sync", s.syncMode},
      {"syncs", s.syncs},
      {"sync_epoch", s.syncEpoch},
      {"fda_estimate", s.fdaEstimate},
      {"fda_theta", s.fdaTheta},
      {"sync_wait_seconds", s.syncWaitSeconds},
  };
  nlohmann::json kinds = nlohmann::json::object();
  for (const auto& [kind, bytes] : s.bytesSentByKind) {
    kinds[kind] = bytes;
  }
  out["bytes_sent_by_kind"] = kinds;
  nlohmann::json digests = nlohmann::json::array();
  for (const auto& [epoch, digest] : s.syncDigests) {
    digests.push_back({epoch, digest});
  }
  out["sync_digests"] = digests;
  nlohmann::json progress = nlohmann::json::array();
  for (const PeerSummary::ProgressPoint& p : s.progressTimeline) {
    progress.push_back({p.step, p.accuracy, p.bytesSent});
  }
  out["progress_timeline"] = progress;  // [[step, local test accuracy, bytes sent], ...]
  nlohmann::json points = nlohmann::json::array();
  for (const PeerSummary::TimelinePoint& p : s.timeline) {
    points.push_back({{"t", p.seconds},
                      {"step", p.step},
                      {"loss", p.loss},
                      {"accuracy", p.accuracy},
                      {"bytes_sent", p.bytesSent},
                      {"partner_distance", p.partnerDistance}});
  }
  out["timeline"] = points;  // every timeline point, for plots (murmur report)
  out["codec"] = s.codec;
  out["codec_bytes_in"] = s.codecBytesIn;
  out["codec_bytes_out"] = s.codecBytesOut;
  out["lbgm_reuse"] = s.lbgmReuse;
  out["lbgm_reuse_per_unit"] = s.lbgmReusePerUnit;
  out["lbgm_resets"] = s.lbgmResets;
  out["sync_codec"] = s.syncCodec;
  out["sync_codec_rings"] = s.syncCodecRings;
  out["sync_codec_fallbacks"] = s.syncCodecFallbacks;
  out["sync_chunk_forms"] = s.syncChunkForms;
  return out.dump(2);
}

Node::Node(NodeOptions options) : options_(std::move(options)) {}

Node::~Node() = default;

PeerSummary Node::run() {
  const NodeOptions& o = options_;
  runtime::SteadyClock clock;
  const runtime::TimePoint start = clock.now();
  const double origin = o.startUnixSeconds > 0 ? o.startUnixSeconds : unixSeconds();
  auto sinceOrigin = [&] { return unixSeconds() - origin; };
  at::set_num_threads(o.threads);

  MURMUR_REQUIRE(o.steps >= 0, "--steps must be ≥ 0, got ", o.steps);
  MURMUR_REQUIRE(o.rate > 0 || !o.gossip, "--rate must be > 0, got ", o.rate);
  const bool joining = !o.join.empty();
  std::vector<PeerEntry> peers = o.peers;
  std::uint32_t self = 0;
  std::string name;
  if (joining) {
    MURMUR_REQUIRE(o.bind.rfind("tcp://", 0) == 0 && o.bind.find("0.0.0.0") == std::string::npos &&
                       o.bind.find('*') == std::string::npos,
                   "--join needs --bind tcp://HOST:PORT with the address members can reach us at "
                   "(got '",
                   o.bind,
                   "')");
    name = o.name.empty() ? o.bind.substr(6) : o.name;
  } else {
    self = findSelf(o.peers, o.name, o.bind);
    name = o.peers[self].name;
  }
  runtime::setLogName(name);

  // Data before anything else: loading takes seconds, and a joiner's model must be fresh.
  Dataset train;
  Dataset test;
  if (o.customTrain.size() > 0) {
    MURMUR_REQUIRE(o.customTest.size() > 0, "custom training data without test data");
    train = o.customTrain;
    test = o.customTest;
  } else if (o.model == "bagrec") {
    // Interactions, not images: generated from the seed (--synthetic sets how many).
    const std::int64_t size = o.syntheticData ? o.syntheticSize : 65536;
    train = syntheticBags(size, kBagItems, o.seed);
    test = syntheticBags(std::max<std::int64_t>(size / 8, 256), kBagItems, o.seed + 1);
  } else if (o.syntheticData) {
    train = syntheticDataset(o.syntheticSize, o.seed);
    test = syntheticDataset(std::max<std::int64_t>(o.syntheticSize / 4, 256), o.seed + 1);
  } else {
    train = loadDataset(o.dataDir, "train");
    test = loadDataset(o.dataDir, "test");
  }

  // Model (same seed on every peer: same initial weights) sized for the data, flattened for
  // single-pass exchanges.
  ModelShape shape;
  shape.input = train.images().sizes().slice(1).vec();
  shape.classes = std::max(train.classes(), test.classes());
  std::shared_ptr<Model> model =
      o.customModel
          ? o.customModel
          : Model::create(o.model,
                          o.independentInit ? runtime::Rng(o.seed).fork(name).next() : o.seed,
                          shape);
  if (o.customModel) {
    checkModelFitsData(*model, train);
  }
  runtime::FlatParameters flat(model->parameterNames(), model->parameters());

  // Transport and control endpoint: a joiner's admission arrives on them.
  runtime::MetricsRegistry metrics;
  transport::TransportOptions transportOptions;
  transportOptions.bindAddress = !o.bind.empty() ? o.bind : o.peers[self].address;
  transportOptions.routingId = name;
  if (!o.swarmKeyFile.empty()) {
    transportOptions.key = transport::readSwarmKey(o.swarmKeyFile);
    MURMUR_LOG(kInfo,
               "peer",
               "swarm key {}: every connection is encrypted and authenticated",
               o.swarmKeyFile);
  }
  transportOptions.injectedLatency = o.injectedLatency;
  if (o.injectedLatency > runtime::Duration::zero()) {
    MURMUR_LOG(kWarn,
               "peer",
               "fault injection: every message we send waits {:.1f} ms",
               runtime::toSeconds(o.injectedLatency) * 1000);
  }
  // A message is at most one model plus its envelope: anything larger is refused by libzmq.
  transportOptions.maxMessageBytes =
      static_cast<std::size_t>(flat.numel()) * sizeof(float) + wire::kMaxEnvelopeBytes;
  transport::ZmqTransport transport(transportOptions);
  const std::string dataAddress = joining ? o.bind : o.peers[self].address;
  std::unique_ptr<control::ControlServer> controlServer =
      openControl(o.control, o.controlToken, transport.boundAddress(), peers);
  const std::string advertised =
      controlServer ? advertisedControl(controlServer->boundAddress(), dataAddress) : "";

  // The run's settings: ours, or for a joiner those of the swarm it joins.
  RunSettings run = RunSettings::of(o, static_cast<std::uint32_t>(peers.size()));
  // Bad flags fail before the swarm is contacted.
  makeSyncSetup(run, static_cast<std::size_t>(flat.numel()));
  makeCodecOptions(run, flat);
  std::optional<momentum::AcidParams> swarmAcid;
  std::uint64_t runHash = 0;
  const auto incarnation = static_cast<std::uint64_t>(origin * 1000);
  if (joining) {
    JoinRequest request{name,
                        dataAddress,
                        advertised,
                        model->name(),
                        flat.signature(),
                        incarnation,
                        o.joinVersion != 0 ? o.joinVersion : wire::kProtocolVersion};
    MURMUR_LOG(kInfo, "join", "asking {} to let {} in", fmt::join(o.join, ", "), name);
    Admission admission = joinSwarm(transport,
                                    request,
                                    o.join,
                                    static_cast<std::size_t>(flat.numel()),
                                    clock,
                                    runtime::fromSeconds(o.joinTimeoutSeconds));
    swarmAcid = run.adopt(admission.config);
    runHash = admission.runHash;
    peers.clear();
    for (const wire::WireUpdate& m : admission.members) {
      peers.push_back(PeerEntry{m.address, m.name});
    }
    self = static_cast<std::uint32_t>(peers.size());
    peers.push_back(PeerEntry{dataAddress, name});
    std::memcpy(flat.data(), admission.model.data(), admission.model.size() * sizeof(float));
    metrics.counter("bytes_received_total{kind=\"state_transfer\"}")
        .add(admission.model.size() * sizeof(float));
    MURMUR_LOG(kInfo,
               "join",
               "{} let us in: {} members, its model ({} parameters), topology {}, rate {}",
               admission.seed,
               peers.size(),
               admission.model.size(),
               run.topology,
               run.rate);
  }
  const auto n = static_cast<std::uint32_t>(peers.size());

  // Topology and A²CiD² constants, from the lists gossip will actually sample.
  std::vector<std::string> names;
  for (const PeerEntry& p : peers) {
    names.push_back(p.name);
  }
  gossip::NeighbourLists topology;
  try {
    topology = gossip::makeTopology(run.topology, names);
  } catch (const runtime::Error& e) {
    if (!joining) {
      throw;
    }
    topology = gossip::completeTopology(n);  // see Peer::rebuildTopology
  }
  momentum::AcidParams acid;
  if (swarmAcid) {
    acid = *swarmAcid;  // a joiner keeps the swarm's constants
  } else {
    momentum::AcidConstants constants = momentum::computeAcidConstants(topology, run.rate);
    acid = run.momentum ? momentum::AcidParams::from(constants) : momentum::AcidParams::baseline();
    if (run.momentum && constants.equalsBaseline) {
      MURMUR_LOG(kWarn,
                 "momentum",
                 "on the {} topology A²CiD² equals the baseline (α̃ = ½): running plain gossip",
                 run.topology);
    }
    if (run.errorFeedback() && acid.alphaTilde > momentum::kMaxAlphaTildeWithErrorFeedback) {
      MURMUR_LOG(kWarn,
                 "momentum",
                 "α̃ capped from {:.3f} to {} under top-k or sign LBGM (above it the momentum "
                 "extrapolates the public copies' lag and diverges)",
                 acid.alphaTilde,
                 momentum::kMaxAlphaTildeWithErrorFeedback);
      acid = acid.capped(momentum::kMaxAlphaTildeWithErrorFeedback);
    }
    runHash = run.hash(flat.signature(), o.independentInit);
  }

  // Data: founders take shard `self` of n; a joiner one of the swarm's shards, by its name.
  const std::uint32_t shardIndex =
      joining ? static_cast<std::uint32_t>(runtime::stableHash(name) % run.shards) : self;
  Dataset myShard =
      shard(train, shardIndex, run.shards, shardModeFromName(o.shard), run.seed, o.dirichletAlpha);
  TrainerOptions trainerOptions = o.trainer;
  trainerOptions.seed = runtime::Rng(o.seed).fork("data-order:" + name).next();
  trainerOptions.totalSteps = o.steps;
  Trainer trainer(*model, myShard, trainerOptions);

  MURMUR_LOG(kInfo,
             "peer",
             "{} of {} peers, model {} ({} parameters), shard {} samples, topology {} (η={:.4f}, "
             "α̃={:.4f}{}), rate {}",
             self,
             n,
             model->name(),
             flat.numel(),
             myShard.size(),
             run.topology,
             acid.eta,
             acid.alphaTilde,
             run.momentum ? "" : ", baseline",
             run.rate);

  // Comm.
  // --resume: the newest valid checkpoint of this name (a joiner starts from the swarm instead).
  std::int64_t firstStep = 0;
  if (o.resume) {
    MURMUR_REQUIRE(!o.checkpointDir.empty(), "--resume needs --checkpoint-dir");
    std::vector<std::string> problems;
    std::optional<Checkpoint> saved =
        joining ? std::nullopt
                : loadLatestCheckpoint(o.checkpointDir, name, flat.signature(), &problems);
    for (const std::string& problem : problems) {
      MURMUR_LOG(kWarn, "checkpoint", "skipping {}", problem);
    }
    if (joining) {
      MURMUR_LOG(kInfo, "checkpoint", "joining: starting from the swarm's model, not a checkpoint");
    } else if (!saved) {
      MURMUR_LOG(kWarn,
                 "checkpoint",
                 "no usable checkpoint of {} in {}: starting from scratch",
                 name,
                 o.checkpointDir);
    } else {
      std::memcpy(flat.data(), saved->parameters.data(), saved->parameters.size() * sizeof(float));
      firstStep = std::min(saved->step, o.steps);
      trainer.resumeAt(firstStep);
      MURMUR_LOG(kInfo,
                 "checkpoint",
                 "resumed from step {} (saved {:.0f} s ago); the momentum gap restarts at zero",
                 saved->step,
                 unixSeconds() - saved->unixSeconds);
    }
  }
  SharedModelState state(flat.data(), static_cast<std::size_t>(flat.numel()), acid, start);

  // What the control endpoint shows.
  StatusSettings settings;
  settings.name = name;
  settings.address = dataAddress;
  settings.control = advertised;
  settings.model = model->name();
  settings.parameters = flat.numel();
  settings.steps = o.steps;
  settings.topology = run.topology;
  settings.rate = run.rate;
  settings.momentum = run.momentum;
  settings.gossip = run.gossip;
  settings.eta = acid.eta;
  settings.alphaTilde = acid.alphaTilde;
  settings.seed = run.seed;
  settings.protocolVersion = wire::kProtocolVersion;
  settings.sync = run.sync;
  settings.codec = run.codec;
  settings.syncCodec = run.syncCodec;
  settings.lbgmDelta = run.lbgmDelta;
  settings.lbgmTopk = run.lbgmTopk;
  settings.lbgmGamma = run.lbgmGamma;
  settings.lbgmSign = run.lbgmSign;
  const ExchangeCodecOptions codecOptions = makeCodecOptions(run, flat);
  settings.lbgmUnits = compression::lbgmUnits(codecOptions.tensorSizes).size();
  settings.fdaVariant = run.sync == "fda" ? run.fdaVariant : "";
  StatusBoard board(settings, metrics, clock);

  struct StopServingOnExit {  // before the board goes: handlers read it
    std::unique_ptr<control::ControlServer>& server;

    ~StopServingOnExit() { server.reset(); }
  } stopServing{controlServer};

  if (controlServer) {
    controlServer->serve(control::ControlHandlers{[&] { return board.statusJson(); },
                                                  [&] { return board.membersJson(); },
                                                  [&] { return metrics.renderPrometheus(); },
                                                  [this] { requestLeave(); }});
    MURMUR_LOG(kInfo,
               "peer",
               "control endpoint http://{} (try: murmur status --control {})",
               controlServer->boundAddress(),
               settings.control);
  }
  for (std::uint32_t j = 0; j < n; ++j) {
    if (j != self) {
      transport.connect(j, peers[j].address);
    }
  }
  ExchangeBudget budget(gossip::CreditOptions{run.rate, 0},
                        runtime::Rng(o.seed).fork("credits:" + name).next());
  PeerOptions peerOptions;
  peerOptions.self = runtime::PeerId{self};
  peerOptions.peers = peers;
  peerOptions.topology = topology;
  peerOptions.topologySpec = run.topology;
  peerOptions.runHash = runHash;
  peerOptions.incarnation = incarnation;
  peerOptions.modelSignature = flat.signature();
  peerOptions.modelName = model->name();
  peerOptions.runConfig = run.json(acid);
  peerOptions.seed = runtime::Rng(o.seed).fork("peer:" + name).next();
  peerOptions.exchange = o.exchange;
  peerOptions.membership = o.membership;
  peerOptions.finalTimeout = runtime::fromSeconds(o.finalTimeoutSeconds);
  peerOptions.gossipEnabled = run.gossip;
  peerOptions.codec = codecOptions;
  const SyncSetup syncSetup = makeSyncSetup(run, static_cast<std::size_t>(flat.numel()));
  SyncMailbox mailbox;
  peerOptions.sync = syncSetup.options;
  peerOptions.threshold = syncSetup.threshold;
  peerOptions.mailbox = &mailbox;
  if (syncSetup.options.mode != SyncMode::kNone) {
    MURMUR_LOG(kInfo,
               "sync",
               "global syncs: {}{}",
               run.sync,
               syncSetup.options.mode == SyncMode::kFda
                   ? fmt::format(" ({} estimator, Θ {} = {:.4g} to start)",
                                 run.fdaVariant,
                                 run.fdaTheta,
                                 syncSetup.threshold.theta())
               : syncSetup.options.mode == SyncMode::kPeriodic
                   ? fmt::format(" every {} steps", syncSetup.options.period)
                   : std::string());
  }
  peerOptions.control = settings.control;
  peerOptions.board = &board;
  Peer peer(peerOptions, transport, state, budget, metrics, clock);

  // Written once by comm before the flag is raised (release), read by compute after (acquire).
  std::exception_ptr commFailure;
  std::atomic<bool> commFailed{false};
  std::thread comm([&] {
    pthread_setname_np(pthread_self(), "murmur-comm");  // tells the threads apart in top -H, perf
    struct CloseMailbox {  // a compute thread waiting for a sync must not wait for a dead comm
      SyncMailbox& mailbox;

      ~CloseMailbox() { mailbox.close(); }
    } closeMailbox{mailbox};
    try {
      peer.run();
    } catch (...) {
      commFailure = std::current_exception();
      commFailed.store(true, std::memory_order_release);
      MURMUR_LOG(kError, "peer", "comm thread failed; stopping");
    }
  });

  struct JoinOnExit {
    Peer& peer;
    std::thread& thread;

    ~JoinOnExit() {
      peer.requestStop();
      if (thread.joinable()) {
        thread.join();
      }
    }
  } joinOnExit{peer, comm};

  // Compute loop (a resumed run continues the step count of its checkpoint).
  auto stepsDone = [&] { return firstStep + trainer.steps(); };
  PeerSummary summary;
  summary.name = name;
  summary.control = settings.control;
  summary.index = self;
  summary.eta = acid.eta;
  summary.alphaTilde = acid.alphaTilde;
  summary.conservedMomentStart = state.conservedMoment();
  runtime::Counter& stepCounter = metrics.counter("steps_total", "local gradient steps");
  runtime::Gauge& lossGauge = metrics.gauge("loss", "training loss (EMA)");
  double lossEma = 0;
  double lastAccuracy = -1;
  double computeWait = 0;
  double nextEval = o.evalIntervalSeconds > 0 ? 0.0 : INFINITY;
  double nextProgress = 0;
  auto recordTimeline = [&] {
    Evaluation e = evaluate(*model, test, o.evalSamples);
    lastAccuracy = e.accuracy;
    summary.accuracyTimeline.emplace_back(sinceOrigin(), e.accuracy);
    const auto bytes = sumCounters(metrics, "bytes_sent_total", kSentKinds);
    summary.progressTimeline.push_back(PeerSummary::ProgressPoint{stepsDone(), e.accuracy, bytes});
    summary.timeline.push_back(PeerSummary::TimelinePoint{sinceOrigin(),
                                                          stepsDone(),
                                                          lossEma,
                                                          e.accuracy,
                                                          bytes,
                                                          state.partnerDistance().value_or(-1)});
    state.measurePartnerDistance();  // for the next point
    state.skipNextInterval();
  };
  auto progress = [&](const char* phase) {
    board.postProgress(StatusProgress{phase, stepsDone(), lossEma, lastAccuracy, computeWait});
    if (!o.onProgress) {
      return;
    }
    nlohmann::json line = {
        {"event", "progress"},
        {"phase", phase},
        {"peer", name},
        {"control", settings.control},
        {"t", sinceOrigin()},
        {"step", stepsDone()},
        {"steps", o.steps},
        {"loss", lossEma},
        {"test_accuracy", lastAccuracy},
        {"exchanges", counter(metrics, "exchanges_total{result=\"applied\"}")},
        {"bytes_sent", sumCounters(metrics, "bytes_sent_total", kSentKinds)},
    };
    o.onProgress(line.dump());
  };
  auto saveCheckpoint = [&](const char* why) {
    if (o.checkpointDir.empty()) {
      return;
    }
    Checkpoint c{name, flat.signature(), stepsDone(), unixSeconds(), {}};
    c.parameters.resize(static_cast<std::size_t>(flat.numel()));
    state.copyParameters(clock.now(), c.parameters.data());
    try {
      std::string path = writeCheckpoint(o.checkpointDir, c);
      metrics.counter("checkpoints_total").add();
      MURMUR_LOG(kInfo, "checkpoint", "{}: wrote {}", why, path);
    } catch (const runtime::Error& e) {
      MURMUR_LOG(kWarn, "checkpoint", "{}: {}", why, e.what());  // training goes on
    }
  };
  double nextCheckpoint = o.checkpointEverySeconds > 0 ? o.checkpointEverySeconds : INFINITY;

  // Global syncs, the compute side: FDA's local state of the drift from the last synced model
  // after every step; in the lockstep modes, a wait for the sync every `period` steps.
  const SyncMode syncMode = syncSetup.options.mode;
  std::optional<sync::FdaEstimator> estimator;
  if (syncMode == SyncMode::kFda) {
    estimator.emplace(syncSetup.options.variant,
                      static_cast<std::size_t>(flat.numel()),
                      run.seed,
                      syncSetup.options.sketch);
  }
  // The reference every peer shares: the start model (identical: one seed) until the first sync.
  std::shared_ptr<const std::vector<float>> reference =
      std::make_shared<const std::vector<float>>(flat.data(), flat.data() + flat.numel());
  std::uint64_t syncEpoch = 0;
  std::uint64_t installs = 0;
  bool evaluationDue = false;  // sync without gossip: the evaluation waits for an install
  std::uint64_t installsAtDue = 0;
  std::int64_t stepsSinceSync = 0;
  double syncWait = 0;
  constexpr std::size_t kDigestsKept = 256;
  // FDA states are comparable across peers only when measured from a reference they all hold:
  // founders start from the same seed's model; a joiner, a resumed peer or independent initial
  // weights do not, and post nothing until a sync gives them the swarm's reference (they ask for
  // one at once). LinearFDA's ξ needs the previous reference shared too: after a jump over epochs
  // (a catch-up) it is not, and that round is skipped as well.
  const bool linear = estimator && estimator->variant() == sync::FdaVariant::kLinear;
  bool referenceShared = !joining && firstStep == 0 && !o.independentInit;
  bool directionShared = referenceShared;
  if (syncMode == SyncMode::kFda && !referenceShared) {
    mailbox.requestSync(0);
  }
  auto installed = [&](const SharedModelState::Installed& in) {
    directionShared = !linear || (referenceShared && in.epoch == syncEpoch + 1);
    referenceShared = true;
    if (linear) {
      estimator->setDirection(in.mean->data(), reference->data());
    }
    reference = in.mean;
    syncEpoch = in.epoch;
    ++installs;
    stepsSinceSync = 0;
    summary.syncDigests.emplace_back(in.epoch, modelDigest(*in.mean));
    if (summary.syncDigests.size() > kDigestsKept) {
      summary.syncDigests.erase(summary.syncDigests.begin());
    }
  };
  auto afterStep = [&](std::int64_t step) {
    if (std::optional<SharedModelState::Installed> in = state.takeInstalled()) {
      installed(*in);
    }
    ++stepsSinceSync;
    if (syncMode == SyncMode::kFda) {
      // A check every `fdaCheckEvery` steps of the round (spec §4.1 checkEvery): a pass over the
      // model and a state to every member each time.
      if (referenceShared && directionShared && stepsSinceSync % run.fdaCheckEvery == 0) {
        mailbox.postState(
            SyncMailbox::PostedState{syncEpoch,
                                     static_cast<std::uint64_t>(step),
                                     estimator->localState(flat.data(), reference->data())});
        peer.notify();
      }
    } else if (syncMode != SyncMode::kNone && stepsSinceSync >= syncSetup.options.period) {
      const runtime::TimePoint waitStart = clock.now();
      const std::uint64_t awaited = syncEpoch + 1;
      mailbox.requestSync(syncEpoch);
      peer.notify();
      while (!mailbox.waitSynced(awaited, std::chrono::milliseconds(200)) && !stop_.load() &&
             !commFailed.load(std::memory_order_acquire)) {
      }
      state.applyQueued(clock.now());
      if (std::optional<SharedModelState::Installed> in = state.takeInstalled()) {
        installed(*in);
      }
      const double waited = runtime::toSeconds(clock.now() - waitStart);
      syncWait += waited;
      state.skipNextInterval();  // the wait is no step interval of the ODE clock
    }
  };
  // Founders train together: a peer that started first would otherwise train alone for as long as
  // the others take to load (seconds with 8 processes on 2 cores: all of a short run).
  if (!joining && firstStep == 0 && o.startWaitSeconds > 0 && o.peers.size() > 1) {
    const runtime::TimePoint deadline = clock.now() + runtime::fromSeconds(o.startWaitSeconds);
    Peer::ListedPeers listed = peer.waitListedPeers(std::chrono::milliseconds(0));
    while (!listed.settled && !stop_.load() && !commFailed.load(std::memory_order_acquire) &&
           clock.now() < deadline) {
      MURMUR_LOG(kInfo,
                 "peer",
                 "waiting for {} of {} peers to come up before training: {}",
                 listed.neverHeard.size(),
                 o.peers.size(),
                 fmt::join(listed.neverHeard, ", "));
      progress("waiting");
      listed = peer.waitListedPeers(
          std::min<runtime::Duration>(std::chrono::seconds(5), deadline - clock.now()));
    }
    if (listed.neverHeard.empty()) {
      MURMUR_LOG(kInfo, "peer", "heard from every listed peer: training");
    } else if (!stop_.load()) {
      MURMUR_LOG(kWarn,
                 "peer",
                 "starting without {} (not heard from in --start-wait {} s)",
                 fmt::join(listed.neverHeard, ", "),
                 o.startWaitSeconds);
    }
  }
  const runtime::TimePoint trainStart = clock.now();
  for (std::int64_t step = firstStep; step < o.steps && !stop_.load(); ++step) {
    if (commFailed.load(std::memory_order_acquire)) {
      break;
    }
    double loss = trainer.computeGradients();
    state.gradientStep(clock.now(), [&] { trainer.applyUpdate(); });
    lossEma = step == 0 ? loss : 0.98 * lossEma + 0.02 * loss;
    lossGauge.set(lossEma);
    stepCounter.add();
    peer.setLocalStep(static_cast<std::uint64_t>(stepsDone()));
    afterStep(stepsDone());
    if (run.gossip) {
      if (budget.earnForStep()) {
        peer.notify();  // a wake-up per step would cost comm a context switch per step
      }
      computeWait += budget.waitWhileOverCap(std::chrono::milliseconds(200));
    }
    double t = runtime::toSeconds(clock.now() - start);
    // Sync without gossip: the local models drift apart between syncs, and what the swarm has is
    // the synced model, so the timeline evaluates right after a sync (specs/fda.md pitfall 10).
    const bool evaluateAtSyncs = syncMode != SyncMode::kNone && !run.gossip && step > 0;
    if (t >= nextEval && evaluateAtSyncs && !evaluationDue) {
      evaluationDue = true;
      installsAtDue = installs;
    }
    if (t >= nextEval && (!evaluateAtSyncs || installs > installsAtDue)) {
      recordTimeline();
      evaluationDue = false;
      nextEval = t + o.evalIntervalSeconds;
    }
    if (t >= nextCheckpoint) {
      saveCheckpoint("periodic");
      nextCheckpoint = t + o.checkpointEverySeconds;
    }
    if (t >= nextProgress) {
      progress("training");
      nextProgress = t + o.progressIntervalSeconds;
      if (!o.onProgress && static_cast<int>(t) % 10 == 0) {
        MURMUR_LOG(kInfo,
                   "peer",
                   "step {}/{} loss {:.3f} test acc {:.3f}",
                   stepsDone(),
                   o.steps,
                   lossEma,
                   lastAccuracy);
      }
    }
  }
  if (commFailed.load(std::memory_order_acquire)) {
    std::rethrow_exception(commFailure);
  }
  summary.trainSeconds = runtime::toSeconds(clock.now() - trainStart);
  summary.steps = stepsDone();
  if (leave_.load()) {
    state.stopTraining(clock.now());
    peer.leave();
    // advanceLeave() bounds the wait for the exchange in flight; this only bounds a stuck loop.
    const runtime::TimePoint deadline = clock.now() + std::chrono::seconds(4);
    while (!peer.hasLeft() && clock.now() < deadline && !commFailed.load()) {
      peer.waitLeft(std::chrono::milliseconds(100));
    }
    saveCheckpoint("on leave");
    summary.left = true;
    summary.finalProblem = "left the swarm before the end";
    summary.wallSeconds = sinceOrigin();
    summary.exchangesApplied = counter(metrics, "exchanges_total{result=\"applied\"}");
    summary.metrics = metrics.renderPrometheus();
    progress("left");
    return summary;
  }
  if (o.evalIntervalSeconds > 0) {
    recordTimeline();
  }
  Evaluation local = evaluate(*model, test);
  summary.testAccuracyLocal = local.accuracy;
  summary.steps = stepsDone();
  summary.epochs = trainer.epochs();
  summary.finalLoss = lossEma;
  summary.computeWaitSeconds = computeWait;
  MURMUR_LOG(kInfo,
             "peer",
             "trained {} steps ({:.2f} epochs of the shard): local test accuracy {:.4f}",
             stepsDone(),
             trainer.epochs(),
             local.accuracy);

  // End of run: everyone averages exactly, then evaluates the average.
  state.stopTraining(clock.now());
  peer.finishTraining();
  progress("averaging");
  std::optional<FinalResult> final;
  while (!(final = peer.waitFinal(std::chrono::milliseconds(500)))) {
    if (commFailed.load(std::memory_order_acquire)) {
      std::rethrow_exception(commFailure);
    }
    progress("averaging");
  }
  summary.averaged = final->averaged;
  summary.finalMembers = final->members;
  summary.finalProblem = final->problem;
  summary.consensusDistanceFinal = final->consensusDistance;
  summary.conservedMomentFinal = final->conservedMoment;
  if (final->averaged) {
    summary.testAccuracyAverage = evaluate(*model, test).accuracy;
    lastAccuracy = summary.testAccuracyAverage;
    MURMUR_LOG(kInfo, "peer", "averaged model test accuracy {:.4f}", summary.testAccuracyAverage);
  }
  saveCheckpoint(final->averaged ? "the swarm average" : "end of training");
  summary.wallSeconds = sinceOrigin();
  summary.exchangesApplied = counter(metrics, "exchanges_total{result=\"applied\"}");
  summary.exchangesInitiated = counter(metrics, "exchanges_initiated_total");
  summary.exchangesBusy = counter(metrics, "exchanges_total{result=\"busy\"}");
  summary.exchangesTimedOut = counter(metrics, "exchanges_total{result=\"timeout\"}");
  summary.bytesSent = sumCounters(metrics, "bytes_sent_total", kSentKinds);
  for (const std::string& kind : kSentKinds) {
    summary.bytesSentByKind.emplace_back(kind.substr(6, kind.size() - 7),  // kind="model" → model
                                         counter(metrics, "bytes_sent_total{" + kind + "}"));
  }
  summary.syncMode = run.sync;
  summary.syncs = counter(metrics, "syncs_total");
  summary.syncEpoch = static_cast<std::uint64_t>(metrics.read("sync_epoch"));
  summary.fdaEstimate = metrics.read("fda_estimate");
  summary.fdaTheta = metrics.read("fda_theta");
  summary.syncWaitSeconds = syncWait;
  recordCodec(summary, run.codec, peerOptions.codec, metrics);
  summary.syncCodec = run.syncCodec;
  summary.syncCodecRings =
      counter(metrics, fmt::format("sync_codec_rings_total{{codec=\"{}\"}}", run.syncCodec));
  summary.syncCodecFallbacks =
      counter(metrics, fmt::format("sync_codec_fallbacks_total{{codec=\"{}\"}}", run.syncCodec));
  if (run.syncCodec == "lhc") {
    for (std::uint8_t f = 0; f < compression::kSumForms; ++f) {
      const std::string_view form = compression::sumFormName(static_cast<compression::SumForm>(f));
      summary.syncChunkForms[std::string(form)] =
          counter(metrics, fmt::format("lhc_sum_chunks_total{{form=\"{}\"}}", form));
    }
  }
  summary.bytesReceived =
      sumCounters(metrics, "bytes_received_total", {"kind=\"model\"", "kind=\"control\""});
  summary.messagesDropped = droppedMessages(metrics);
  summary.realisedRate = budget.realisedRate();
  progress("finished");
  summary.metrics = metrics.renderPrometheus();
  return summary;
}

}  // namespace murmur::peer
