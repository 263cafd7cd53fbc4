#include "tools/bench/lbgm_bench.h"

#include <cstdio>
#include <optional>

#include "tools/bench/method_sweep.h"

#include <fmt/format.h>

namespace murmur::bench {

void addLbgmBenchOptions(CLI::App& app, LbgmBenchOptions& o) {
  addSwarmBenchOptions(app, o.swarm);
  app.add_option("--target", o.target, "Mean local test accuracy to reach")->capture_default_str();
  app.add_option("--deltas", o.deltas, "LBGM thresholds δ to sweep")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--topks", o.topks, "Top-k fractions to stack LBGM on (every δ); 0: none")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--topk-gamma", o.topkGamma, "--lbgm-gamma of the top-k and sign runs")
      ->capture_default_str();
  app.add_option("--sign", o.sign, "Also LBGM on scaled sign at every δ (lbgm_<δ>_sign)")
      ->capture_default_str();
  app.add_option("--topology", o.topology, "Gossip graph of every run")->capture_default_str();
  app.add_option(
         "--methods",
         o.methods,
         "Only these runs (raw, fp16, lossless, lbgm_<δ>, lbgm_<δ>_topk_<F>, lbgm_<δ>_sign); "
         "default: all")
      ->delimiter(',');
}

int lbgmCommand(const LbgmBenchOptions& o, bool json) {
  std::vector<SweepMethod> methods = {
      {"raw", "raw gossip", {"--codec", "raw", "--topology", o.topology}},
      {"fp16", "fp16 gossip", {"--codec", "fp16", "--topology", o.topology}},
      {"lossless", "lossless gossip", {"--codec", "lossless", "--topology", o.topology}}};
  for (double delta : o.deltas) {
    const std::string d = fmt::format("{:g}", delta);
    methods.push_back({"lbgm_" + d,
                       "LBGM gossip, δ = " + d,
                       {"--codec", "lbgm", "--lbgm-delta", d, "--topology", o.topology}});
  }
  for (double topk : o.topks) {
    if (topk <= 0) {
      continue;
    }
    const std::string f = fmt::format("{:g}", topk);
    for (double delta : o.deltas) {
      const std::string d = fmt::format("{:g}", delta);
      methods.push_back({"lbgm_" + d + "_topk_" + f,
                         "LBGM gossip, δ = " + d + ", on top-" + f,
                         {"--codec",
                          "lbgm",
                          "--lbgm-delta",
                          d,
                          "--lbgm-topk",
                          f,
                          "--lbgm-gamma",
                          fmt::format("{:g}", o.topkGamma),
                          "--topology",
                          o.topology}});
    }
  }
  for (double delta : o.sign ? o.deltas : std::vector<double>{}) {
    const std::string d = fmt::format("{:g}", delta);
    methods.push_back({"lbgm_" + d + "_sign",
                       "LBGM gossip, δ = " + d + ", on scaled sign",
                       {"--codec",
                        "lbgm",
                        "--lbgm-delta",
                        d,
                        "--lbgm-sign",
                        "--lbgm-gamma",
                        fmt::format("{:g}", o.topkGamma),
                        "--topology",
                        o.topology}});
  }
  std::optional<std::vector<SweepOutcome>> sweep =
      runSweep(o.swarm, methods, o.methods, o.target, "murmur-bench-lbgm");
  if (!sweep) {
    return 1;
  }
  const std::vector<SweepOutcome>& outcomes = *sweep;
  nlohmann::json report = {{"peers", o.swarm.peers},
                           {"steps", o.swarm.steps},
                           {"model", o.swarm.model},
                           {"topology", o.topology},
                           {"target_accuracy", o.target}};
  const SweepOutcome* raw = findOutcome(outcomes, "raw");
  for (const SweepOutcome& out : outcomes) {
    report[out.key + "_bytes"] = orNull(out.bytesToTarget);
    report[out.key + "_accuracy"] = out.accuracy;
    if (out.key.rfind("lbgm_", 0) == 0) {
      report[out.key + "_reuse"] = out.lbgmReuse;
    }
    if (raw != nullptr && raw->bytesToTarget && out.bytesToTarget && out.key != "raw") {
      report["raw_over_" + out.key] = *raw->bytesToTarget / *out.bytesToTarget;
    }
  }
  report["runs"] = sweepRows(outcomes);
  if (json) {
    std::puts(report.dump().c_str());
    return 0;
  }
  std::printf(
      "%d peers x %lld steps of %s on a %s graph; bytes (all peers) and steps until every "
      "peer's local test accuracy first reached %.2f:\n",
      o.swarm.peers,
      static_cast<long long>(o.swarm.steps),
      o.swarm.model.c_str(),
      o.topology.c_str(),
      o.target);
  printSweep(outcomes, "reuse", [](const SweepOutcome& out) { return out.lbgmReuse; });
  for (const SweepOutcome& out : outcomes) {
    const std::string key = "raw_over_" + out.key;
    if (report.contains(key)) {
      std::printf("  raw / %s bytes: %.2fx, accuracy %+.2f points%s\n",
                  out.key.c_str(),
                  report[key].get<double>(),
                  100 * (out.accuracy - raw->accuracy),
                  out.key.rfind("lbgm_", 0) == 0 ? " (target >= 1.5x within 1 point)" : "");
    }
  }
  return 0;
}

}  // namespace murmur::bench
