#include "peer/embedded_peer.h"

#include "runtime/error.h"

namespace murmur::peer {

EmbeddedPeer::EmbeddedPeer(NodeOptions options) : node_(std::move(options)) {}

EmbeddedPeer::~EmbeddedPeer() {
  if (thread_.joinable()) {
    node_.requestLeave();
    thread_.join();
  }
}

void EmbeddedPeer::start() {
  MURMUR_REQUIRE(!thread_.joinable() && !summary_ && !failure_, "the peer was already started");
  thread_ = std::thread([this] {
    try {
      summary_ = node_.run();
    } catch (...) {
      failure_ = std::current_exception();
    }
  });
}

PeerSummary EmbeddedPeer::wait() {
  MURMUR_REQUIRE(thread_.joinable() || summary_ || failure_, "wait() before start()");
  if (thread_.joinable()) {
    thread_.join();
  }
  if (failure_) {
    std::rethrow_exception(failure_);
  }
  return *summary_;
}

}  // namespace murmur::peer
