// SWIM membership with real processes on loopback: a paused peer is suspected and refuted, never
// declared dead; a peer that leaves (SIGTERM) exits 0 within 5 s and is LEFT, not DEAD, to others.
// Founders wait for the whole list before their first step (or start without a peer that never
// comes, after --start-wait). (A killed peer: swarm_test.cc,
// SurvivorsOfAKilledPeerFinishAndAverage.)
#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/peer_processes.h"
#include "tests/support/test_support.h"

namespace murmur::tests {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kQuickRun = {
    "--synthetic", "4096", "--steps", "2500", "--model", "mlp", "--eval-interval", "0"};

std::vector<std::unique_ptr<ChildProcess>> startFour(const TempDir& dir) {
  writePeers(dir, 4);
  std::vector<std::unique_ptr<ChildProcess>> peers;
  for (int i = 0; i < 4; ++i) {
    peers.push_back(startPeer(dir, i, kQuickRun));
  }
  return peers;
}

// Every peer is training and has reported progress a few times.
void waitUntilTraining(const TempDir& dir, int peer) {
  ASSERT_TRUE(waitForLines(dir.file("peer" + std::to_string(peer) + ".out"),
                           "\"phase\":\"training\"",
                           3,
                           milliseconds(120000)))
      << describeLogs(dir, 4);
}

TEST(MembershipProcesses, PausedPeerIsSuspectedThenRefutedNeverDead) {
  TempDir dir;
  std::vector<std::unique_ptr<ChildProcess>> peers = startFour(dir);
  for (int i = 0; i < 4; ++i) {
    waitUntilTraining(dir, i);
  }
  peers[2]->signal(SIGSTOP);
  // The pause itself is the scenario (a stalled process), not a synchronisation.
  std::this_thread::sleep_for(seconds(2));
  peers[2]->signal(SIGCONT);
  for (int i = 0; i < 4; ++i) {
    std::optional<int> code = peers[i]->waitFor(milliseconds(300000));
    ASSERT_TRUE(code.has_value()) << "peer" << i << " hung\n" << describeLogs(dir, 4);
    EXPECT_EQ(*code, 0) << describeLogs(dir, 4);
  }
  bool suspected = false;
  for (int i : {0, 1, 3}) {
    std::string log = readFile(dir.file("peer" + std::to_string(i) + ".log"));
    EXPECT_EQ(log.find("peer2 is dead"), std::string::npos) << "peer" << i << ":\n" << log;
    suspected = suspected || log.find("peer2 is suspect") != std::string::npos;
    nlohmann::json s = readJson(dir.file("peer" + std::to_string(i) + ".json"));
    EXPECT_EQ(s["final_members"], nlohmann::json({"peer0", "peer1", "peer2", "peer3"}));
  }
  EXPECT_TRUE(suspected) << "a 2 s stop went unnoticed\n" << describeLogs(dir, 4);
}

TEST(MembershipProcesses, PeerThatLeavesExitsCleanlyAndIsLeftNotDead) {
  TempDir dir;
  std::vector<std::unique_ptr<ChildProcess>> peers = startFour(dir);
  for (int i = 0; i < 4; ++i) {
    waitUntilTraining(dir, i);
  }
  peers[1]->signal(SIGTERM);
  const Clock::time_point asked = Clock::now();
  std::optional<int> code = peers[1]->waitFor(milliseconds(5000));
  ASSERT_TRUE(code.has_value()) << "did not exit within 5 s of SIGTERM\n" << describeLogs(dir, 4);
  EXPECT_EQ(*code, 0) << describeLogs(dir, 4);
  EXPECT_LE(Clock::now() - asked, seconds(5));
  nlohmann::json leaver = readJson(dir.file("peer1.json"));
  EXPECT_TRUE(leaver["left"].get<bool>());
  for (int i : {0, 2, 3}) {
    std::string logPath = dir.file("peer" + std::to_string(i) + ".log");
    EXPECT_TRUE(waitForText(logPath, "peer1 is left", milliseconds(10000))) << describeLogs(dir, 4);
    std::optional<int> done = peers[i]->waitFor(milliseconds(300000));
    ASSERT_TRUE(done.has_value()) << "peer" << i << " hung\n" << describeLogs(dir, 4);
    EXPECT_EQ(*done, 0) << describeLogs(dir, 4);
    EXPECT_EQ(readFile(logPath).find("peer1 is dead"), std::string::npos);
    nlohmann::json s = readJson(dir.file("peer" + std::to_string(i) + ".json"));
    EXPECT_TRUE(s["averaged"].get<bool>());
    EXPECT_EQ(s["final_members"], nlohmann::json({"peer0", "peer2", "peer3"}));
  }
}

TEST(MembershipProcesses, FoundersWaitForTheWholeListBeforeTheirFirstStep) {
  TempDir dir;
  writePeers(dir, 2);
  const std::vector<std::string> run = {
      "--synthetic", "1024", "--steps", "50", "--model", "mlp", "--eval-interval", "0"};
  std::unique_ptr<ChildProcess> first = startPeer(dir, 0, run);
  ASSERT_TRUE(waitForLines(dir.file("peer0.out"), "\"phase\":\"waiting\"", 1, milliseconds(60000)))
      << describeLogs(dir, 1);
  // peer1 does not exist yet, so nothing can have let peer0 start.
  EXPECT_EQ(readFile(dir.file("peer0.out")).find("\"phase\":\"training\""), std::string::npos);
  std::unique_ptr<ChildProcess> second = startPeer(dir, 1, run);
  for (auto* p : {first.get(), second.get()}) {
    std::optional<int> code = p->waitFor(milliseconds(120000));
    ASSERT_TRUE(code.has_value()) << describeLogs(dir, 2);
    EXPECT_EQ(*code, 0) << describeLogs(dir, 2);
  }
  EXPECT_NE(readFile(dir.file("peer0.log")).find("heard from every listed peer: training"),
            std::string::npos)
      << describeLogs(dir, 2);
  EXPECT_EQ(readJson(dir.file("peer0.json"))["steps"], 50);
}

TEST(MembershipProcesses, AFounderStartsWithoutAListedPeerThatNeverComes) {
  TempDir dir;
  writePeers(dir, 2);  // peer1 is never started
  std::unique_ptr<ChildProcess> alone = startPeer(dir,
                                                  0,
                                                  {"--synthetic",
                                                   "1024",
                                                   "--steps",
                                                   "50",
                                                   "--model",
                                                   "mlp",
                                                   "--eval-interval",
                                                   "0",
                                                   "--start-wait",
                                                   "1"});
  std::optional<int> code = alone->waitFor(milliseconds(120000));
  ASSERT_TRUE(code.has_value()) << describeLogs(dir, 1);
  EXPECT_EQ(*code, 0) << describeLogs(dir, 1);
  const std::string log = readFile(dir.file("peer0.log"));
  EXPECT_NE(log.find("starting without peer1 (not heard from in --start-wait 1 s)"),
            std::string::npos)
      << log;
  // Given up on when training started, so the end-of-run average did not wait for it.
  EXPECT_NE(log.find("peer1 is dead (was pending"), std::string::npos) << log;
  EXPECT_EQ(readJson(dir.file("peer0.json"))["steps"], 50);
}

}  // namespace
}  // namespace murmur::tests
