#include "tools/sim/network_model.h"

#include <algorithm>
#include <utility>

#include "runtime/error.h"

namespace murmur::sim {

NetworkModel::NetworkModel(std::uint32_t peers, LinkModel link, std::vector<double> uplinkScale)
    : link_(link),
      uplinkScale_(uplinkScale.empty() ? std::vector<double>(peers, 1.0) : std::move(uplinkScale)),
      uplinkFreeAt_(peers),
      bytesSentBy_(peers, 0) {
  MURMUR_REQUIRE(uplinkScale_.size() == peers,
                 "network model: ",
                 uplinkScale_.size(),
                 " uplink scales for ",
                 peers,
                 " peers");
  MURMUR_REQUIRE(
      link_.loss >= 0 && link_.loss < 1, "network model: loss must be in [0, 1), not ", link_.loss);
  MURMUR_REQUIRE(link_.bandwidthBytesPerSecond >= 0 && link_.latency.count() >= 0,
                 "network model: latency and bandwidth must not be negative");
}

runtime::TimePoint NetworkModel::deliveryTime(std::uint32_t from,
                                              std::uint32_t to,
                                              std::uint64_t bytes,
                                              runtime::TimePoint now,
                                              runtime::Rng& rng) {
  runtime::TimePoint sent = now;
  if (link_.bandwidthBytesPerSecond > 0) {
    double rate = link_.bandwidthBytesPerSecond * uplinkScale_[from];
    runtime::TimePoint start = std::max(now, uplinkFreeAt_[from]);
    sent = start + runtime::fromSeconds(static_cast<double>(bytes) / rate);
    uplinkFreeAt_[from] = sent;
  }
  runtime::Duration resend{0};
  runtime::Duration timeout = link_.retransmitTimeout;
  while (link_.loss > 0 && rng.uniform() < link_.loss) {
    resend += timeout;
    timeout *= 2;
    ++retransmissions_;
  }
  bytesSent_ += bytes;
  bytesSentBy_[from] += bytes;
  runtime::TimePoint& last = lastArrival_[(std::uint64_t{from} << 32) | to];
  last = std::max(last, sent + link_.latency + resend);
  return last;
}

}  // namespace murmur::sim
