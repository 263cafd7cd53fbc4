#include "tools/bench/swarm_runs.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace murmur::bench {

std::string besideSelf(const std::string& name) {
  std::vector<char> buffer(4096);
  ssize_t n = readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  std::string self = n > 0 ? std::string(buffer.data(), static_cast<std::size_t>(n)) : "";
  return (std::filesystem::path(self).parent_path() / name).string();
}

SwarmRun runSwarm(const SwarmBenchOptions& o,
                  const std::vector<std::string>& flags,
                  const std::string& dir,
                  const std::string& what) {
  std::vector<std::string> args = {o.murmur,
                                   "swarm",
                                   "--peers",
                                   std::to_string(o.peers),
                                   "--steps",
                                   std::to_string(o.steps),
                                   "--model",
                                   o.model,
                                   "--data",
                                   o.data,
                                   "--rate",
                                   std::to_string(o.rate),
                                   "--shard",
                                   o.shard,
                                   "--lr-schedule",
                                   o.lrSchedule,
                                   "--eval-interval",
                                   std::to_string(o.evalInterval),
                                   "--no-table",
                                   "--run-dir",
                                   dir,
                                   "--summary-json",
                                   dir + "/swarm.json"};
  args.insert(args.end(), flags.begin(), flags.end());
  std::fprintf(stderr, "murmur-bench: running a %d-peer swarm, %s...\n", o.peers, what.c_str());
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> raw;
    for (const std::string& a : args) {
      raw.push_back(const_cast<char*>(a.c_str()));
    }
    raw.push_back(nullptr);
    std::freopen("/dev/null", "w", stdout);
    execv(raw[0], raw.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  SwarmRun run;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return run;
  }
  double rateSum = 0;
  for (int i = 0; i < o.peers; ++i) {
    std::ifstream in(dir + "/peer" + std::to_string(i) + ".json");
    nlohmann::json s = nlohmann::json::parse(in, nullptr, false);
    if (s.is_discarded()) {
      return run;
    }
    rateSum += s["steps"].get<double>() / s["train_seconds"].get<double>();
    run.peers.push_back(std::move(s));
  }
  std::ifstream in(dir + "/swarm.json");
  nlohmann::json swarm = nlohmann::json::parse(in, nullptr, false);
  run.ok = !swarm.is_discarded();
  run.stepsPerSecond = rateSum / o.peers;
  run.accuracy = swarm.value("test_accuracy_avg_model", 0.0);
  run.wallSeconds = swarm.value("wall_seconds", 0.0);
  run.bytesSent = swarm.value("bytes_sent_total", 0.0);
  return run;
}

void addSwarmBenchOptions(CLI::App& app, SwarmBenchOptions& o) {
  app.add_option("--murmur", o.murmur, "murmur binary (default: beside murmur-bench)");
  app.add_option("--peers", o.peers, "Peers per swarm")->capture_default_str();
  app.add_option("--steps", o.steps, "Steps per peer")->capture_default_str();
  app.add_option("--model", o.model, "mlp or lenet5")->capture_default_str();
  app.add_option("--data", o.data, "Fashion-MNIST directory")->capture_default_str();
  app.add_option("--rate", o.rate, "Gossip rate r of the gossip-on run")->capture_default_str();
  app.add_option("--shard", o.shard, "How the data is split: iid, label-sorted or dirichlet")
      ->capture_default_str();
  app.add_option(
         "--lr-schedule", o.lrSchedule, "Learning rate after the warm-up: constant or cosine")
      ->capture_default_str();
}

int stepsCommand(const SwarmBenchOptions& options, bool json) {
  SwarmBenchOptions o = options;
  if (o.murmur.empty()) {
    o.murmur = besideSelf("murmur");
  }
  std::string base = std::filesystem::temp_directory_path() / "murmur-bench-steps";
  std::filesystem::remove_all(base);
  SwarmRun on = runSwarm(o, {}, base + "/gossip", "gossip on (r = " + std::to_string(o.rate) + ")");
  SwarmRun off = runSwarm(o, {"--no-gossip"}, base + "/alone", "gossip off");
  if (!on.ok || !off.ok) {
    std::fprintf(stderr, "murmur-bench: a swarm failed; logs in %s\n", base.c_str());
    return 1;
  }
  double ratio = on.stepsPerSecond / off.stepsPerSecond;
  if (json) {
    nlohmann::json out = {{"peers", o.peers},
                          {"steps_per_second_gossip", on.stepsPerSecond},
                          {"steps_per_second_alone", off.stepsPerSecond},
                          {"ratio", ratio},
                          {"accuracy_gossip", on.accuracy},
                          {"accuracy_alone", off.accuracy},
                          {"bytes_sent_gossip", on.bytesSent}};
    std::puts(out.dump().c_str());
  } else {
    std::printf(
        "%d peers x %lld steps of %s on this machine (per-peer training throughput):\n"
        "  gossip at r = %.1f   %7.1f steps/s   averaged-model accuracy %.4f\n"
        "  gossip off         %7.1f steps/s   averaged-model accuracy %.4f\n"
        "  ratio              %7.2f   (target >= 0.9)\n",
        o.peers,
        static_cast<long long>(o.steps),
        o.model.c_str(),
        o.rate,
        on.stepsPerSecond,
        on.accuracy,
        off.stepsPerSecond,
        off.accuracy,
        ratio);
  }
  return 0;
}

}  // namespace murmur::bench
