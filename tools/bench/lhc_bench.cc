#include "tools/bench/lhc_bench.h"

#include <cstdio>
#include <optional>

#include "tools/bench/method_sweep.h"

#include <fmt/format.h>

namespace murmur::bench {

void addLhcBenchOptions(CLI::App& app, LhcBenchOptions& o) {
  addSwarmBenchOptions(app, o.swarm);
  app.add_option("--target", o.target, "Mean local test accuracy to reach")->capture_default_str();
  app.add_option("--periods", o.periods, "Sync periods (steps)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--capacities", o.capacities, "--lhc-capacity of each period's LHC run")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--methods", o.methods, "Only these runs (raw_P, lhc_P); default: all")
      ->delimiter(',');
}

int lhcCommand(const LhcBenchOptions& options, bool json) {
  LhcBenchOptions o = options;
  if (o.capacities.size() != o.periods.size()) {
    std::fprintf(stderr, "murmur-bench lhc: give one --capacities value per --periods value\n");
    return 2;
  }
  o.swarm.model = "bagrec";
  const std::vector<std::string> common = {"--momentum", "0", "--lr", "0.5", "--no-gossip"};
  std::vector<SweepMethod> methods;
  for (std::size_t i = 0; i < o.periods.size(); ++i) {
    const std::string period = std::to_string(o.periods[i]);
    std::vector<std::string> flags = common;
    flags.insert(flags.end(), {"--sync", "periodic", "--sync-period", period});
    std::vector<std::string> raw = flags;
    raw.insert(raw.end(), {"--sync-codec", "raw"});
    std::vector<std::string> lhc = flags;
    const std::string capacity = fmt::format("{:g}", o.capacities[i]);
    lhc.insert(lhc.end(), {"--sync-codec", "lhc", "--lhc-capacity", capacity});
    methods.push_back({"raw_" + period, "raw sync ring every " + period + " steps", raw});
    methods.push_back(
        {"lhc_" + period, "LHC sync ring every " + period + " steps, capacity " + capacity, lhc});
  }
  std::optional<std::vector<SweepOutcome>> sweep =
      runSweep(o.swarm, methods, o.methods, o.target, "murmur-bench-lhc");
  if (!sweep) {
    return 1;
  }
  const std::vector<SweepOutcome>& outcomes = *sweep;
  nlohmann::json report = {{"peers", o.swarm.peers},
                           {"steps", o.swarm.steps},
                           {"model", "bagrec"},
                           {"target_accuracy", o.target}};
  for (const SweepOutcome& out : outcomes) {
    report[out.key + "_bytes_total"] = out.bytesTotal;
    report[out.key + "_accuracy"] = out.accuracy;
    if (out.key.rfind("lhc_", 0) == 0) {
      report[out.key + "_fallbacks"] = out.syncCodecFallbacks;
      report[out.key + "_chunk_forms"] = out.syncChunkForms;
      if (const SweepOutcome* raw = findOutcome(outcomes, "raw_" + out.key.substr(4))) {
        report["raw_over_" + out.key] = raw->bytesTotal / out.bytesTotal;
      }
    }
  }
  report["runs"] = sweepRows(outcomes);
  if (json) {
    std::puts(report.dump().c_str());
    return 0;
  }
  std::printf(
      "%d peers x %lld steps of bagrec (plain SGD, no gossip), periodic syncs; bytes (all peers) "
      "and steps until every peer's local test accuracy first reached %.2f:\n",
      o.swarm.peers,
      static_cast<long long>(o.swarm.steps),
      o.target);
  printSweep(outcomes, "fallbk", [](const SweepOutcome& out) { return out.syncCodecFallbacks; });
  for (const SweepOutcome& out : outcomes) {
    if (!out.syncChunkForms.empty()) {
      std::printf("  %s ring chunks by form:", out.key.c_str());
      for (const auto& [form, count] : out.syncChunkForms) {
        std::printf(" %s %.0f", form.c_str(), count);
      }
      std::printf("\n");
    }
    const std::string key = "raw_over_" + out.key;
    if (report.contains(key)) {
      std::printf("  raw / %s total bytes: %.2fx\n", out.key.c_str(), report[key].get<double>());
    }
  }
  return 0;
}

}  // namespace murmur::bench
