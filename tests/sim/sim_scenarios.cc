#include "tests/sim/sim_scenarios.h"

#include "tests/support/test_support.h"

namespace murmur::sim::tests {

SimOptions scenario(std::uint32_t peers,
                    const std::string& topology,
                    const std::string& workload,
                    double until,
                    double burnIn) {
  SimOptions o;
  o.peers = peers;
  o.topology = topology;
  o.workload = workload;
  o.until = until;
  o.burnIn = burnIn;
  return o;
}

SimOptions variant(SimOptions o, bool momentum, double rate) {
  o.momentum = momentum;
  o.rate = rate;
  return o;
}

double meanDistance(SimOptions o, int seeds, bool steady) {
  double total = 0;
  for (int s = 1; s <= seeds; ++s) {
    o.seed = static_cast<std::uint64_t>(s);
    SimResult r = simulate(o);
    total += steady ? r.consensusDistanceMean : r.consensusDistance;
  }
  return total / seeds;
}

SimOptions fashion(const std::string& shard) {
  SimOptions o = scenario(16, "ring", "fmnist-logreg", 500, 0);
  o.sampleEvery = 250;
  o.workloadOptions.data = murmur::tests::fashionMnistDir();
  o.workloadOptions.shard = shard;
  return o;
}

}  // namespace murmur::sim::tests
