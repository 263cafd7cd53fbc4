// murmur-bench lhc: the bytes a sync ring moves with --sync-codec raw and lhc on a model whose
// updates are sparse (bagrec under plain SGD), over a few sync periods (issue 5). One local swarm
// per run, same data, seeds and peers.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/swarm_runs.h"

namespace murmur::bench {

struct LhcBenchOptions {
  SwarmBenchOptions swarm;
  double target = 0.95;                                // mean local test accuracy to reach
  std::vector<std::int64_t> periods = {1, 2, 5};       // --sync-period of each pair of runs
  std::vector<double> capacities = {0.05, 0.1, 0.15};  // --lhc-capacity, one per period
  std::vector<std::string> methods;                    // only these runs (empty: all)
};

void addLhcBenchOptions(CLI::App& app, LhcBenchOptions& options);

int lhcCommand(const LhcBenchOptions& options, bool json);

}  // namespace murmur::bench
