#include "peer/peer_list.h"

#include <gtest/gtest.h>

#include "runtime/error.h"
#include "tests/support/test_support.h"

namespace murmur::peer {
namespace {

TEST(PeerList, ParsesAddressesNamesAndComments) {
  auto peers = parsePeerListText(
      "# lab\ntcp://10.0.0.1:7000 alpha\n\ntcp://10.0.0.2:7000   # default name\n", "p.txt");
  ASSERT_EQ(peers.size(), 2U);
  EXPECT_EQ(peers[0].name, "alpha");
  EXPECT_EQ(peers[1].name, "10.0.0.2:7000");
  EXPECT_EQ(findSelf(peers, "alpha", ""), 0U);
  EXPECT_EQ(findSelf(peers, "", "tcp://10.0.0.2:7000"), 1U);
}

TEST(PeerList, CommaSeparatedOrFile) {
  auto inline_ = parsePeerList("tcp://127.0.0.1:1,tcp://127.0.0.1:2");
  EXPECT_EQ(inline_.size(), 2U);
  tests::TempDir dir;
  tests::writeFile(dir.file("peers.txt"), "tcp://127.0.0.1:1 a\ntcp://127.0.0.1:2 b\n");
  EXPECT_EQ(parsePeerList(dir.file("peers.txt"))[1].name, "b");
}

TEST(PeerList, ErrorsNameTheProblem) {
  auto expectError = [](const std::string& text, const std::string& needle) {
    try {
      parsePeerListText(text, "peers.txt");
      FAIL() << "accepted: " << text;
    } catch (const runtime::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_EQ(e.kind(), runtime::ErrorKind::kInvalidArgument);
    }
  };
  expectError("tcp://a:1 x\ntcp://b:2 x\n", "duplicate peer name 'x'");
  expectError("tcp://a:1 x\ntcp://a:1 y\n", "duplicate address");
  expectError("tcp://a:1 x\n", "at least 2 peers");
  expectError("tcp://a:1 x\nhttp://b:2 y\n", "peers.txt:2");
  expectError("tcp://a:1 x\ntcp://b:port y\n", "not a tcp://HOST:PORT");
  expectError("tcp://a:1 x y\ntcp://b:2\n", "peers.txt:1");
  EXPECT_THROW(parsePeerList("no-such-file.txt"), runtime::Error);
  auto peers = parsePeerListText("tcp://a:1 x\ntcp://b:2 y\n", "p");
  EXPECT_THROW(findSelf(peers, "z", ""), runtime::Error);
  EXPECT_THROW(findSelf(peers, "", "tcp://c:3"), runtime::Error);
}

}  // namespace
}  // namespace murmur::peer
