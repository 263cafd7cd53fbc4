#include "peer/transport/zmq_transport.h"

#include <cerrno>
#include <map>
#include <optional>
#include <utility>

#include <zmq.hpp>

#include "runtime/error.h"

#include <sys/eventfd.h>
#include <unistd.h>

namespace murmur::peer::transport {
namespace {

// libzmq's free callback: the only place murmur deletes what it new-ed (STYLE.md §5).
void releaseKeepAlive(void* /*data*/, void* hint) noexcept {
  delete static_cast<std::shared_ptr<const void>*>(hint);
}

}  // namespace

struct ZmqTransport::Impl {
  TransportOptions options;
  zmq::context_t context{1};  // declared first: destroyed last
  zmq::socket_t router{context, zmq::socket_type::router};
  // With a swarm key: the ZAP handler that vets CURVE clients, and the router's monitor, which
  // reports handshakes that failed before ZAP (a peer without any key).
  zmq::socket_t zap;
  zmq::socket_t monitor;
  std::string publicKeyBinary;  // 32 bytes
  std::vector<std::string> rejections;
  std::map<std::uint32_t, zmq::socket_t> dealers;
  std::optional<DelayLine> delayed;  // with an injected latency
  runtime::SteadyClock clock;
  int wakeFd = -1;
  std::string bound;

  // Hands one message to libzmq. False when the first frame is refused (nothing is sent).
  static bool sendNow(zmq::socket_t& dealer,
                      const std::vector<std::byte>& envelope,
                      const std::vector<runtime::Blob>& payloads) {
    zmq::message_t head(envelope.data(), envelope.size());
    auto more = payloads.empty() ? zmq::send_flags::dontwait
                                 : zmq::send_flags::dontwait | zmq::send_flags::sndmore;
    // The first frame decides: once it is queued, libzmq accepts the rest of the message.
    if (!dealer.send(head, more)) {
      return false;
    }
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      const runtime::Blob& blob = payloads[i];
      auto* hint = new std::shared_ptr<const void>(blob.keepAlive);
      zmq::message_t frame(const_cast<std::byte*>(blob.data), blob.bytes, &releaseKeepAlive, hint);
      auto flags = i + 1 < payloads.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      auto sent = dealer.send(frame, flags | zmq::send_flags::dontwait);
      MURMUR_CHECK(sent.has_value(), "libzmq refused a continuation frame");
    }
    return true;
  }

  void releaseDelayed() {
    if (!delayed) {
      return;
    }
    delayed->release(clock.now(), [&](std::uint32_t to, const DelayedMessage& m) {
      auto it = dealers.find(to);
      return it != dealers.end() && sendNow(it->second, m.envelope, m.payloads);
    });
  }

  void secure() {
    // The ZAP handler must be bound before the first handshake: that is, before bind().
    zap = zmq::socket_t(context, zmq::socket_type::rep);
    zap.set(zmq::sockopt::linger, 0);
    zap.bind("inproc://zeromq.zap.01");
    router.set(zmq::sockopt::zap_domain, "murmur");
    router.set(zmq::sockopt::curve_server, true);
    router.set(zmq::sockopt::curve_secretkey, options.key.secretKey);
    publicKeyBinary.resize(32);
    zmq_z85_decode(reinterpret_cast<std::uint8_t*>(publicKeyBinary.data()),
                   options.key.publicKey.c_str());
    const std::string endpoint = "inproc://murmur-monitor";
    int rc = zmq_socket_monitor(
        router.handle(),
        endpoint.c_str(),
        ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    MURMUR_CHECK(rc == 0, "zmq_socket_monitor failed: errno ", errno);
    monitor = zmq::socket_t(context, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(endpoint);
  }

  // Answers pending ZAP requests: only clients presenting the swarm's own public key get in.
  void serveZap() {
    while (true) {
      std::vector<zmq::message_t> request;
      zmq::message_t frame;
      if (!zap.recv(frame, zmq::recv_flags::dontwait)) {
        return;
      }
      request.push_back(std::move(frame));
      while (request.back().more()) {
        zmq::message_t next;
        (void)zap.recv(next, zmq::recv_flags::none);
        request.push_back(std::move(next));
      }
      // RFC 27: version, request id, domain, address, identity, mechanism, credentials...
      const bool wellFormed = request.size() >= 6;
      const std::string address = wellFormed ? request[3].to_string() : "?";
      const bool allowed = request.size() >= 7 && request[5].to_string() == "CURVE" &&
                           request[6].to_string() == publicKeyBinary;
      if (!allowed) {
        rejections.push_back(address + ": a client presented another key than the swarm's");
      }
      const std::string id = request.size() >= 2 ? request[1].to_string() : "";
      const std::vector<std::string> reply = {
          "1.0", id, allowed ? "200" : "400", allowed ? "OK" : "not this swarm's key", "", ""};
      for (std::size_t i = 0; i < reply.size(); ++i) {
        zap.send(zmq::buffer(reply[i]),
                 i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
      }
    }
  }

  // Handshakes that failed before ZAP: the client spoke without CURVE (no swarm key).
  void readMonitor() {
    while (true) {
      zmq::message_t event;
      if (!monitor.recv(event, zmq::recv_flags::dontwait)) {
        return;
      }
      zmq::message_t endpoint;
      if (event.more()) {
        (void)monitor.recv(endpoint, zmq::recv_flags::none);
      }
      rejections.push_back(endpoint.to_string() +
                           ": a handshake failed (the peer has no swarm key, or another one)");
    }
  }

  void configure(zmq::socket_t& socket) const {
    socket.set(zmq::sockopt::linger, options.lingerMs);
    if (options.maxMessageBytes > 0) {
      socket.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(options.maxMessageBytes));
    }
  }
};

ZmqTransport::ZmqTransport(TransportOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  MURMUR_REQUIRE(!impl_->options.routingId.empty() && impl_->options.routingId.size() <= 255,
                 "peer name must be 1..255 bytes");
  impl_->configure(impl_->router);
  impl_->router.set(zmq::sockopt::rcvhwm, 0);  // inbound is bounded by the peers' own queues
  if (!impl_->options.key.empty()) {
    impl_->secure();
  }
  try {
    impl_->router.bind(impl_->options.bindAddress);
  } catch (const zmq::error_t& e) {
    MURMUR_THROW(kInvalidArgument, "cannot bind ", impl_->options.bindAddress, ": ", e.what());
  }
  impl_->bound = impl_->router.get(zmq::sockopt::last_endpoint);
  if (impl_->options.injectedLatency > runtime::Duration::zero()) {
    impl_->delayed.emplace(impl_->options.injectedLatency,
                           static_cast<std::size_t>(impl_->options.sendHighWaterMark));
  }
  impl_->wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  MURMUR_CHECK(impl_->wakeFd >= 0, "eventfd failed: errno ", errno);
}

ZmqTransport::~ZmqTransport() {
  if (impl_ && impl_->wakeFd >= 0) {
    close(impl_->wakeFd);
  }
}

std::string ZmqTransport::boundAddress() const {
  return impl_->bound;
}

void ZmqTransport::connect(std::uint32_t index,
                           const std::string& address,
                           const std::string& routingId) {
  zmq::socket_t dealer(impl_->context, zmq::socket_type::dealer);
  impl_->configure(dealer);
  dealer.set(zmq::sockopt::routing_id, routingId.empty() ? impl_->options.routingId : routingId);
  dealer.set(zmq::sockopt::sndhwm, impl_->options.sendHighWaterMark);
  if (!impl_->options.key.empty()) {
    // Every member is a CURVE client with the swarm's own key pair, which the server checks.
    dealer.set(zmq::sockopt::curve_serverkey, impl_->options.key.publicKey);
    dealer.set(zmq::sockopt::curve_publickey, impl_->options.key.publicKey);
    dealer.set(zmq::sockopt::curve_secretkey, impl_->options.key.secretKey);
  }
  // Queue only on live connections: a send to a dead or absent peer fails at once instead of
  // pinning snapshot buffers in a queue nobody drains.
  dealer.set(zmq::sockopt::immediate, 1);
  dealer.set(zmq::sockopt::reconnect_ivl, 100);
  dealer.set(zmq::sockopt::reconnect_ivl_max, 2000);
  try {
    dealer.connect(address);
  } catch (const zmq::error_t& e) {
    MURMUR_THROW(
        kInvalidArgument, "cannot connect to peer ", index, " at ", address, ": ", e.what());
  }
  impl_->dealers.insert_or_assign(index, std::move(dealer));
}

std::vector<std::string> ZmqTransport::takeRejections() {
  return std::exchange(impl_->rejections, {});
}

void ZmqTransport::disconnect(std::uint32_t index) {
  impl_->dealers.erase(index);
  if (impl_->delayed) {
    impl_->delayed->drop(index);
  }
}

bool ZmqTransport::send(std::uint32_t to,
                        const std::vector<std::byte>& envelope,
                        const std::vector<runtime::Blob>& payloads) {
  auto it = impl_->dealers.find(to);
  MURMUR_CHECK(it != impl_->dealers.end(), "send to unconnected peer ", to);
  const bool accepted = impl_->delayed
                            ? impl_->delayed->hold(to, envelope, payloads, impl_->clock.now())
                            : Impl::sendNow(it->second, envelope, payloads);
  if (!accepted) {
    return false;
  }
  bytesSent_ += envelope.size();
  for (const runtime::Blob& blob : payloads) {
    bytesSent_ += blob.bytes;
  }
  return true;
}

std::vector<InboundMessage> ZmqTransport::poll(runtime::Duration timeout, std::size_t maxBatch) {
  std::vector<InboundMessage> out;
  impl_->releaseDelayed();
  if (impl_->delayed) {
    if (std::optional<runtime::TimePoint> due = impl_->delayed->nextDue()) {
      timeout = std::min(timeout, *due - impl_->clock.now());
    }
  }
  const bool secured = !impl_->options.key.empty();
  if (secured) {
    impl_->serveZap();  // handshakes wait for these answers: serve them even when busy
    impl_->readMonitor();
  }
  auto drain = [&] {
    while (out.size() < maxBatch) {
      zmq::message_t identity;
      if (!impl_->router.recv(identity, zmq::recv_flags::dontwait)) {
        return;
      }
      InboundMessage message;
      message.routingId.assign(static_cast<const char*>(identity.data()), identity.size());
      bool more = identity.more();
      while (more) {
        auto frame = std::make_shared<zmq::message_t>();
        auto got = impl_->router.recv(*frame, zmq::recv_flags::none);
        MURMUR_CHECK(got.has_value(), "multipart message ended early");
        more = frame->more();
        runtime::Blob blob;
        blob.data = static_cast<const std::byte*>(frame->data());
        blob.bytes = frame->size();
        blob.dtype = runtime::DType::kUInt8;
        blob.keepAlive = std::move(frame);
        message.frames.push_back(std::move(blob));
      }
      out.push_back(std::move(message));
    }
  };
  drain();
  if (!out.empty()) {
    return out;
  }
  zmq::pollitem_t items[] = {
      {static_cast<void*>(impl_->router), 0, ZMQ_POLLIN, 0},
      {nullptr, impl_->wakeFd, ZMQ_POLLIN, 0},
      {secured ? static_cast<void*>(impl_->zap) : nullptr, secured ? 0 : -1, ZMQ_POLLIN, 0},
      {secured ? static_cast<void*>(impl_->monitor) : nullptr, secured ? 0 : -1, ZMQ_POLLIN, 0},
  };
  // zmq_poll counts whole milliseconds: round up so a short wait never becomes a busy loop.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout);
  if (ms.count() < 0) {
    ms = std::chrono::milliseconds(0);
  }
  zmq::poll(items, secured ? 4 : 2, ms);
  impl_->releaseDelayed();
  if (secured) {
    impl_->serveZap();
    impl_->readMonitor();
  }
  if ((items[1].revents & ZMQ_POLLIN) != 0) {
    std::uint64_t value = 0;
    [[maybe_unused]] ssize_t n = read(impl_->wakeFd, &value, sizeof(value));
  }
  drain();
  return out;
}

void ZmqTransport::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(impl_->wakeFd, &one, sizeof(one));
}

}  // namespace murmur::peer::transport
