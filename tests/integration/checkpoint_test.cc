// Checkpoints with real processes (issue 3): peers that leave write one, and `--resume` continues
// from it, step count included, into a normal end-of-run average.
#include <csignal>
#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "tests/integration/peer_processes.h"

namespace murmur::tests {
namespace {

using std::chrono::milliseconds;

TEST(Checkpoints, PeersThatLeaveResumeFromTheirCheckpointAndFinish) {
  TempDir dir;
  writePeers(dir, 2);
  const std::vector<std::string> flags = {"--synthetic",
                                          "2048",
                                          "--model",
                                          "mlp",
                                          "--steps",
                                          "100000",
                                          "--eval-interval",
                                          "0",
                                          "--checkpoint-dir",
                                          dir.file("ckpt")};
  std::vector<std::unique_ptr<ChildProcess>> peers;
  for (int i = 0; i < 2; ++i) {
    peers.push_back(startPeer(dir, i, flags));
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(waitForLines(dir.file("peer" + std::to_string(i) + ".out"),
                             "\"phase\":\"training\"",
                             2,
                             milliseconds(120000)))
        << describeLogs(dir, 2);
  }
  for (auto& p : peers) {
    p->signal(SIGTERM);
  }
  std::vector<std::int64_t> savedAt;
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(peers[static_cast<std::size_t>(i)]->waitFor(milliseconds(10000)), 0)
        << describeLogs(dir, 2);
    nlohmann::json s = readJson(dir.file("peer" + std::to_string(i) + ".json"));
    EXPECT_TRUE(s["left"].get<bool>());
    savedAt.push_back(s["steps"].get<std::int64_t>());
    EXPECT_GT(savedAt.back(), 0);
    EXPECT_TRUE(std::filesystem::exists(
        dir.file("ckpt/peer" + std::to_string(i) + "-" +
                 std::string(12 - std::to_string(savedAt.back()).size(), '0') +
                 std::to_string(savedAt.back()) + ".ckpt")))
        << "no checkpoint at step " << savedAt.back();
  }
  // Restarted with --resume: each continues at its step and trains up to the total.
  peers.clear();
  std::vector<std::string> resume = flags;
  const std::int64_t total = std::max(savedAt[0], savedAt[1]) + 300;
  resume.back() = dir.file("ckpt");
  resume[5] = std::to_string(total);  // --steps
  resume.push_back("--resume");
  for (int i = 0; i < 2; ++i) {
    std::filesystem::remove(dir.file("peer" + std::to_string(i) + ".log"));
    peers.push_back(startPeer(dir, i, resume));
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(peers[static_cast<std::size_t>(i)]->waitFor(milliseconds(120000)), 0)
        << describeLogs(dir, 2);
    const std::string log = readFile(dir.file("peer" + std::to_string(i) + ".log"));
    EXPECT_NE(log.find("resumed from step " + std::to_string(savedAt[static_cast<std::size_t>(i)])),
              std::string::npos)
        << log;
    nlohmann::json s = readJson(dir.file("peer" + std::to_string(i) + ".json"));
    EXPECT_TRUE(s["averaged"].get<bool>());
    EXPECT_EQ(s["steps"], total);
  }
}

}  // namespace
}  // namespace murmur::tests
