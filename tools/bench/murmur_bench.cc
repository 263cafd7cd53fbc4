// murmur-bench: measures murmur's hot paths against the physical limit measured in the same run,
// and prints ratios (docs/BENCHMARKS.md has the latest results and the commands).
//   exchange  pairwise A²CiD² exchanges between two peers on loopback vs raw ZeroMQ
//   mix       the mix and exchange passes vs memcpy bandwidth
//   steps     compute steps/s of a local swarm with gossip at r = 1 vs gossip off
//   join      a joiner's admission (member list + model transfer) vs raw ZeroMQ
//   failure   time until every survivor declares a crashed member dead, vs the 5 s target
//   fda       bytes to an accuracy: every-step and periodic syncs, FDA, gossip (issue 4)
//   lbgm      bytes to an accuracy of gossip under each codec: raw, fp16, lossless, LBGM (issue 5)
//   codec     encode/decode speed of every codec vs memcpy; LHC aggregation vs decode-sum-encode
//   lhc       sync-ring bytes with --sync-codec raw vs lhc on sparse updates (bagrec)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "gossip/topology.h"
#include "momentum/acid_state.h"
#include "peer/exchange_budget.h"
#include "peer/peer.h"
#include "peer/shared_model_state.h"
#include "peer/transport/zmq_transport.h"
#include "runtime/metrics.h"
#include "tools/bench/codec_bench.h"
#include "tools/bench/failure_bench.h"
#include "tools/bench/fda_bench.h"
#include "tools/bench/join_bench.h"
#include "tools/bench/lbgm_bench.h"
#include "tools/bench/lhc_bench.h"
#include "tools/bench/raw_zmq.h"
#include "tools/bench/sim_bench.h"
#include "tools/bench/swarm_runs.h"
#include "tools/common/malloc_tuning.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace murmur::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Two real Peers (comm threads, handshake, snapshots, validation, A²CiD² apply) exchanging
// `rounds` times. After training (stepMs = 0) the comm threads apply deltas directly; otherwise a
// stand-in compute thread per peer takes an empty gradient step every `stepMs` (a 10 M-parameter
// model takes tens of ms per step on a CPU core), so exchanges queue for it and comm's
// snapshots predict them, as while a model trains.
struct ExchangeResult {
  double gbps = 0;
  double cpuPerRound = 0;  // seconds of CPU per exchange, both peers and all their threads
};

ExchangeResult peerExchanges(std::size_t numel, int rounds, int stepMs) {
  using namespace peer;
  runtime::SteadyClock clock;
  std::vector<float> xa(numel, 1.0F);
  std::vector<float> xb(numel, 2.0F);
  momentum::AcidParams acid{0.58, 0.58};  // ring-4 constants: the full A²CiD² path with a gap
  SharedModelState sa(xa.data(), numel, acid, clock.now());
  SharedModelState sb(xb.data(), numel, acid, clock.now());
  std::atomic<bool> stepping{true};
  auto compute = [&](SharedModelState& state) {
    while (stepping.load()) {
      state.gradientStep(clock.now(), [] {});
      std::this_thread::sleep_for(std::chrono::milliseconds(stepMs));  // benchmark, not a test
    }
    state.stopTraining(clock.now());
  };
  std::thread computeA;
  std::thread computeB;
  if (stepMs > 0) {
    computeA = std::thread([&] { compute(sa); });
    computeB = std::thread([&] { compute(sb); });
  } else {
    sa.stopTraining(clock.now());
    sb.stopTraining(clock.now());
  }
  transport::TransportOptions oa{"tcp://127.0.0.1:*", "bench-a"};
  transport::TransportOptions ob{"tcp://127.0.0.1:*", "bench-b"};
  transport::ZmqTransport ta(oa);
  transport::ZmqTransport tb(ob);
  ta.connect(1, tb.boundAddress());
  tb.connect(0, ta.boundAddress());
  PeerOptions po;
  po.peers = {{ta.boundAddress(), "bench-a"}, {tb.boundAddress(), "bench-b"}};
  po.topology = gossip::ringTopology(2);
  po.runHash = 1;
  po.exchange.replyTimeout = std::chrono::seconds(10);
  po.exchange.paramsTimeout = std::chrono::seconds(10);
  PeerOptions pa = po;
  pa.self = runtime::PeerId{0};
  PeerOptions pb = po;
  pb.self = runtime::PeerId{1};
  // Poisson(2(rounds + warm-up) + 20) credits: more than the exchanges need, with certainty in
  // practice (the surplus runs after the clock stops).
  ExchangeBudget ba(gossip::CreditOptions{2.0 * (rounds + kWarmupRounds) + 20, 1e9}, 1);
  ExchangeBudget bb(gossip::CreditOptions{1.0, 1e9}, 2);
  runtime::MetricsRegistry ma;
  runtime::MetricsRegistry mb;
  Peer a(pa, ta, sa, ba, ma, clock);
  Peer b(pb, tb, sb, bb, mb, clock);
  std::thread threadB([&] { b.run(); });
  std::thread threadA([&] { a.run(); });
  const std::string applied = "exchanges_total{result=\"applied\"}";
  // Warm-up exchanges, then the timed ones (credits are granted all at once).
  ba.earnForStep();
  a.notify();
  while (ma.read(applied) < kWarmupRounds) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // benchmark, not a test
  }
  auto start = Clock::now();
  double cpuStart = processCpuSeconds();
  while (ma.read(applied) < rounds + kWarmupRounds || mb.read(applied) < rounds + kWarmupRounds) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  double seconds = secondsSince(start);
  double cpu = processCpuSeconds() - cpuStart;
  stepping.store(false);
  if (stepMs > 0) {
    computeA.join();
    computeB.join();
  }
  a.requestStop();
  b.requestStop();
  threadA.join();
  threadB.join();
  return {2.0 * rounds * static_cast<double>(numel * sizeof(float)) / seconds / 1e9, cpu / rounds};
}

int exchangeCommand(std::size_t numel, int rounds, int stepMs, bool json) {
  const bool training = stepMs > 0;
  RawResult raw = rawZmq(numel, rounds);
  ExchangeResult exchange = peerExchanges(numel, rounds, stepMs);
  double ratio = exchange.gbps / raw.pingPongGbps;
  // A round cannot take less wall time than its CPU spread over every core: with murmur's
  // CPU per round, this is the best ratio any scheduling of the same work could reach.
  const double bytesPerRound = 2.0 * static_cast<double>(numel * sizeof(float));
  const double rawRound = bytesPerRound / raw.pingPongGbps / 1e9;
  const double cores = static_cast<double>(std::thread::hardware_concurrency());
  const double cpuBoundRatio = rawRound / std::max(rawRound, exchange.cpuPerRound / cores);
  if (json) {
    nlohmann::json out = {{"params", numel},
                          {"training_step_ms", stepMs},
                          {"exchange_gbps", exchange.gbps},
                          {"raw_zmq_gbps", raw.pingPongGbps},
                          {"raw_zmq_bidirectional_gbps", raw.bidirectionalGbps},
                          {"ratio", ratio},
                          {"exchange_cpu_ms_per_round", exchange.cpuPerRound * 1e3},
                          {"raw_zmq_cpu_ms_per_round", raw.pingPongCpuPerRound * 1e3},
                          {"cpu_bound_ratio", cpuBoundRatio}};
    std::puts(out.dump().c_str());
  } else {
    std::printf(
        "exchange of %zu float32 parameters (%.1f MB each way), %d rounds, %s:\n"
        "  murmur pairwise exchange   %6.2f GB/s\n"
        "  raw ZeroMQ ping-pong       %6.2f GB/s   (same bytes, same order)\n"
        "  raw ZeroMQ both ways       %6.2f GB/s\n"
        "  ratio to ping-pong         %6.2f   (target >= 0.8)\n"
        "  CPU per round              %6.1f ms murmur, %.1f ms raw ping-pong (%.0f ms wall)\n"
        "  best ratio for murmur's CPU on %.0f cores: %.2f\n",
        numel,
        static_cast<double>(numel) * 4 / 1e6,
        rounds,
        training ? "while training (a step every --training ms applies the queued deltas)"
                 : "after training (comm applies deltas)",
        exchange.gbps,
        raw.pingPongGbps,
        raw.bidirectionalGbps,
        ratio,
        exchange.cpuPerRound * 1e3,
        raw.pingPongCpuPerRound * 1e3,
        rawRound * 1e3,
        cores,
        cpuBoundRatio);
  }
  return 0;
}

// The shortest of `repeats` runs of a pass, in seconds.
template <typename Fn>
double bestSeconds(int repeats, Fn&& pass) {
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    auto start = Clock::now();
    pass();
    const double seconds = secondsSince(start);
    best = r == 0 ? seconds : std::min(best, seconds);
  }
  return best;
}

// Bandwidth (bytes read + written per second) of a pass, best of `repeats`.
template <typename Fn>
double passGbps(double bytesTouched, int repeats, Fn&& pass) {
  return bytesTouched / bestSeconds(repeats, pass) / 1e9;
}

int mixCommand(std::size_t numel, int repeats, bool json) {
  const double n = static_cast<double>(numel) * sizeof(float);
  std::vector<float> x(numel, 1.0F);
  std::vector<float> peer(numel, 2.0F);
  std::vector<float> self(numel, 1.5F);
  std::vector<float> copy(numel);
  momentum::AcidState state(x.data(), numel, momentum::AcidParams{0.035, 7.26});
  double memcpyGbps = passGbps(
      2 * n, repeats, [&] { std::memcpy(copy.data(), peer.data(), numel * sizeof(float)); });
  // Exchange: reads peer, self, x, d; writes x, d.
  double exchangeGbps =
      passGbps(6 * n, repeats, [&] { state.applyExchange(peer.data(), self.data()); });
  double t = 0;
  // Mix: reads x, d; writes x, d.
  double mixGbps = passGbps(4 * n, repeats, [&] {
    t += 1.0;
    state.mixTo(t);
  });
  // Fused mix + exchange (the replay and post-training path): reads peer, self, x, d; writes x, d.
  double fusedGbps = passGbps(6 * n, repeats, [&] {
    t += 1.0;
    state.mixAndApplyExchange(t, peer.data(), self.data());
  });
  std::vector<float> snapshot(numel);
  double snapshotGbps =
      passGbps(3 * n, repeats, [&] { state.snapshotAt(t + 0.5, snapshot.data()); });
  // The comm thread's snapshot while training, with exchanges queued for the compute thread:
  // one queued (the common case) is a single pass reading x, d, peer, self and writing the
  // snapshot; two or more replay on a copy (14 streams for the first, 6 per further one).
  std::vector<float> gapScratch(numel);
  using Pending = momentum::AcidState::PendingExchange;
  const std::vector<Pending> oneQueued = {{t + 0.25, peer.data(), self.data()}};
  const std::vector<Pending> twoQueued = {{t + 0.25, peer.data(), self.data()},
                                          {t + 0.25, self.data(), peer.data()}};
  double predictOneGbps = passGbps(5 * n, repeats, [&] {
    state.predictAt(oneQueued, t + 0.5, snapshot.data(), gapScratch.data());
  });
  double predictTwoSeconds = bestSeconds(
      repeats, [&] { state.predictAt(twoQueued, t + 0.5, snapshot.data(), gapScratch.data()); });
  momentum::AcidState baseline(x.data(), numel, momentum::AcidParams::baseline());
  double baselineGbps =
      passGbps(4 * n, repeats, [&] { baseline.applyExchange(peer.data(), self.data()); });
  double ratio = std::min(exchangeGbps, mixGbps) / memcpyGbps;
  if (json) {
    nlohmann::json out = {{"params", numel},
                          {"memcpy_gbps", memcpyGbps},
                          {"exchange_apply_gbps", exchangeGbps},
                          {"mix_gbps", mixGbps},
                          {"fused_mix_apply_gbps", fusedGbps},
                          {"snapshot_gbps", snapshotGbps},
                          {"predicted_snapshot_one_queued_ms", 5 * n / predictOneGbps / 1e6},
                          {"predicted_snapshot_two_queued_ms", predictTwoSeconds * 1e3},
                          {"baseline_apply_gbps", baselineGbps},
                          {"ratio_to_memcpy", ratio}};
    std::puts(out.dump().c_str());
  } else {
    std::printf(
        "A²CiD² passes over %zu float32 parameters (bytes read + written per second, best of %d):\n"
        "  memcpy                     %6.2f GB/s\n"
        "  exchange apply (x, d)      %6.2f GB/s   %.2fx memcpy\n"
        "  mix to t (x, d)            %6.2f GB/s   %.2fx memcpy\n"
        "  fused mix + apply (x, d)   %6.2f GB/s   %.2fx memcpy\n"
        "  snapshot (x + p d)         %6.2f GB/s   %.2fx memcpy\n"
        "  snapshot, 1 exchange queued %5.2f GB/s   %.2fx memcpy (%.2f ms; 2 queued: %.2f ms)\n"
        "  baseline apply (x only)    %6.2f GB/s   %.2fx memcpy\n"
        "  ratio_to_memcpy (worst of mix, apply) %.2f   (target >= 0.5)\n",
        numel,
        repeats,
        memcpyGbps,
        exchangeGbps,
        exchangeGbps / memcpyGbps,
        mixGbps,
        mixGbps / memcpyGbps,
        fusedGbps,
        fusedGbps / memcpyGbps,
        snapshotGbps,
        snapshotGbps / memcpyGbps,
        predictOneGbps,
        predictOneGbps / memcpyGbps,
        5 * n / predictOneGbps / 1e6,
        predictTwoSeconds * 1e3,
        baselineGbps,
        baselineGbps / memcpyGbps,
        ratio);
  }
  return 0;
}

}  // namespace
}  // namespace murmur::bench

int main(int argc, char** argv) {
  murmur::tools::ensureMallocTuning(argv);
  CLI::App app("murmur-bench: murmur's hot paths against the physical limit, in the same run",
               "murmur-bench");
  app.require_subcommand(1);
  std::size_t params = 10'000'000;
  int rounds = 20;
  bool json = false;
  CLI::App* exchange = app.add_subcommand(
      "exchange", "Pairwise model exchange between two peers vs raw ZeroMQ on loopback");
  exchange->add_option("--params", params, "Model size in float32 parameters")
      ->capture_default_str();
  exchange->add_option("--rounds", rounds, "Exchanges to time")->capture_default_str();
  exchange->add_flag("--json", json, "One JSON object on stdout");
  int stepMs = 0;
  exchange
      ->add_option(
          "--training",
          stepMs,
          "Peers still training: a compute thread per peer takes an empty step every MS "
          "milliseconds, applying the queued deltas while comm's snapshots predict them "
          "(a 10 M-parameter model takes tens of ms per step on a CPU core; 0: after training, "
          "comm applies)")
      ->capture_default_str();
  CLI::App* mix = app.add_subcommand("mix", "A²CiD² mix and exchange passes vs memcpy");
  int repeats = 10;
  mix->add_option("--params", params, "Model size in float32 parameters")->capture_default_str();
  mix->add_option("--repeats", repeats, "Repetitions (best is reported)")->capture_default_str();
  mix->add_flag("--json", json, "One JSON object on stdout");
  murmur::bench::SwarmBenchOptions swarm;
  CLI::App* steps = app.add_subcommand(
      "steps", "Compute steps/s of a local swarm with gossip at r = 1 vs gossip off");
  murmur::bench::addSwarmBenchOptions(*steps, swarm);
  steps->add_flag("--json", json, "One JSON object on stdout");
  std::vector<std::size_t> joinSizes = {1'000'000, 10'000'000, 50'000'000};
  CLI::App* join = app.add_subcommand(
      "join", "A joiner's admission (member list and model snapshot) vs raw ZeroMQ on loopback");
  join->add_option("--params", joinSizes, "Model sizes in float32 parameters")
      ->capture_default_str();
  join->add_option("--rounds", rounds, "Joins per size (the median is reported)")
      ->capture_default_str();
  join->add_flag("--json", json, "One JSON object per size on stdout");
  int kills = 20;
  CLI::App* failure = app.add_subcommand(
      "failure",
      "Time until every survivor declares a crashed member dead (SWIM), over many kills");
  failure->add_option("--kills", kills, "Crashes to time")->capture_default_str();
  failure->add_flag("--json", json, "One JSON object on stdout");
  murmur::bench::FdaBenchOptions fda;
  CLI::App* fdaCommand = app.add_subcommand(
      "fda",
      "Bytes and steps to a test accuracy: all-reduce every step, periodic averaging, FDA "
      "(naive, linear, sketch), gossip, gossip + FDA");
  murmur::bench::addFdaBenchOptions(*fdaCommand, fda);
  fdaCommand->add_flag("--json", json, "One JSON object on stdout");
  murmur::bench::LbgmBenchOptions lbgm;
  CLI::App* lbgmCommand = app.add_subcommand(
      "lbgm", "Bytes to a test accuracy of gossip under each codec: raw, fp16, lossless, LBGM");
  murmur::bench::addLbgmBenchOptions(*lbgmCommand, lbgm);
  lbgmCommand->add_flag("--json", json, "One JSON object on stdout");
  murmur::bench::CodecBenchOptions codecOptions;
  CLI::App* codecCommand = app.add_subcommand(
      "codec",
      "Encode/decode GB/s of every codec vs memcpy; LHC aggregation of K encodings vs "
      "decode-sum-encode");
  codecCommand->add_option("--params", codecOptions.params, "d: float32 values per tensor")
      ->capture_default_str();
  codecCommand->add_option("--densities", codecOptions.densities, "LHC densities")
      ->delimiter(',')
      ->capture_default_str();
  codecCommand->add_option("--contributors", codecOptions.contributors, "LHC: K encodings summed")
      ->delimiter(',')
      ->capture_default_str();
  codecCommand->add_option("--repeats", codecOptions.repeats, "Repetitions (best is reported)")
      ->capture_default_str();
  codecCommand->add_flag("--json", json, "One JSON object on stdout");
  murmur::bench::LhcBenchOptions lhc;
  CLI::App* lhcCommand = app.add_subcommand(
      "lhc", "Sync-ring bytes with --sync-codec raw vs lhc on sparse updates (bagrec)");
  murmur::bench::addLhcBenchOptions(*lhcCommand, lhc);
  lhcCommand->add_flag("--json", json, "One JSON object on stdout");
  murmur::bench::SimBenchOptions simOptions;
  CLI::App* simCommand = app.add_subcommand(
      "sim", "murmur-sim on the A²CiD² spec's scenarios, beside its numbers; speed at 1024 peers");
  murmur::bench::addSimBenchOptions(*simCommand, simOptions);
  simCommand->add_flag("--json", json, "One JSON array on stdout");
  CLI11_PARSE(app, argc, argv);
  if (simCommand->parsed()) {
    return murmur::bench::simCommand(simOptions, json);
  }
  if (lhcCommand->parsed()) {
    return murmur::bench::lhcCommand(lhc, json);
  }
  if (codecCommand->parsed()) {
    return murmur::bench::codecCommand(codecOptions, json);
  }
  if (lbgmCommand->parsed()) {
    return murmur::bench::lbgmCommand(lbgm, json);
  }
  if (fdaCommand->parsed()) {
    return murmur::bench::fdaCommand(fda, json);
  }
  if (failure->parsed()) {
    return murmur::bench::failureCommand(kills, json);
  }
  if (join->parsed()) {
    return murmur::bench::joinCommand(joinSizes, rounds, json);
  }
  if (exchange->parsed()) {
    return murmur::bench::exchangeCommand(params, rounds, stepMs, json);
  }
  if (mix->parsed()) {
    return murmur::bench::mixCommand(params, repeats, json);
  }
  return murmur::bench::stepsCommand(swarm, json);
}
