// murmur-bench join: how long a joiner waits for its admission (JOIN → JOIN_ACCEPT with the member
// list and a model snapshot), against raw ZeroMQ moving the same bytes in the same run.
#pragma once

#include <cstddef>
#include <vector>

namespace murmur::bench {

int joinCommand(const std::vector<std::size_t>& sizes, int rounds, bool json);

}  // namespace murmur::bench
