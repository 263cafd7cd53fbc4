// murmur-sim on real data: softmax regression on Fashion-MNIST (784 inputs, 10 classes, 7850
// parameters), each peer sampling minibatches from its own shard (iid, or label-sorted for
// heterogeneous peers) and stepping plain SGD; evaluated by mean local test loss and accuracy.
// Plain C++, no LibTorch: fast enough for 16 peers and thousands of steps in seconds.
#pragma once

#include <memory>

#include "tools/sim/workload.h"

namespace murmur::sim {

// Throws Error(kInvalidArgument) naming the directory when the IDX files are missing.
std::unique_ptr<Workload> makeFashionMnistLogReg(const WorkloadOptions& options);

}  // namespace murmur::sim
