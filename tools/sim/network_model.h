// The simulator's network: per-message latency, each peer's uplink bandwidth (messages leave one
// after another, so a 45 MB snapshot holds up what follows it) and packet loss as TCP sees it.
// murmur talks over ZeroMQ on TCP, so a lost packet is not a lost message: it is resent after a
// retransmission timeout that doubles each time, and what follows it on that connection waits
// behind it (TCP delivers in order). Only a crashed peer loses messages.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "runtime/clock.h"
#include "runtime/rng.h"

namespace murmur::sim {

struct LinkModel {
  runtime::Duration latency = std::chrono::milliseconds(1);  // one way, per message
  double bandwidthBytesPerSecond = 0;                        // each peer's uplink; 0: unlimited
  double loss = 0;                                           // per message try, in [0, 1)
  runtime::Duration retransmitTimeout = std::chrono::milliseconds(200);  // Linux's minimum RTO
};

class NetworkModel {
 public:
  // `uplinkScale[i]` multiplies peer i's bandwidth (slow links); empty means all 1.
  NetworkModel(std::uint32_t peers, LinkModel link, std::vector<double> uplinkScale);

  // When `bytes` sent by `from` to `to` at `now` arrive: queued behind what `from` is still
  // sending, serialized at its uplink rate, then latency plus any retransmission delays, and
  // never before what `from` sent `to` earlier. Counts the bytes.
  runtime::TimePoint deliveryTime(std::uint32_t from,
                                  std::uint32_t to,
                                  std::uint64_t bytes,
                                  runtime::TimePoint now,
                                  runtime::Rng& rng);

  std::uint64_t bytesSent() const { return bytesSent_; }

  std::uint64_t bytesSentBy(std::uint32_t peer) const { return bytesSentBy_.at(peer); }

  std::uint64_t retransmissions() const { return retransmissions_; }

  const LinkModel& link() const { return link_; }

 private:
  LinkModel link_;
  std::vector<double> uplinkScale_;
  std::vector<runtime::TimePoint> uplinkFreeAt_;
  std::unordered_map<std::uint64_t, runtime::TimePoint> lastArrival_;  // per (from, to)
  std::vector<std::uint64_t> bytesSentBy_;
  std::uint64_t bytesSent_ = 0;
  std::uint64_t retransmissions_ = 0;
};

}  // namespace murmur::sim
