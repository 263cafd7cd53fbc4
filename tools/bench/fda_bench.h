// murmur-bench fda: the bytes each way of keeping a swarm together costs to reach a test
// accuracy (issue 4): sync after every step, periodic syncs (the best of a sweep), FDA's three
// estimators without gossip, gossip alone, and gossip with FDA as its safety net. One local
// swarm per method, same data, seeds and peers.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/swarm_runs.h"

namespace murmur::bench {

struct FdaBenchOptions {
  SwarmBenchOptions swarm;
  double target = 0.85;  // mean local test accuracy to reach
  std::vector<std::int64_t> periods = {10, 50, 200};
  std::string theta = "auto";        // --fda-theta of the FDA runs
  std::int64_t checkEvery = 1;       // --fda-check-every of the FDA runs
  std::vector<std::string> methods;  // only these runs (empty: all)
};

void addFdaBenchOptions(CLI::App& app, FdaBenchOptions& options);

int fdaCommand(const FdaBenchOptions& options, bool json);

}  // namespace murmur::bench
