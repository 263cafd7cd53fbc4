#include "tools/bench/fda_bench.h"

#include <cstdio>
#include <optional>

#include "tools/bench/method_sweep.h"

namespace murmur::bench {

void addFdaBenchOptions(CLI::App& app, FdaBenchOptions& o) {
  addSwarmBenchOptions(app, o.swarm);
  app.add_option("--target", o.target, "Mean local test accuracy to reach")->capture_default_str();
  app.add_option("--periods", o.periods, "Periods (steps) of the periodic-averaging sweep")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--fda-theta", o.theta, "Θ of the FDA runs (a number or auto)")
      ->capture_default_str();
  app.add_option("--fda-check-every", o.checkEvery, "Steps between the FDA runs' checks")
      ->capture_default_str();
  app.add_option("--methods",
                 o.methods,
                 "Only these runs (every_step, periodic_E, fda_naive, fda_linear, fda_sketch, "
                 "gossip, gossip_fda); default: all")
      ->delimiter(',');
}

int fdaCommand(const FdaBenchOptions& o, bool json) {
  const std::vector<std::string> fda = {
      "--sync", "fda", "--fda-theta", o.theta, "--fda-check-every", std::to_string(o.checkEvery)};
  auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  std::vector<SweepMethod> methods = {
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
  std::optional<std::vector<SweepOutcome>> sweep =
      runSweep(o.swarm, methods, o.methods, o.target, "murmur-bench-fda");
  if (!sweep) {
    return 1;
  }
  const std::vector<SweepOutcome>& outcomes = *sweep;
  // The best periodic run: the fewest bytes to the target (or, if none reached it, the most
  // accurate).
  const SweepOutcome* best = nullptr;
  for (const SweepOutcome& out : outcomes) {
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
  nlohmann::json report = {{"peers", o.swarm.peers},
                           {"steps", o.swarm.steps},
                           {"model", o.swarm.model},
                           {"target_accuracy", o.target}};
  for (const SweepOutcome& out : outcomes) {
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
  const SweepOutcome* linear = findOutcome(outcomes, "fda_linear");
  const SweepOutcome* everyStep = findOutcome(outcomes, "every_step");
  if (linear && everyStep && linear->bytesToTarget && everyStep->bytesToTarget) {
    report["every_step_over_fda_linear"] = *everyStep->bytesToTarget / *linear->bytesToTarget;
  }
  if (linear && best && linear->bytesToTarget && best->bytesToTarget) {
    report["periodic_best_over_fda_linear"] = *best->bytesToTarget / *linear->bytesToTarget;
  }
  report["runs"] = sweepRows(outcomes);
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
  printSweep(outcomes, "syncs", [](const SweepOutcome& out) { return out.syncs; });
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
