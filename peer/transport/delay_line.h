// Fault injection for the transport: holds every outbound message for a fixed time before it
// reaches libzmq, so tests and benchmarks get WAN-like latency on links that have none (this
// kernel has no netem). Per destination, order is kept and nothing is dropped: a message that
// libzmq refuses when due (peer not connected, queue full) waits at the head of its line, as it
// would in a real socket buffer. Sans-I/O: the caller passes the time and does the sending.
// Thread: one owner (the comm thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "runtime/blob.h"
#include "runtime/clock.h"

namespace murmur::peer::transport {

struct DelayedMessage {
  std::vector<std::byte> envelope;
  std::vector<runtime::Blob> payloads;  // their keep-alives pin the buffers while held
  runtime::TimePoint due{};
};

class DelayLine {
 public:
  // `perPeerLimit` messages may wait per destination; more are refused, like a full queue.
  DelayLine(runtime::Duration delay, std::size_t perPeerLimit);

  // Holds a message for `to` until now + delay. False, holding nothing, when its line is full.
  bool hold(std::uint32_t to,
            std::vector<std::byte> envelope,
            std::vector<runtime::Blob> payloads,
            runtime::TimePoint now);

  // Hands every due message to `send`, oldest first per destination; a destination whose send
  // returns false keeps that message and the ones behind it, retried 5 ms later.
  void release(runtime::TimePoint now,
               const std::function<bool(std::uint32_t, const DelayedMessage&)>& send);

  // When the oldest held message falls due; nullopt when nothing is held.
  std::optional<runtime::TimePoint> nextDue() const;

  // Forgets every message for `to` (its connection is closed).
  void drop(std::uint32_t to);

  std::size_t held() const;

 private:
  runtime::Duration delay_;
  std::size_t perPeerLimit_;
  std::map<std::uint32_t, std::deque<DelayedMessage>> lines_;
};

}  // namespace murmur::peer::transport
