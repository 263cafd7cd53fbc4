#include <chrono>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "peer/transport/zmq_transport.h"
#include "tests/support/test_support.h"

namespace murmur::peer::transport {
namespace {

using std::chrono::milliseconds;

// Polls until `count` messages arrived or the deadline passes (poll() itself blocks on the
// socket: no sleeps).
std::vector<InboundMessage> receive(ZmqTransport& t, std::size_t count, milliseconds deadline) {
  std::vector<InboundMessage> out;
  auto end = std::chrono::steady_clock::now() + deadline;
  while (out.size() < count && std::chrono::steady_clock::now() < end) {
    for (auto& m : t.poll(milliseconds(50))) {
      out.push_back(std::move(m));
    }
  }
  return out;
}

TEST(ZmqTransport, DeliversEnvelopeAndZeroCopyPayloadWithTheSendersName) {
  ZmqTransport a(TransportOptions{"tcp://127.0.0.1:*", "alice"});
  ZmqTransport b(TransportOptions{"tcp://127.0.0.1:*", "bob"});
  a.connect(1, b.boundAddress());
  auto payload = std::make_shared<std::vector<float>>(100000, 2.5F);
  std::weak_ptr<std::vector<float>> watch = payload;
  runtime::Blob blob;
  blob.data = reinterpret_cast<const std::byte*>(payload->data());
  blob.bytes = payload->size() * sizeof(float);
  blob.dtype = runtime::DType::kFloat32;
  blob.keepAlive = payload;
  payload.reset();
  std::vector<std::byte> envelope(16, std::byte{7});
  // The DEALER connects in the background: retry until the connection is up (IMMEDIATE).
  bool sent = false;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!sent && std::chrono::steady_clock::now() < end) {
    sent = a.send(1, envelope, {blob});
    if (!sent) {
      b.poll(milliseconds(10));
    }
  }
  ASSERT_TRUE(sent);
  blob = runtime::Blob{};
  auto got = receive(b, 1, milliseconds(10000));
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].routingId, "alice");
  ASSERT_EQ(got[0].frames.size(), 2U);
  EXPECT_EQ(got[0].frames[0].bytes, 16U);
  ASSERT_EQ(got[0].frames[1].bytes, 400000U);
  EXPECT_EQ(reinterpret_cast<const float*>(got[0].frames[1].data)[99999], 2.5F);
  EXPECT_EQ(a.bytesSent(), 400016U);
  // libzmq released our buffer once it was on the wire (free callback on its I/O thread).
  auto releaseEnd = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!watch.expired() && std::chrono::steady_clock::now() < releaseEnd) {
    a.poll(milliseconds(10));
  }
  EXPECT_TRUE(watch.expired());
}

TEST(ZmqTransport, SendToAnAbsentPeerFailsAtOnce) {
  std::vector<int> ports = tests::freePorts(1);
  ZmqTransport a(TransportOptions{"tcp://127.0.0.1:*", "alice"});
  a.connect(1, "tcp://127.0.0.1:" + std::to_string(ports[0]));
  EXPECT_FALSE(a.send(1, std::vector<std::byte>(8), {}));
}

// Fault injection: a message is held for the injected latency, then delivered whole and in order.
// (A lower bound only: it can never arrive early, whatever the machine's load.)
TEST(ZmqTransport, InjectedLatencyHoldsEveryMessageAtLeastThatLong) {
  TransportOptions options{"tcp://127.0.0.1:*", "alice"};
  options.injectedLatency = milliseconds(150);
  ZmqTransport a(options);
  ZmqTransport b(TransportOptions{"tcp://127.0.0.1:*", "bob"});
  a.connect(1, b.boundAddress());
  const auto sentAt = std::chrono::steady_clock::now();
  // Held, so accepted before the connection is even up.
  for (std::uint8_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(a.send(1, std::vector<std::byte>(4, std::byte{i}), {}));
  }
  std::vector<InboundMessage> got;
  auto end = sentAt + std::chrono::seconds(10);
  while (got.size() < 3 && std::chrono::steady_clock::now() < end) {
    a.poll(milliseconds(5));  // the sender's poll releases what is due
    for (auto& m : b.poll(milliseconds(5))) {
      if (got.empty()) {
        EXPECT_GE(std::chrono::steady_clock::now() - sentAt, milliseconds(150));
      }
      got.push_back(std::move(m));
    }
  }
  ASSERT_EQ(got.size(), 3U);
  for (std::uint8_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].frames[0].data[0], std::byte{i}) << "out of order";
  }
  EXPECT_EQ(a.bytesSent(), 12U);
}

TEST(ZmqTransport, WakeInterruptsAPoll) {
  ZmqTransport a(TransportOptions{"tcp://127.0.0.1:*", "alice"});
  a.wake();
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(a.poll(std::chrono::seconds(30)).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(ZmqTransport, BindFailureNamesTheAddress) {
  ZmqTransport a(TransportOptions{"tcp://127.0.0.1:*", "alice"});
  try {
    ZmqTransport b(TransportOptions{a.boundAddress(), "bob"});
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(a.boundAddress()), std::string::npos);
  }
}

}  // namespace
}  // namespace murmur::peer::transport
