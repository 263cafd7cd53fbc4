// A real Peer on a real socket under attack: malformed, truncated, oversized, spoofed,
// mismatched and poisoned messages are dropped and counted, and the model changes only through
// a valid exchange, all at once.
#include <cmath>
#include <optional>
#include <thread>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "gossip/topology.h"
#include "peer/peer.h"
#include "runtime/rng.h"
#include "tests/support/test_support.h"

namespace murmur::peer {
namespace {

using wire::MessageType;

constexpr std::uint64_t kRunHash = 42;
constexpr std::size_t kNumel = 64;

class HostileInput : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime::Rng rng(1);
    x_.resize(kNumel);
    for (float& v : x_) {
      v = static_cast<float>(rng.normal());
    }
    original_ = x_;
    state_ =
        std::make_unique<SharedModelState>(x_.data(), kNumel, momentum::AcidParams{}, clock_.now());
    state_->stopTraining(clock_.now());  // valid exchanges apply at once: easy to observe
    transport_ = std::make_unique<transport::ZmqTransport>(
        transport::TransportOptions{"tcp://127.0.0.1:*", "victim"});
    // Mallory's inbox: where the victim's replies and heartbeats go.
    inbox_.set(zmq::sockopt::linger, 0);
    inbox_.set(zmq::sockopt::rcvtimeo, 20000);
    inbox_.bind("tcp://127.0.0.1:*");
    std::string inbox = inbox_.get(zmq::sockopt::last_endpoint);
    transport_->connect(1, inbox);
    PeerOptions options;
    options.self = runtime::PeerId{0};
    options.peers = {{transport_->boundAddress(), "victim"}, {inbox, "mallory"}};
    options.topology = gossip::ringTopology(2);
    options.runHash = kRunHash;
    budget_ = std::make_unique<ExchangeBudget>(gossip::CreditOptions{1.0, 0}, 1);
    peer_ = std::make_unique<Peer>(options, *transport_, *state_, *budget_, metrics_, clock_);
    comm_ = std::thread([this] { peer_->run(); });
    mallory_ = connect("mallory");
  }

  void TearDown() override {
    peer_->requestStop();
    comm_.join();
  }

  zmq::socket_t connect(const std::string& name) {
    zmq::socket_t s(context_, zmq::socket_type::dealer);
    s.set(zmq::sockopt::routing_id, name);
    s.set(zmq::sockopt::linger, 0);
    s.connect(transport_->boundAddress());
    return s;
  }

  static wire::Envelope envelope(MessageType type, std::uint64_t seq) {
    wire::Envelope e;
    e.type = type;
    e.receiverName = "victim";
    e.seq = seq;
    e.runHash = kRunHash;
    e.senderName = "mallory";
    if (type == MessageType::kParams || type == MessageType::kAccept ||
        type == MessageType::kFinal) {
      e.payloads.push_back(wire::PayloadInfo{runtime::DType::kFloat32, kNumel, 0, 1});
    }
    return e;
  }

  static void send(zmq::socket_t& s, const std::vector<std::vector<std::byte>>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      zmq::message_t m(frames[i].data(), frames[i].size());
      s.send(m, i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  static std::vector<std::byte> floats(std::size_t n, float value) {
    std::vector<std::byte> out(n * sizeof(float));
    for (std::size_t i = 0; i < n; ++i) {
      std::memcpy(out.data() + i * sizeof(float), &value, sizeof(float));
    }
    return out;
  }

  // Waits (bounded) until the counter reaches `value`.
  bool waitFor(const std::string& counter, double value) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (metrics_.read(counter) < value) {
      if (std::chrono::steady_clock::now() > end) {
        return false;
      }
      std::this_thread::yield();
    }
    return true;
  }

  // The next message the victim sends Mallory, skipping heartbeats; nullopt after 20 s.
  std::optional<wire::Envelope> nextFromVictim(bool skipHeartbeats = true) {
    while (true) {
      zmq::message_t identity;
      if (!inbox_.recv(identity)) {
        return std::nullopt;
      }
      std::vector<zmq::message_t> frames;
      bool more = identity.more();
      while (more) {
        zmq::message_t frame;
        (void)inbox_.recv(frame);
        more = frame.more();
        frames.push_back(std::move(frame));
      }
      wire::Envelope e =
          wire::decodeEnvelope(static_cast<const std::byte*>(frames[0].data()), frames[0].size());
      if (!skipHeartbeats || e.type != MessageType::kHello) {
        return e;
      }
    }
  }

  std::vector<float> model() {
    std::vector<float> out(kNumel);
    state_->copyParameters(clock_.now(), out.data());
    return out;
  }

  runtime::SteadyClock clock_;
  std::vector<float> x_;
  std::vector<float> original_;
  runtime::MetricsRegistry metrics_;
  std::unique_ptr<SharedModelState> state_;
  std::unique_ptr<transport::ZmqTransport> transport_;
  std::unique_ptr<ExchangeBudget> budget_;
  std::unique_ptr<Peer> peer_;
  std::thread comm_;
  zmq::context_t context_{1};
  zmq::socket_t inbox_{context_, zmq::socket_type::router};
  zmq::socket_t mallory_;
};

TEST_F(HostileInput, GarbageIsDroppedCountedAndNeverTouchesTheModel) {
  runtime::Rng rng(77);
  for (int i = 0; i < 300; ++i) {
    std::vector<std::vector<std::byte>> frames(1 + rng.below(3));
    for (auto& frame : frames) {
      frame.resize(rng.below(120));
      for (std::byte& b : frame) {
        b = static_cast<std::byte>(rng.below(256));
      }
    }
    send(mallory_, frames);
  }
  // Valid envelopes that lie.
  wire::Envelope wrongVersion = envelope(MessageType::kHello, 0);
  wrongVersion.version = 99;
  wire::Envelope wrongRun = envelope(MessageType::kHello, 0);
  wrongRun.runHash = 7;
  wire::Envelope spoofed = envelope(MessageType::kHello, 0);
  spoofed.senderName = "victim";
  wire::Envelope elsewhere = envelope(MessageType::kHello, 0);
  elsewhere.receiverName = "someone-else";
  for (const auto& e : {wrongVersion, wrongRun, spoofed, elsewhere}) {
    send(mallory_, {wire::encodeEnvelope(e)});
  }
  zmq::socket_t stranger = connect("stranger");
  wire::Envelope fromStranger = envelope(MessageType::kHello, 0);
  fromStranger.senderName = "stranger";  // no address: not a joiner introducing itself
  send(stranger, {wire::encodeEnvelope(fromStranger)});
  ASSERT_TRUE(waitFor("messages_dropped_total{reason=\"unknown_sender\"}", 1));
  ASSERT_TRUE(waitFor("messages_dropped_total{reason=\"misdirected\"}", 1));
  EXPECT_EQ(metrics_.read("messages_dropped_total{reason=\"version\"}"), 1);
  EXPECT_EQ(metrics_.read("messages_dropped_total{reason=\"run_mismatch\"}"), 1);
  EXPECT_EQ(metrics_.read("messages_dropped_total{reason=\"spoofed\"}"), 1);
  EXPECT_GT(metrics_.read("messages_dropped_total{reason=\"malformed\"}"), 250);
  EXPECT_EQ(model(), original_);
}

TEST_F(HostileInput, OnlyAValidExchangeChangesTheModelAndAllAtOnce) {
  // A heartbeat proves the victim's link to Mallory is up, so its ACCEPT will be delivered.
  ASSERT_TRUE(nextFromVictim(/*skipHeartbeats=*/false).has_value());
  send(mallory_, {wire::encodeEnvelope(envelope(MessageType::kPropose, 1))});
  std::optional<wire::Envelope> accept = nextFromVictim();
  ASSERT_TRUE(accept.has_value());
  ASSERT_EQ(accept->type, MessageType::kAccept);  // the victim now waits for PARAMS
  auto params = wire::encodeEnvelope(envelope(MessageType::kParams, 1));
  std::vector<std::byte> poisoned = floats(kNumel, 1.0F);
  float nan = std::nanf("");
  std::memcpy(poisoned.data() + 40 * sizeof(float), &nan, sizeof(float));
  send(mallory_, {params, poisoned});                               // NaN inside
  send(mallory_, {params, floats(kNumel - 1, 1.0F)});               // truncated
  send(mallory_, {params, floats(kNumel * 100, 1.0F)});             // oversized
  send(mallory_, {params});                                         // payload missing
  send(mallory_, {params, floats(kNumel, 1.0F), floats(1, 1.0F)});  // extra frame
  wire::Envelope wrongSize = envelope(MessageType::kParams, 1);
  wrongSize.payloads[0].numel = kNumel + 1;
  send(mallory_, {wire::encodeEnvelope(wrongSize), floats(kNumel + 1, 1.0F)});
  ASSERT_TRUE(waitFor("messages_dropped_total{reason=\"bad_payload\"}", 4))
      << metrics_.renderPrometheus();
  ASSERT_TRUE(waitFor("messages_dropped_total{reason=\"malformed\"}", 2));
  EXPECT_EQ(model(), original_);
  // The stale seq is ignored; the right one applies Δ = 1 − x exactly once.
  send(mallory_, {wire::encodeEnvelope(envelope(MessageType::kParams, 2)), floats(kNumel, 1.0F)});
  send(mallory_, {params, floats(kNumel, 1.0F)});
  ASSERT_TRUE(waitFor("exchanges_total{result=\"applied\"}", 1));
  std::vector<float> expected = original_;
  for (float& v : expected) {
    v += 0.5F * (1.0F - v);
  }
  EXPECT_EQ(model(), expected);
  send(mallory_, {params, floats(kNumel, 1.0F)});  // a replay is stale
  ASSERT_TRUE(waitFor("messages_stale_total", 2));
  EXPECT_EQ(model(), expected);
}

}  // namespace
}  // namespace murmur::peer
