// murmur-bench steps: runs local swarms through the murmur binary and compares their compute
// throughput with gossip on and off.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace murmur::bench {

struct SwarmBenchOptions {
  std::string murmur;  // path of the murmur binary (default: beside murmur-bench)
  int peers = 4;
  std::int64_t steps = 1500;
  std::string model = "lenet5";
  std::string data = "/usr/share/datasets/fashion-mnist";
  double rate = 1.0;
};

void addSwarmBenchOptions(CLI::App& app, SwarmBenchOptions& options);

int stepsCommand(const SwarmBenchOptions& options, bool json);

}  // namespace murmur::bench
