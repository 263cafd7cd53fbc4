#include "tools/bench/sim_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "tools/sim/simulation.h"

#include <nlohmann/json.hpp>

namespace murmur::bench {
namespace {

struct Scenario {
  const char* name;
  std::uint32_t peers;
  const char* topology;
  const char* workload;
  double until;
  double burnIn;   // 0: the value at `until` (decay); else the mean after burn-in
  double spec[3];  // the spec's baseline r=1, baseline r=2, A²CiD² r=1
};

// specs/a2cid2.md §6.
const Scenario kScenarios[] = {
    {"(a) decay", 64, "ring", "decay", 400, 0, {7.4e-2, 1.1e-2, 1.9e-10}},
    {"(a) decay", 32, "ring", "decay", 150, 0, {3.3e-2, 1.6e-3, 1.0e-6}},
    {"(a) decay", 64, "exponential", "decay", 30, 0, {2.4e-6, 3.6e-11, 2.7e-6}},
    {"(b) drift", 16, "ring", "drift", 3000, 500, {3.6, 0.94, 0.72}},
    {"(b) drift", 32, "ring", "drift", 3000, 500, {0, 0, 0}},
    {"(b) drift", 64, "ring", "drift", 3000, 500, {773, 213, 14.7}},
    {"(b) drift", 64, "exponential", "drift", 3000, 500, {0.106, 0.029, 0.071}},
    {"(c) noise", 64, "ring", "noise", 3000, 500, {9.74, 5.21, 9.62}},
};

double run(const Scenario& s, bool momentum, double rate, int seeds) {
  double total = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    sim::SimOptions o;
    o.peers = s.peers;
    o.topology = s.topology;
    o.workload = s.workload;
    o.until = s.until;
    o.burnIn = s.burnIn;
    o.momentum = momentum;
    o.rate = rate;
    o.seed = static_cast<std::uint64_t>(seed);
    sim::SimResult r = sim::simulate(o);
    total += s.burnIn > 0 ? r.consensusDistanceMean : r.consensusDistance;
  }
  return total / seeds;
}

// Gossip codecs at scale: baseline gossip at r = 1 on a ring, fmnist-logreg (iid), 300 steps.
void codecTable(const SimBenchOptions& options, bool json, nlohmann::json& out) {
  if (!json && !options.codecPeers.empty()) {
    std::printf("\n%-6s %-22s %-9s %-12s %-12s %s\n",
                "peers",
                "codec",
                "accuracy",
                "MB/step",
                "LBGM reuse",
                "raw / this");
  }

  struct Codec {
    const char* name;
    const char* codec;
    double topk;
  };

  for (int peers : options.codecPeers) {
    double rawPerStep = 0;
    for (const Codec& c : {Codec{"raw", "raw", 0},
                           Codec{"fp16", "fp16", 0},
                           Codec{"lossless", "lossless", 0},
                           Codec{"LBGM d=0.2", "lbgm", 0},
                           Codec{"top-10% + LBGM d=0.2", "lbgm", 0.1}}) {
      sim::SimOptions o;
      o.peers = static_cast<std::uint32_t>(peers);
      o.workload = "fmnist-logreg";
      o.workloadOptions.data = options.data;
      o.momentum = false;
      o.codec = c.codec;
      o.lbgmTopk = c.topk;
      o.until = 300;
      o.sampleEvery = 300;
      sim::SimResult r = sim::simulate(o);
      double perStep = static_cast<double>(r.bytesTotal) / 1e6 /
                       static_cast<double>(std::max<std::uint64_t>(r.gradientSteps, 1));
      rawPerStep = c.topk == 0 && std::string(c.codec) == "raw" ? perStep : rawPerStep;
      double reuse = 0;
      if (r.lbgm) {
        const auto sent = static_cast<double>(r.lbgm->scalar + r.lbgm->full);
        reuse = sent > 0 ? static_cast<double>(r.lbgm->scalar) / sent : 0;
      }
      if (json) {
        out.push_back({{"peers", peers},
                       {"codec", c.name},
                       {"accuracy", r.accuracy.value_or(0)},
                       {"mb_per_step", perStep},
                       {"lbgm_reuse", reuse}});
      } else {
        std::printf("%-6d %-22s %-9.4f %-12.5f %-12.3f %.2fx\n",
                    peers,
                    c.name,
                    r.accuracy.value_or(0),
                    perStep,
                    reuse,
                    rawPerStep / perStep);
      }
    }
  }
}

// --membership swim at growing sizes: a tenth of a ring crashes (one peer of four) at a different
// point of the probe cycle per seed; how fast the survivors declare it dead (real peers: 3.8 s
// median, 3.98 s max among 4, `murmur-bench failure`), what SWIM sends, and what it costs the
// simulator against the oracle's fixed delay.
void swimTable(const SimBenchOptions& options, bool json, nlohmann::json& out) {
  if (!json && !options.swimPeers.empty()) {
    std::printf("\n%-6s %-8s %-14s %-13s %-12s %-16s %s\n",
                "peers",
                "crashed",
                "detect mean s",
                "detect max s",
                "false deaths",
                "SWIM KB/s/peer",
                "wall s (oracle)");
  }
  for (int peers : options.swimPeers) {
    const int seeds = peers <= 8 ? 10 : options.seeds;
    double meanSum = 0;
    double worst = 0;
    std::uint64_t falseDeaths = 0;
    double kbPerSecond = 0;
    double wall[2] = {0, 0};
    std::uint32_t crashed = 0;
    for (int seed = 1; seed <= seeds; ++seed) {
      for (int swim = 0; swim < 2; ++swim) {
        sim::SimOptions o;
        o.peers = static_cast<std::uint32_t>(peers);
        o.workload = "drift";
        o.membership = swim ? "swim" : "oracle";
        o.seed = static_cast<std::uint64_t>(seed);
        o.crashFraction = std::max(0.1, 1.0 / peers);
        o.crashAt = 50 + 0.37 * seed;
        o.until = 200;
        o.sampleEvery = 200;
        auto start = std::chrono::steady_clock::now();
        sim::SimResult r = sim::simulate(o);
        wall[swim] +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (r.swim) {
          crashed = r.crashed;
          meanSum += r.swim->detectionSecondsMean;
          worst = std::max(worst, r.swim->detectionSecondsMax);
          falseDeaths += r.swim->falseDeaths;
          kbPerSecond += static_cast<double>(r.swim->bytes) / 1e3 / peers / 20.0 / seeds;
        }
      }
    }
    if (json) {
      out.push_back({{"peers", peers},
                     {"membership", "swim"},
                     {"crashed", crashed},
                     {"detection_seconds_mean", meanSum / seeds},
                     {"detection_seconds_max", worst},
                     {"false_deaths", falseDeaths},
                     {"swim_kb_per_second_per_peer", kbPerSecond},
                     {"wall_seconds", wall[1] / seeds},
                     {"wall_seconds_oracle", wall[0] / seeds}});
    } else {
      std::printf("%-6d %-8u %-14.2f %-13.2f %-12llu %-16.2f %.2f (%.2f)\n",
                  peers,
                  crashed,
                  meanSum / seeds,
                  worst,
                  static_cast<unsigned long long>(falseDeaths),
                  kbPerSecond,
                  wall[1] / seeds,
                  wall[0] / seeds);
    }
  }
}

}  // namespace

void addSimBenchOptions(CLI::App& app, SimBenchOptions& options) {
  app.add_option("--seeds", options.seeds, "Seeds averaged per value")->capture_default_str();
  app.add_option("--scale-peers", options.scalePeers, "Peers of the speed run")
      ->capture_default_str();
  app.add_option("--scale-until", options.scaleUntil, "Time units of the speed run")
      ->capture_default_str();
  // A table's sizes, comma-separated; 0 skips the table.
  auto sizes = [&app](const char* flag, std::vector<int>& into, const char* what) {
    app.add_option(flag, into, std::string("Swarm sizes of the ") + what + " (0: skip it)")
        ->delimiter(',')
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
  };
  sizes("--sync-peers", options.syncPeers, "sync table");
  sizes("--codec-peers", options.codecPeers, "codec table");
  sizes("--swim-peers", options.swimPeers, "SWIM table");
  app.add_option("--data", options.data, "Fashion-MNIST IDX directory")->capture_default_str();
}

int simCommand(const SimBenchOptions& asked, bool json) {
  SimBenchOptions options = asked;
  for (std::vector<int>* sizes : {&options.syncPeers, &options.codecPeers, &options.swimPeers}) {
    sizes->erase(std::remove(sizes->begin(), sizes->end(), 0), sizes->end());  // 0: skip the table
  }
  nlohmann::json out = nlohmann::json::array();
  if (!json) {
    std::printf("%-10s %-15s %-28s %-28s %-28s %s\n",
                "scenario",
                "graph",
                "baseline r=1 (spec)",
                "baseline r=2 (spec)",
                "A2CiD2 r=1 (spec)",
                "r=2 / A2CiD2 (spec)");
  }
  for (const Scenario& s : kScenarios) {
    double b1 = run(s, false, 1, options.seeds);
    double b2 = run(s, false, 2, options.seeds);
    double acid = run(s, true, 1, options.seeds);
    std::string graph = std::string(s.topology) + " " + std::to_string(s.peers);
    if (json) {
      out.push_back({{"scenario", s.name},
                     {"graph", graph},
                     {"baseline_r1", b1},
                     {"baseline_r2", b2},
                     {"acid_r1", acid},
                     {"spec", {s.spec[0], s.spec[1], s.spec[2]}}});
      continue;
    }
    auto cell = [](double v, double spec) {
      char text[64];
      if (spec > 0) {
        std::snprintf(text, sizeof text, "%.3g (%.3g)", v, spec);
      } else {
        std::snprintf(text, sizeof text, "%.3g (-)", v);
      }
      return std::string(text);
    };
    char specRatio[32] = "-";
    if (s.spec[2] > 0) {
      std::snprintf(specRatio, sizeof specRatio, "%.3gx", s.spec[1] / s.spec[2]);
    }
    std::printf("%-10s %-15s %-28s %-28s %-28s %.3gx (%s)\n",
                s.name,
                graph.c_str(),
                cell(b1, s.spec[0]).c_str(),
                cell(b2, s.spec[1]).c_str(),
                cell(acid, s.spec[2]).c_str(),
                b2 / acid,
                specRatio);
  }
  // Global syncs with local SGD (no gossip): what each costs per step, and what it reaches.
  if (!json && !options.syncPeers.empty()) {
    std::printf("\n%-6s %-14s %-9s %-6s %-9s %-12s %s\n",
                "peers",
                "sync",
                "accuracy",
                "syncs",
                "steps",
                "MB/step",
                "every-step / this");
  }
  for (int peers : options.syncPeers) {
    double everyStepPerStep = 0;
    for (const char* mode : {"every-step", "periodic", "fda"}) {
      sim::SimOptions o;
      o.peers = static_cast<std::uint32_t>(peers);
      o.workload = "fmnist-logreg";
      o.workloadOptions.data = options.data;
      o.gossip = false;
      o.sync = mode;
      o.syncPeriod = 20;
      o.until = 300;
      o.sampleEvery = 300;
      sim::SimResult r = sim::simulate(o);
      double perStep = static_cast<double>(r.bytesTotal) / 1e6 /
                       static_cast<double>(std::max<std::uint64_t>(r.gradientSteps, 1));
      everyStepPerStep = std::string(mode) == "every-step" ? perStep : everyStepPerStep;
      std::string name = std::string(mode) == "periodic" ? "periodic 20" : mode;
      if (json) {
        out.push_back({{"peers", peers},
                       {"sync", name},
                       {"accuracy", r.accuracy.value_or(0)},
                       {"syncs", r.syncs},
                       {"steps", r.gradientSteps},
                       {"mb_per_step", perStep}});
      } else {
        std::printf("%-6d %-14s %-9.4f %-6llu %-9llu %-12.5f %.1fx\n",
                    peers,
                    name.c_str(),
                    r.accuracy.value_or(0),
                    static_cast<unsigned long long>(r.syncs),
                    static_cast<unsigned long long>(r.gradientSteps),
                    perStep,
                    everyStepPerStep / perStep);
      }
    }
  }
  codecTable(options, json, out);
  swimTable(options, json, out);
  sim::SimOptions scale;
  scale.peers = static_cast<std::uint32_t>(options.scalePeers);
  scale.workload = "drift";
  scale.until = options.scaleUntil;
  auto start = std::chrono::steady_clock::now();
  sim::SimResult r = sim::simulate(scale);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (json) {
    out.push_back({{"scale_peers", scale.peers},
                   {"until", scale.until},
                   {"events", r.events},
                   {"wall_seconds", wall}});
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("\nspeed: %u peers, ring, drift, t=%g: %llu events in %.2f s (%.2f M events/s)\n",
                scale.peers,
                scale.until,
                static_cast<unsigned long long>(r.events),
                wall,
                r.events / wall / 1e6);
  }
  return 0;
}

}  // namespace murmur::bench
