// The simulator's test scenarios, shared by the engine's unit tests and the claims reproduced on
// top of it: a swarm of a size, topology and workload, and its variants.
#pragma once

#include <cstdint>
#include <string>

#include "tools/sim/simulation.h"

namespace murmur::sim::tests {

SimOptions scenario(std::uint32_t peers,
                    const std::string& topology,
                    const std::string& workload,
                    double until,
                    double burnIn);

// A²CiD² (momentum) or the baseline, at a gossip rate.
SimOptions variant(SimOptions o, bool momentum, double rate);

// The consensus distance at the end (steady = false) or its mean after burn-in, over seeds 1..N.
double meanDistance(SimOptions o, int seeds, bool steady);

// Softmax regression on Fashion-MNIST, 16 peers on a ring, 500 steps, sharded as asked.
SimOptions fashion(const std::string& shard);

}  // namespace murmur::sim::tests
