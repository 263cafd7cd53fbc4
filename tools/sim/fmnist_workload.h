// murmur-sim on real data: softmax regression (784 inputs, 10 classes, 7850 parameters) or the
// `mlp` built-in (784-256-128-10, 235,146 parameters) on Fashion-MNIST, each peer sampling
// minibatches from its own shard (iid, or label-sorted for heterogeneous peers) and stepping plain
// SGD; evaluated by mean local test loss and accuracy. Plain C++, no LibTorch: softmax regression
// runs 16 peers for thousands of steps in seconds, the MLP ~30x slower per step.
#pragma once

#include <memory>

#include "tools/sim/workload.h"

namespace murmur::sim {

// Throws Error(kInvalidArgument) naming the directory when the IDX files are missing.
std::unique_ptr<Workload> makeFashionMnistLogReg(const WorkloadOptions& options);
std::unique_ptr<Workload> makeFashionMnistMlp(const WorkloadOptions& options);

}  // namespace murmur::sim
