// Raw ZeroMQ through murmur's transport, no envelope decoding, no snapshots, no validation: the
// physical limit the exchange and join benchmarks compare with, measured in the same run.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "peer/transport/zmq_transport.h"

namespace murmur::bench {

using Clock = std::chrono::steady_clock;

// Untimed rounds before timing, on both sides: the first exchanges fill the snapshot pool and
// libzmq's receive buffers with fresh pages, which cost tens of times a copy into reused memory.
constexpr int kWarmupRounds = 3;

double secondsSince(Clock::time_point start);

// CPU seconds this process has used so far, all threads, user and kernel (libzmq's I/O threads
// and the loopback's socket copies included): what a round costs the machine, not just the wait.
double processCpuSeconds();

// Sends until libzmq takes the message (the peer connects in the background).
void sendRetrying(peer::transport::ZmqTransport& t,
                  std::uint32_t to,
                  const std::vector<std::byte>& head,
                  const std::vector<runtime::Blob>& payload);

// The last frame of the next message.
runtime::Blob receiveOne(peer::transport::ZmqTransport& t);

// Ping-pong (the exchange's dependency structure: ACCEPT, then PARAMS) and both directions at once.
struct RawResult {
  double pingPongGbps = 0;
  double pingPongCpuPerRound = 0;  // seconds of CPU per ping-pong round, both sides
  double bidirectionalGbps = 0;
};

RawResult rawZmq(std::size_t numel, int rounds);

}  // namespace murmur::bench
