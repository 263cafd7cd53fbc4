#include "peer/transport/swarm_key.h"

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "peer/transport/zmq_transport.h"
#include "runtime/error.h"
#include "tests/support/test_support.h"

namespace murmur::peer::transport {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

TEST(SwarmKey, KeyFileRoundTripsPrivatelyAndIsNotReplacedByAccident) {
  tests::TempDir dir;
  const std::string path = dir.file("swarm.key");
  SwarmKey key = generateSwarmKey();
  writeSwarmKey(path, key);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  SwarmKey read = readSwarmKey(path);
  EXPECT_EQ(read.publicKey, key.publicKey);
  EXPECT_EQ(read.secretKey, key.secretKey);
  EXPECT_THROW(writeSwarmKey(path, generateSwarmKey()), runtime::Error);
  writeSwarmKey(path, generateSwarmKey(), /*overwrite=*/true);
  EXPECT_NE(readSwarmKey(path).publicKey, key.publicKey);
}

TEST(SwarmKey, AKeyFileWhoseHalvesDoNotMatchIsRefusedWithItsPath) {
  tests::TempDir dir;
  SwarmKey a = generateSwarmKey();
  SwarmKey b = generateSwarmKey();
  tests::writeFile(dir.file("mixed.key"),
                   "public " + a.publicKey + "\nsecret " + b.secretKey + "\n");
  tests::writeFile(dir.file("half.key"), "public " + a.publicKey + "\n");
  for (const char* name : {"mixed.key", "half.key", "absent.key"}) {
    try {
      readSwarmKey(dir.file(name));
      FAIL() << name << " was accepted";
    } catch (const runtime::Error& e) {
      EXPECT_EQ(e.kind(), runtime::ErrorKind::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

// A member with the key gets through; peers without it, or with another one, cannot even queue a
// message, and the member records each refused handshake.
TEST(SwarmKey, OnlyPeersWithTheSwarmKeyGetAMessageThrough) {
  SwarmKey key = generateSwarmKey();
  TransportOptions serverOptions{"tcp://127.0.0.1:*", "member"};
  serverOptions.key = key;
  ZmqTransport member(serverOptions);
  TransportOptions friendOptions{"tcp://127.0.0.1:*", "friend"};
  friendOptions.key = key;
  ZmqTransport friendly(friendOptions);
  ZmqTransport keyless(TransportOptions{"tcp://127.0.0.1:*", "keyless"});
  TransportOptions otherOptions{"tcp://127.0.0.1:*", "other"};
  otherOptions.key = generateSwarmKey();
  ZmqTransport other(otherOptions);
  friendly.connect(0, member.boundAddress());
  keyless.connect(0, member.boundAddress());
  other.connect(0, member.boundAddress());

  const std::vector<std::byte> hello(8, std::byte{1});
  bool friendSent = false;
  std::vector<std::string> routingIds;
  std::vector<std::string> rejections;
  const auto end = Clock::now() + std::chrono::seconds(20);
  // Until the friend's message arrived and both intruders' handshakes were refused.
  while ((routingIds.empty() || rejections.size() < 2) && Clock::now() < end) {
    friendSent = friendSent || friendly.send(0, hello, {});
    EXPECT_FALSE(keyless.send(0, hello, {})) << "a keyless peer could queue a message";
    EXPECT_FALSE(other.send(0, hello, {})) << "a peer with another key could queue a message";
    for (const InboundMessage& m : member.poll(milliseconds(20))) {
      routingIds.push_back(m.routingId);
    }
    for (const std::string& r : member.takeRejections()) {
      rejections.push_back(r);
    }
    friendly.poll(milliseconds(0));
    keyless.poll(milliseconds(0));
    other.poll(milliseconds(0));
  }
  EXPECT_EQ(routingIds, std::vector<std::string>{"friend"});
  ASSERT_GE(rejections.size(), 2U);
  EXPECT_NE(rejections[0].find("swarm key"), std::string::npos) << rejections[0];
}

}  // namespace
}  // namespace murmur::peer::transport
