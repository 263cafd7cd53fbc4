#include "tools/bench/method_sweep.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

namespace murmur::bench {
namespace {

// Each peer's first timeline point at or above the target: its step and the bytes it had sent.
SweepOutcome measure(const SweepMethod& method, const SwarmRun& run, double target) {
  SweepOutcome out;
  out.key = method.key;
  out.accuracy = run.accuracy;
  out.bytesTotal = run.bytesSent;
  double bytes = 0;
  double steps = 0;
  bool everyone = !run.peers.empty();
  const auto peers = static_cast<double>(run.peers.size());
  for (const nlohmann::json& peer : run.peers) {
    out.syncs += peer.value("syncs", 0.0) / peers;
    out.lbgmReuse += peer.value("lbgm_reuse", 0.0) / peers;
    out.consensusDistance = peer.value("consensus_distance_final", 0.0);
    out.syncCodecFallbacks += peer.value("sync_codec_fallbacks", 0.0);
    const nlohmann::json forms = peer.value("sync_chunk_forms", nlohmann::json::object());
    for (const auto& [form, count] : forms.items()) {
      out.syncChunkForms[form] += count.get<double>();
    }
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
    out.stepsToTarget = steps / peers;
  }
  return out;
}

}  // namespace

nlohmann::json orNull(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::optional<std::vector<SweepOutcome>> runSweep(const SwarmBenchOptions& options,
                                                  std::vector<SweepMethod> methods,
                                                  const std::vector<std::string>& only,
                                                  double target,
                                                  const std::string& dirName) {
  SwarmBenchOptions o = options;
  if (o.murmur.empty()) {
    o.murmur = besideSelf("murmur");
  }
  if (o.evalInterval <= 0) {
    o.evalInterval = 1;
  }
  if (!only.empty()) {
    methods.erase(std::remove_if(methods.begin(),
                                 methods.end(),
                                 [&](const SweepMethod& m) {
                                   return std::find(only.begin(), only.end(), m.key) == only.end();
                                 }),
                  methods.end());
  }
  const std::string base = std::filesystem::temp_directory_path() / dirName;
  std::filesystem::remove_all(base);
  std::vector<SweepOutcome> outcomes;
  for (const SweepMethod& m : methods) {
    SwarmRun run = runSwarm(o, m.flags, base + "/" + m.key, m.what);
    if (!run.ok) {
      std::fprintf(stderr,
                   "murmur-bench: the %s swarm failed; logs in %s/%s\n",
                   m.key.c_str(),
                   base.c_str(),
                   m.key.c_str());
      return std::nullopt;
    }
    outcomes.push_back(measure(m, run, target));
  }
  return outcomes;
}

const SweepOutcome* findOutcome(const std::vector<SweepOutcome>& outcomes, const std::string& key) {
  auto it = std::find_if(
      outcomes.begin(), outcomes.end(), [&](const SweepOutcome& out) { return out.key == key; });
  return it == outcomes.end() ? nullptr : &*it;
}

nlohmann::json sweepRows(const std::vector<SweepOutcome>& outcomes) {
  nlohmann::json runs = nlohmann::json::array();
  for (const SweepOutcome& out : outcomes) {
    runs.push_back({{"method", out.key},
                    {"bytes_to_target", orNull(out.bytesToTarget)},
                    {"steps_to_target", orNull(out.stepsToTarget)},
                    {"bytes_total", out.bytesTotal},
                    {"accuracy", out.accuracy},
                    {"syncs_per_peer", out.syncs},
                    {"lbgm_reuse", out.lbgmReuse},
                    {"consensus_distance_final", out.consensusDistance},
                    {"sync_codec_fallbacks", out.syncCodecFallbacks}});
  }
  return runs;
}

void printSweep(const std::vector<SweepOutcome>& outcomes,
                const char* extraName,
                double (*extra)(const SweepOutcome&)) {
  std::printf("  %-14s %14s %10s %14s %9s %7s\n",
              "method",
              "MB to target",
              "steps",
              "MB total",
              "accuracy",
              extraName);
  for (const SweepOutcome& out : outcomes) {
    std::printf("  %-14s %14s %10s %14.1f %9.4f %7.2f\n",
                out.key.c_str(),
                out.bytesToTarget ? fmt::format("{:.2f}", *out.bytesToTarget / 1e6).c_str() : "—",
                out.stepsToTarget ? fmt::format("{:.0f}", *out.stepsToTarget).c_str() : "—",
                out.bytesTotal / 1e6,
                out.accuracy,
                extra(out));
  }
}

}  // namespace murmur::bench
