// murmur-bench steps: runs local swarms through the murmur binary and compares their compute
// throughput with gossip on and off.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace murmur::bench {

struct SwarmBenchOptions {
  std::string murmur;  // path of the murmur binary (default: beside murmur-bench)
  int peers = 4;
  std::int64_t steps = 1500;
  std::string model = "lenet5";
  std::string data = "/usr/share/datasets/fashion-mnist";
  double rate = 1.0;
  double evalInterval = 0;              // seconds between local test-accuracy points (0: none)
  std::string shard = "iid";            // iid | label-sorted | dirichlet
  std::string lrSchedule = "constant";  // constant | cosine
};

void addSwarmBenchOptions(CLI::App& app, SwarmBenchOptions& options);

// One `murmur swarm` run and what its summaries say.
struct SwarmRun {
  bool ok = false;
  double stepsPerSecond = 0;  // per peer, mean over peers, training phase only
  double accuracy = 0;        // of the exact average at the end
  double wallSeconds = 0;
  double bytesSent = 0;
  std::vector<nlohmann::json> peers;  // the per-peer summaries
};

// Runs `murmur swarm` with the options and `flags` in `dir` (logs stay there); `what` names the
// run in the progress line on stderr.
SwarmRun runSwarm(const SwarmBenchOptions& o,
                  const std::vector<std::string>& flags,
                  const std::string& dir,
                  const std::string& what);

// The murmur binary beside this one.
std::string besideSelf(const std::string& name);

int stepsCommand(const SwarmBenchOptions& options, bool json);

}  // namespace murmur::bench
