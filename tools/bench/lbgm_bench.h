// murmur-bench lbgm: the bytes gossip costs to reach a test accuracy under each exchange codec
// (issue 5): raw, the fp16 cast, lossless, and LBGM over a sweep of δ, dense and stacked on
// top-k. One local swarm per codec, same data, seeds and peers.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/swarm_runs.h"

namespace murmur::bench {

struct LbgmBenchOptions {
  SwarmBenchOptions swarm;
  double target = 0.85;  // mean local test accuracy to reach
  std::vector<double> deltas = {0.1, 0.2, 0.5, 0.8, 0.95};
  std::vector<double> topks = {0.1};  // LBGM at every δ on these top-k fractions too
  double topkGamma = 0.25;            // --lbgm-gamma of the top-k and sign runs
  bool sign = true;                   // LBGM at every δ on scaled sign too
  std::string topology = "complete";
  std::vector<std::string> methods;  // only these runs (empty: all)
};

void addLbgmBenchOptions(CLI::App& app, LbgmBenchOptions& options);

int lbgmCommand(const LbgmBenchOptions& options, bool json);

}  // namespace murmur::bench
