#include "tools/bench/fda_bench.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

namespace murmur::bench {
namespace {

struct Method {
  std::string key;  // the JSON key prefix: every_step, periodic_50, fda_linear, ...
  std::string what;
  std::vector<std::string> flags;
};

struct Outcome {
  std::string key;
  bool ok = false;
  double accuracy = 0;                  // exact average at the end
  double bytesTotal = 0;                // all peers, the whole run (final average included)
  std::optional<double> bytesToTarget;  // all peers, until each first showed the target
  std::optional<double> stepsToTarget;  // mean over peers of the step it first showed it
  double syncs = 0;                     // mean per peer
};

// Each peer's first timeline point at or above the target: its step and the bytes it had sent.
Outcome measure(const Method& method, const SwarmRun& run, double target) {
  Outcome out;
  out.key = method.key;
  out.ok = run.ok;
  out.accuracy = run.accuracy;
  out.bytesTotal = run.bytesSent;
  double bytes = 0;
  double steps = 0;
  bool everyone = !run.peers.empty();
  for (const nlohmann::json& peer : run.peers) {
    out.syncs += peer.value("syncs", 0.0) / static_cast<double>(run.peers.size());
    bool reached = false;
    for (const nlohmann::json& point : peer["progress_timeline"]) {
      if (point[1].get<double>() >= target) {
        steps += point[0].get<double>();
        bytes += point[2].get<double>();
        reached = true;
        break;
      }
    }
    everyone = everyone && reached;
  }
  if (everyone) {
    out.bytesToTarget = bytes;
    out.stepsToTarget = steps / static_cast<double>(run.peers.size());
  }
  return out;
}

nlohmann::json orNull(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

void addFdaBenchOptions(CLI::App& app, FdaBenchOptions& o) {
  addSwarmBenchOptions(app, o.swarm);
  app.add_option("--target", o.target, "Mean local test accuracy to reach")->capture_default_str();
  app.add_option("--periods", o.periods, "Periods (steps) of the periodic-averaging sweep")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--fda-theta", o.theta, "Θ of the FDA runs (a number or auto)")
      ->capture_default_str();
  app.add_option("--methods",
                 o.methods,
                 "Only these runs (every_step, periodic_E, fda_naive, fda_linear, fda_sketch, "
                 "gossip, gossip_fda); default: all")
      ->delimiter(',');
}

int fdaCommand(const FdaBenchOptions& options, bool json) {
  FdaBenchOptions o = options;
  if (o.swarm.murmur.empty()) {
    o.swarm.murmur = besideSelf("murmur");
  }
  if (o.swarm.evalInterval <= 0) {
    o.swarm.evalInterval = 1;
  }
  const std::vector<std::string> fda = {"--sync", "fda", "--fda-theta", o.theta};
  auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  std::vector<Method> methods = {
      {"every_step", "all-reduce after every step", {"--no-gossip", "--sync", "every-step"}}};
  for (std::int64_t period : o.periods) {
    methods.push_back(
        {"periodic_" + std::to_string(period),
         "periodic averaging every " + std::to_string(period) + " steps",
         {"--no-gossip", "--sync", "periodic", "--sync-period", std::to_string(period)}});
  }
  for (const char* variant : {"naive", "linear", "sketch"}) {
    methods.push_back({std::string("fda_") + variant,
                       std::string("FDA (") + variant + "), no gossip",
                       with({"--no-gossip", "--fda-variant", variant}, fda)});
  }
  methods.push_back({"gossip", "A²CiD² gossip alone", {}});
  methods.push_back({"gossip_fda", "gossip + FDA (linear)", fda});

  const std::string base = std::filesystem::temp_directory_path() / "murmur-bench-fda";
  std::filesystem::remove_all(base);
  std::vector<Outcome> outcomes;
  if (!o.methods.empty()) {
    methods.erase(std::remove_if(methods.begin(),
                                 methods.end(),
                                 [&](const Method& m) {
                                   return std::find(o.methods.begin(), o.methods.end(), m.key) ==
                                          o.methods.end();
                                 }),
                  methods.end());
  }
  for (const Method& m : methods) {
    SwarmRun run = runSwarm(o.swarm, m.flags, base + "/" + m.key, m.what);
    if (!run.ok) {
      std::fprintf(stderr,
                   "murmur-bench: the %s swarm failed; logs in %s/%s\n",
                   m.key.c_str(),
                   base.c_str(),
                   m.key.c_str());
      return 1;
    }
    outcomes.push_back(measure(m, run, o.target));
  }
  // The best periodic run: the fewest bytes to the target (or, if none reached it, the most
  // accurate).
  const Outcome* best = nullptr;
  for (const Outcome& out : outcomes) {
    if (out.key.rfind("periodic_", 0) != 0) {
      continue;
    }
    if (best == nullptr ||
        (out.bytesToTarget &&
         (!best->bytesToTarget || *out.bytesToTarget < *best->bytesToTarget)) ||
        (!out.bytesToTarget && !best->bytesToTarget && out.accuracy > best->accuracy)) {
      best = &out;
    }
  }
  auto find = [&](const std::string& key) -> const Outcome* {
    auto it = std::find_if(
        outcomes.begin(), outcomes.end(), [&](const Outcome& out) { return out.key == key; });
    return it == outcomes.end() ? nullptr : &*it;
  };
  nlohmann::json report = {{"peers", o.swarm.peers},
                           {"steps", o.swarm.steps},
                           {"model", o.swarm.model},
                           {"target_accuracy", o.target}};
  nlohmann::json runs = nlohmann::json::array();
  for (const Outcome& out : outcomes) {
    runs.push_back({{"method", out.key},
                    {"bytes_to_target", orNull(out.bytesToTarget)},
                    {"steps_to_target", orNull(out.stepsToTarget)},
                    {"bytes_total", out.bytesTotal},
                    {"accuracy", out.accuracy},
                    {"syncs_per_peer", out.syncs}});
    const std::string key = out.key.rfind("periodic_", 0) == 0 ? "" : out.key;
    if (!key.empty()) {
      report[key + "_bytes"] = orNull(out.bytesToTarget);
      report[key + "_accuracy"] = out.accuracy;
    }
  }
  if (best != nullptr) {
    report["periodic_best_period"] = best->key.substr(9);
    report["periodic_best_bytes"] = orNull(best->bytesToTarget);
    report["periodic_best_accuracy"] = best->accuracy;
  }
  const Outcome* linear = find("fda_linear");
  const Outcome* everyStep = find("every_step");
  if (linear && everyStep && linear->bytesToTarget && everyStep->bytesToTarget) {
    report["every_step_over_fda_linear"] = *everyStep->bytesToTarget / *linear->bytesToTarget;
  }
  if (linear && best && linear->bytesToTarget && best->bytesToTarget) {
    report["periodic_best_over_fda_linear"] = *best->bytesToTarget / *linear->bytesToTarget;
  }
  report["runs"] = runs;
  if (json) {
    std::puts(report.dump().c_str());
    return 0;
  }
  std::printf(
      "%d peers x %lld steps of %s; bytes (all peers) and steps until every peer's local "
      "test accuracy first reached %.2f:\n",
      o.swarm.peers,
      static_cast<long long>(o.swarm.steps),
      o.swarm.model.c_str(),
      o.target);
  std::printf("  %-14s %14s %10s %14s %9s %7s\n",
              "method",
              "MB to target",
              "steps",
              "MB total",
              "accuracy",
              "syncs");
  for (const Outcome& out : outcomes) {
    std::printf("  %-14s %14s %10s %14.1f %9.4f %7.1f\n",
                out.key.c_str(),
                out.bytesToTarget ? fmt::format("{:.2f}", *out.bytesToTarget / 1e6).c_str() : "—",
                out.stepsToTarget ? fmt::format("{:.0f}", *out.stepsToTarget).c_str() : "—",
                out.bytesTotal / 1e6,
                out.accuracy,
                out.syncs);
  }
  if (report.contains("every_step_over_fda_linear")) {
    std::printf("  every-step / FDA linear bytes: %.1fx (target >= 20)\n",
                report["every_step_over_fda_linear"].get<double>());
  }
  if (report.contains("periodic_best_over_fda_linear")) {
    std::printf("  best periodic (every %s steps) / FDA linear bytes: %.1fx (target >= 2)\n",
                best->key.substr(9).c_str(),
                report["periodic_best_over_fda_linear"].get<double>());
  }
  return 0;
}

}  // namespace murmur::bench
