// murmur-sim: hundreds to thousands of peers on a virtual clock, running the peers' own gossip
// handshake, exchange credits and A²CiD² momentum over a modelled network, in one process.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "runtime/error.h"
#include "tools/common/plot_file.h"
#include "tools/sim/sim_report.h"
#include "tools/sim/simulation.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr const char* kFooter = R"(
Time is virtual: one time unit is one mean gradient interval (--step-ms of virtual time), and
every peer takes Poisson gradient events at rate 1 (stragglers slower). Exchanges follow the real
peers' rules: credits earned at Poisson(r) per step, PROPOSE/ACCEPT/BUSY/PARAMS with the real
timeouts and back-off, snapshot deltas, A²CiD² constants from the topology's spectrum.

Workloads: decay (x_i(0) = cos(2 pi i/n), no gradients), drift (a kick of -0.1 cos(2 pi i/n) per
gradient), noise (white noise --noise per gradient), quadratic (f_i = |x - b_i|^2/2 with
heterogeneous optima, SGD at --lr with gradient noise --noise; loss = mean suboptimality),
fmnist-logreg (softmax regression on Fashion-MNIST, real data, a shard per peer, SGD at --lr;
loss and accuracy = mean local test cross-entropy and accuracy; try --sample-every 10),
fmnist-mlp (the same with the `mlp` built-in, 784-256-128-10: ~30x the compute per step).

Codecs: --codec fp16|bf16|lossless encode every snapshot with murmur's own codec (bytes as
encoded; a cast's rounding is what both ends mix with); --codec lbgm runs LBGM's public copies on
every edge (bytes are the publishes' wire size); --lbgm-topk 0.1 stacks it on top-10 %
sparsification (consensus step 0.25).

Examples:
  murmur-sim --peers 64 --workload drift --until 3000 --burn-in 500 --json
  murmur-sim --peers 64 --workload drift --until 3000 --burn-in 500 --no-momentum --rate 2 --json
  murmur-sim --peers 1024 --topology exponential --workload noise --until 100 --plot sim.svg
  murmur-sim --peers 16 --workload fmnist-logreg --shard label-sorted --until 1000 \
             --sample-every 20 --plot fmnist.svg
  murmur-sim --peers 64 --workload fmnist-logreg --no-momentum --codec lbgm --lbgm-topk 0.1 --json
  murmur-sim --peers 32 --workload quadratic --bandwidth-mbps 10 --model-bytes 246824 \
             --stragglers 0.25:4 --crash 0.1@50 --csv series.csv
  murmur-sim --peers 16 --workload fmnist-logreg --leave 0.25@200 --join 8@300 --until 600
  murmur-sim --peers 256 --membership swim --crash 0.1@50 --until 200 --json
)";

// --membership swim's line of the summary: what SWIM cost and how fast it found the crashes.
std::string swimLine(const murmur::sim::SimResult& r) {
  if (!r.swim) {
    return "";
  }
  char line[256];
  std::snprintf(line,
                sizeof line,
                "  membership (SWIM)    %.3f MB, %llu probe messages; crashes declared DEAD %llu "
                "times, after %.2f s mean, %.2f s max; %llu live peers declared DEAD\n",
                static_cast<double>(r.swim->bytes) / 1e6,
                static_cast<unsigned long long>(r.swim->messages),
                static_cast<unsigned long long>(r.swim->deaths),
                r.swim->detectionSecondsMean,
                r.swim->detectionSecondsMax,
                static_cast<unsigned long long>(r.swim->falseDeaths));
  return line;
}

// "F:X" → (F, X), for --stragglers and --slow-links; "F@T" for --crash, --leave and --join.
std::pair<double, double> splitPair(const std::string& text, char separator, const char* flag) {
  std::size_t at = text.find(separator);
  try {
    if (at != std::string::npos) {
      return {std::stod(text.substr(0, at)), std::stod(text.substr(at + 1))};
    }
  } catch (const std::exception&) {
  }
  throw CLI::ValidationError(flag,
                             "expected SHARE" + std::string(1, separator) + "VALUE, e.g. 0.25" +
                                 separator + "4, not '" + text + "'");
}

bool writeFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  out.close();
  if (!out) {
    std::fprintf(stderr, "murmur-sim: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  murmur::sim::SimOptions o;
  CLI::App app{"murmur-sim: a murmur swarm of many peers on a virtual clock, in one process"};
  app.footer(kFooter);
  app.add_option("--peers", o.peers, "number of peers")
      ->capture_default_str()
      ->check(CLI::Range(2U, 1U << 20));
  app.add_option("--topology", o.topology, "ring | exponential | complete | an edge-list file")
      ->capture_default_str();
  app.add_option("--rate", o.rate, "r: exchanges each peer takes part in per gradient step")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  bool noMomentum = false;
  app.add_flag("--no-momentum", noMomentum, "the baseline: plain midpoint gossip, no A²CiD²");
  bool noGossip = false;
  app.add_flag("--no-gossip", noGossip, "local training only: no exchanges (a reference point)");
  app.add_option(
         "--workload", o.workload, "decay | drift | noise | quadratic | fmnist-logreg | fmnist-mlp")
      ->capture_default_str()
      ->check(CLI::IsMember(murmur::sim::workloadNames()));
  app.add_option("--dim", o.workloadOptions.dim, "quadratic: dimension")->capture_default_str();
  app.add_option("--noise", o.workloadOptions.noise, "noise: sigma; quadratic: gradient noise")
      ->capture_default_str();
  app.add_option("--lr", o.workloadOptions.learningRate, "quadratic: learning rate")
      ->capture_default_str();
  app.add_option("--spread", o.workloadOptions.spread, "quadratic: std of the optima b_i")
      ->capture_default_str();
  app.add_option("--start", o.workloadOptions.start, "quadratic: every coordinate at time 0")
      ->capture_default_str();
  app.add_option("--data", o.workloadOptions.data, "fmnist-*: directory of the IDX files")
      ->capture_default_str();
  app.add_option("--shard", o.workloadOptions.shard, "fmnist-*: iid | label-sorted")
      ->capture_default_str()
      ->check(CLI::IsMember({"iid", "label-sorted"}));
  app.add_option("--batch", o.workloadOptions.batch, "fmnist-*: samples per gradient step")
      ->capture_default_str();
  app.add_option("--eval-samples",
                 o.workloadOptions.evalSamples,
                 "fmnist-*: test samples per sample point (the whole test set at the end)")
      ->capture_default_str();
  app.add_option("--sync",
                 o.sync,
                 "global syncs: none | every-step | periodic | fda (as murmur run --sync; "
                 "with --no-gossip, fda is the FDA paper's local SGD)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "every-step", "periodic", "fda"}));
  app.add_option("--sync-period", o.syncPeriod, "--sync periodic: steps between syncs")
      ->capture_default_str();
  app.add_option("--fda-theta",
                 o.fdaTheta,
                 "FDA's threshold on the model variance (0: auto, seeded with 3.89e-5 x d)")
      ->capture_default_str();
  app.add_option("--fda-round-steps", o.fdaRoundSteps, "--fda-theta 0: the round length Θ seeks")
      ->capture_default_str();
  app.add_option("--codec",
                 o.codec,
                 "gossip payloads: raw (a whole model); fp16 or bf16 (half the bytes, both "
                 "ends mix with the rounded snapshots); lossless (byte shuffle + zstd: bytes as "
                 "compressed, values exact); or lbgm (publishes to the partner's public copy: a "
                 "scalar where the update repeats a direction, specs/lbgm.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"raw", "fp16", "bf16", "lossless", "lbgm"}));
  app.add_option("--lbgm-delta", o.lbgmDelta, "--codec lbgm: reuse when sin² of the angle ≤ δ")
      ->capture_default_str();
  app.add_option(
         "--lbgm-topk", o.lbgmTopk, "--codec lbgm: top-k fraction of each update (0: dense)")
      ->capture_default_str();
  app.add_option("--lbgm-gamma",
                 o.lbgmGamma,
                 "--codec lbgm: consensus step γ ≤ 0.5 (0: auto, 0.25 with top-k, else 0.5)")
      ->capture_default_str();
  app.add_option("--until", o.until, "simulated time units (mean gradient intervals)")
      ->capture_default_str();
  app.add_option("--burn-in", o.burnIn, "samples before this time are left out of the means")
      ->capture_default_str();
  app.add_option("--sample-every", o.sampleEvery, "time units between samples")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "the same seed gives the same run, bit for bit")
      ->capture_default_str();
  double stepMs = 100;
  app.add_option("--step-ms", stepMs, "virtual milliseconds of one mean gradient interval")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  double latencyMs = 1;
  app.add_option("--latency-ms", latencyMs, "one-way latency per message")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  double bandwidthMbps = 0;
  app.add_option("--bandwidth-mbps", bandwidthMbps, "each peer's uplink, Mbit/s (0: unlimited)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--loss",
                 o.link.loss,
                 "packet loss per message: TCP resends after 200 ms, doubling (nothing is lost)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.99));
  app.add_option("--model-bytes",
                 o.modelBytes,
                 "bytes one snapshot puts on the wire (0: 4 per dimension); e.g. 246824 for "
                 "LeNet-5")
      ->capture_default_str();
  std::string stragglers;
  app.add_option("--stragglers", stragglers, "SHARE:SLOWDOWN, e.g. 0.25:4 (a quarter 4x slower)");
  std::string slowLinks;
  app.add_option("--slow-links", slowLinks, "SHARE:FACTOR: that share of uplinks FACTOR x slower");
  std::string crash;
  app.add_option("--crash", crash, "SHARE@T: that share of peers crashes at time T");
  double detectMs = 3000;
  std::string leave;
  app.add_option("--leave", leave, "SHARE@T: that share of peers leaves gracefully at time T");
  std::string join;
  app.add_option("--join",
                 join,
                 "COUNT@T: that many new peers join at time T, each from a live member's model "
                 "(gossip then runs on the complete graph, as real peers do)");
  app.add_option(
         "--membership",
         o.membership,
         "how peers learn of crashes and departures: oracle (every peer stops picking a "
         "crashed one --detect-ms later, a leaver at once) or swim (each peer runs murmur's "
         "SWIM over the network model: probes, suspicion, piggybacked updates)")
      ->capture_default_str()
      ->check(CLI::IsMember({"oracle", "swim"}));
  app.add_option("--detect-ms",
                 detectMs,
                 "--membership oracle: after a crash, until neighbours stop picking the peer")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  bool json = false;
  app.add_flag("--json", json, "print the summary as one JSON object on stdout");
  std::string csvPath;
  app.add_option("--csv", csvPath, "write the time series as CSV");
  std::string plotPath;
  app.add_option("--plot",
                 plotPath,
                 "draw consensus distance (and loss) over time and bytes: FILE.svg or FILE.png")
      ->check(CLI::Validator(
          [](std::string& p) {
            return murmur::tools::isPngPath(p) || (p.size() > 4 && p.substr(p.size() - 4) == ".svg")
                       ? std::string()
                       : std::string("--plot: name an .svg or a .png file, not '" + p + "'");
          },
          "FILE.svg|FILE.png"));
  try {
    app.parse(argc, argv);
    if (!stragglers.empty()) {
      std::tie(o.stragglerFraction, o.stragglerSlowdown) =
          splitPair(stragglers, ':', "--stragglers");
    }
    if (!slowLinks.empty()) {
      std::tie(o.slowLinkFraction, o.slowLinkFactor) = splitPair(slowLinks, ':', "--slow-links");
    }
    if (!crash.empty()) {
      std::tie(o.crashFraction, o.crashAt) = splitPair(crash, '@', "--crash");
    }
    if (!leave.empty()) {
      std::tie(o.leaveFraction, o.leaveAt) = splitPair(leave, '@', "--leave");
    }
    if (!join.empty()) {
      double count = 0;
      std::tie(count, o.joinAt) = splitPair(join, '@', "--join");
      if (count < 0 || count > 100000 || count != std::floor(count)) {
        throw CLI::ValidationError("--join", "COUNT must be a whole number of peers");
      }
      o.joiners = static_cast<std::uint32_t>(count);
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  o.momentum = !noMomentum;
  o.gossip = !noGossip;
  o.stepInterval = murmur::runtime::fromSeconds(stepMs / 1e3);
  o.link.latency = murmur::runtime::fromSeconds(latencyMs / 1e3);
  o.link.bandwidthBytesPerSecond = bandwidthMbps * 1e6 / 8;
  o.detectAfter = murmur::runtime::fromSeconds(detectMs / 1e3);

  murmur::sim::SimResult result;
  auto start = std::chrono::steady_clock::now();
  // Progress on a terminal, for runs long enough to wonder about (fmnist workloads, many peers).
  auto lastReport = start;
  bool reported = false;
  murmur::sim::SampleObserver progress;
  if (isatty(STDERR_FILENO) != 0) {
    progress = [&](const murmur::sim::SimSample& s) {
      auto now = std::chrono::steady_clock::now();
      if (now - lastReport > std::chrono::seconds(1)) {
        lastReport = now;
        reported = true;
        std::fprintf(stderr,
                     "\rmurmur-sim: t=%.0f of %g, consensus distance %.4g%s%s   ",
                     s.time,
                     o.until,
                     s.consensusDistance,
                     s.loss ? ", loss " : "",
                     s.loss ? std::to_string(*s.loss).c_str() : "");
      }
    };
  }
  try {
    result = murmur::sim::simulate(o, progress);
    if (reported) {
      std::fprintf(stderr, "\n");
    }
  } catch (const murmur::runtime::Error& e) {
    std::fprintf(stderr, "murmur-sim: %s\n", e.what());
    return e.kind() == murmur::runtime::ErrorKind::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (json) {
    std::printf("%s\n", murmur::sim::resultJson(o, result, wall).c_str());
  } else {
    std::printf(
        "%u peers, %s, %s, %s, until t=%g (%llu events, %.2f s wall)\n"
        "  consensus distance   %.4g at the end, %.4g mean from t=%g\n"
        "  loss                 %s\n"
        "  accuracy             %s\n"
        "  exchanges            %llu (realised rate %.3f per peer per step), %llu busy, "
        "%llu timed out\n"
        "  bytes sent           %.3f MB (%llu TCP retransmissions); syncs %llu: %.3f MB of "
        "rings, %.3f MB of FDA states\n"
        "  constants            eta %.6f, alpha~ %.6f\n%s",
        o.peers,
        o.topology.c_str(),
        o.workload.c_str(),
        murmur::sim::variantName(o).c_str(),
        o.until,
        static_cast<unsigned long long>(result.events),
        wall,
        result.consensusDistance,
        result.consensusDistanceMean,
        o.burnIn,
        result.loss ? std::to_string(*result.loss).c_str() : "(none for this workload)",
        result.accuracy ? std::to_string(*result.accuracy).c_str() : "(none for this workload)",
        static_cast<unsigned long long>(result.exchanges),
        result.realisedRate,
        static_cast<unsigned long long>(result.busy),
        static_cast<unsigned long long>(result.timeouts),
        result.bytesTotal / 1e6,
        static_cast<unsigned long long>(result.retransmissions),
        static_cast<unsigned long long>(result.syncs),
        static_cast<double>(result.syncBytes) / 1e6,
        static_cast<double>(result.stateBytes) / 1e6,
        result.eta,
        result.alphaTilde,
        swimLine(result).c_str());
  }
  bool ok = true;
  if (!csvPath.empty()) {
    ok = writeFile(csvPath, murmur::sim::samplesCsv(result)) && ok;
  }
  if (!plotPath.empty()) {
    ok = writeFile(plotPath, murmur::sim::resultPlot(plotPath, o, result)) && ok;
  }
  return ok ? 0 : kExitFailure;
}
