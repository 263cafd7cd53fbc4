// ZeroMQ transport of one peer: a ROUTER bound at our address for everything inbound, one DEALER
// per peer for everything outbound (specs/a2cid2.md §3.1). Payload frames go out zero-copy: the
// transport holds the blob's keep-alive until libzmq's free callback (any libzmq thread).
// Thread: comm only, except wake() (any thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "peer/transport/delay_line.h"
#include "peer/transport/swarm_key.h"
#include "runtime/blob.h"
#include "runtime/clock.h"

namespace murmur::peer::transport {

struct TransportOptions {
  std::string bindAddress;          // e.g. tcp://127.0.0.1:7000 (tcp://host:* picks a free port)
  std::string routingId;            // our name: how the peers' ROUTERs know who sent a message
  std::size_t maxMessageBytes = 0;  // frames above this are refused by libzmq (0: no limit)
  int sendHighWaterMark = 256;      // messages queued per peer before sends report would-block
  int lingerMs = 2000;              // at close: time to flush the last messages (final models)
  SwarmKey key = {};                // CurveZMQ on every connection when set (swarm_key.h)
  // Fault injection: every outbound message waits this long before it reaches libzmq
  // (delay_line.h). Sends then succeed while the peer's delay line has room.
  runtime::Duration injectedLatency = runtime::Duration::zero();
};

// One inbound message: the sender's routing id and its frames (frame 0 is the envelope).
struct InboundMessage {
  std::string routingId;
  std::vector<runtime::Blob> frames;  // each keeps its zmq::message_t alive
};

class ZmqTransport {
 public:
  // Binds the ROUTER. Throws Error(kInvalidArgument) naming the address if binding fails.
  explicit ZmqTransport(TransportOptions options);
  ~ZmqTransport();
  ZmqTransport(const ZmqTransport&) = delete;
  ZmqTransport& operator=(const ZmqTransport&) = delete;

  // The endpoint actually bound (a wildcard port resolved).
  std::string boundAddress() const;

  // Opens a DEALER to peer `index` at `address` (connects in the background). `routingId`
  // replaces our name for this one connection (a joiner's, whose name may be taken).
  void connect(std::uint32_t index, const std::string& address, const std::string& routingId = "");

  // Connections the swarm key turned away since the last call: "ENDPOINT: why", for the log.
  std::vector<std::string> takeRejections();

  // Closes the DEALER to `index`, if any (messages still queued are dropped after the linger).
  void disconnect(std::uint32_t index);

  // Sends frame 0 (copied; small) and the payloads (zero-copy). Returns false, sending nothing,
  // when the peer's queue is full or it is not connected (dead or not yet up); with an injected
  // latency, only when its delay line is full.
  bool send(std::uint32_t to,
            const std::vector<std::byte>& envelope,
            const std::vector<runtime::Blob>& payloads);

  // Waits up to `timeout` for inbound traffic or wake(), then returns every message ready
  // (at most maxBatch). Malformed multipart sequences are returned too: the caller validates.
  std::vector<InboundMessage> poll(runtime::Duration timeout, std::size_t maxBatch = 64);

  // Interrupts a poll() in progress. Thread: any.
  void wake();

  // Bytes handed to libzmq so far (frames included), for byte accounting.
  std::uint64_t bytesSent() const { return bytesSent_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint64_t bytesSent_ = 0;
};

}  // namespace murmur::peer::transport
