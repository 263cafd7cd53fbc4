// Joining a running swarm with real processes (issue 3): a late peer is admitted with the run's
// settings and a live member's model, appears in every member list within 5 s, trains to the
// others' accuracy and joins the final average; incompatible or duplicate joiners are refused
// with exit code 4 and a message naming both sides.
#include <csignal>
#include <memory>

#include <gtest/gtest.h>

#include "peer/wire/envelope.h"
#include "tests/integration/peer_processes.h"

namespace murmur::tests {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr int kFounders = 3;
const std::vector<std::string> kSynthetic = {
    "--synthetic", "2048", "--model", "mlp", "--eval-interval", "0"};

TEST(Join, LatePeerIsEverywhereWithinFiveSecondsAndTrainsToTheOthersAccuracy) {
  if (!haveFashionMnist()) {
    GTEST_SKIP() << "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)";
  }
  TempDir dir;
  std::vector<std::string> common = {
      "--data", fashionMnistDir(), "--model", "mlp", "--eval-interval", "0"};
  std::vector<std::unique_ptr<ChildProcess>> peers;
  ASSERT_NO_FATAL_FAILURE(startFounders(dir, kFounders, common, 4, peers));
  std::vector<std::string> flags = common;
  flags.insert(flags.end(), {"--steps", "400"});
  std::unique_ptr<ChildProcess> late = startJoiner(dir, "late", flags);
  ASSERT_TRUE(waitForText(dir.file("late.log"), "let us in", milliseconds(60000)))
      << readFile(dir.file("late.log"));
  const Clock::time_point admitted = Clock::now();
  for (int i = 0; i < kFounders; ++i) {
    auto left = std::chrono::duration_cast<milliseconds>(std::chrono::seconds(5) -
                                                         (Clock::now() - admitted));
    EXPECT_TRUE(waitForText(dir.file("peer" + std::to_string(i) + ".log"),
                            "late is alive",
                            std::max(left, milliseconds(0))))
        << "peer" << i << " did not list the joiner within 5 s\n"
        << describeLogs(dir, kFounders);
  }
  // The joiner trains its 400 steps, then waits for the others: tell them to finish now.
  ASSERT_TRUE(waitForText(dir.file("late.log"), "training done", milliseconds(120000)))
      << readFile(dir.file("late.log"));
  for (auto& p : peers) {
    p->signal(SIGUSR2);
  }
  std::optional<int> code = late->waitFor(milliseconds(120000));
  ASSERT_TRUE(code.has_value()) << "the joiner hung\n" << readFile(dir.file("late.log"));
  EXPECT_EQ(*code, 0) << readFile(dir.file("late.log"));
  double founders = 0;
  for (int i = 0; i < kFounders; ++i) {
    ASSERT_EQ(peers[static_cast<std::size_t>(i)]->waitFor(milliseconds(120000)), 0)
        << describeLogs(dir, kFounders);
    nlohmann::json s = readJson(dir.file("peer" + std::to_string(i) + ".json"));
    EXPECT_EQ(s["final_members"], nlohmann::json({"late", "peer0", "peer1", "peer2"}));
    founders += s["test_accuracy_local"].get<double>() / kFounders;
  }
  nlohmann::json joiner = readJson(dir.file("late.json"));
  EXPECT_TRUE(joiner["averaged"].get<bool>());
  EXPECT_EQ(joiner["steps"], 400);
  EXPECT_GT(founders, 0.7) << "the founders did not learn: nothing to compare with";
  EXPECT_NEAR(joiner["test_accuracy_local"].get<double>(), founders, 0.05)
      << "after 400 own steps the joiner is not within 5 points of the founders";
}

TEST(Join, RefusesAnotherModelAnotherVersionAndATakenNameWithExitCodeFour) {
  TempDir dir;
  std::vector<std::unique_ptr<ChildProcess>> peers;
  ASSERT_NO_FATAL_FAILURE(startFounders(dir, 2, kSynthetic, 1, peers));

  struct Case {
    std::string name;
    std::vector<std::string> flags;
    std::vector<std::string> said;  // what the refusal must name
  };

  std::vector<Case> cases = {
      {"other-model", {"--model", "lenet5"}, {"lenet5", "mlp"}},
      {"script-model", {"--model", scriptLeNet5()}, {"lenet5.pt", "mlp"}},
      {"other-version",
       {"--model", "mlp", "--join-as-version", "9"},
       {"version 9", "version " + std::to_string(peer::wire::kProtocolVersion)}},
      {"peer1", {"--model", "mlp"}, {"peer1", "taken"}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> flags = {"--synthetic", "2048", "--steps", "10"};
    flags.insert(flags.end(), c.flags.begin(), c.flags.end());
    std::unique_ptr<ChildProcess> joiner = startJoiner(dir, c.name, flags);
    std::optional<int> code = joiner->waitFor(milliseconds(60000));
    ASSERT_TRUE(code.has_value()) << c.name << " hung";
    const std::string log = readFile(dir.file(c.name + ".log"));
    EXPECT_EQ(*code, 4) << c.name << ": " << log;
    for (const std::string& word : c.said) {
      EXPECT_NE(log.find(word), std::string::npos)
          << c.name << " refusal lacks '" << word << "': " << log;
    }
  }
  for (auto& p : peers) {
    p->signal(SIGUSR2);
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(peers[static_cast<std::size_t>(i)]->waitFor(milliseconds(60000)), 0)
        << describeLogs(dir, 2);
    nlohmann::json s = readJson(dir.file("peer" + std::to_string(i) + ".json"));
    EXPECT_EQ(s["final_members"], nlohmann::json({"peer0", "peer1"}));
  }
}

// A member that left (SIGTERM) comes back as a new process under its name, at a new address:
// the others revive it (LEFT → ALIVE on its higher incarnation), reconnect, and average with it.
TEST(Join, AMemberThatLeftComesBackUnderItsName) {
  TempDir dir;
  std::vector<std::unique_ptr<ChildProcess>> peers;
  ASSERT_NO_FATAL_FAILURE(startFounders(dir, kFounders, kSynthetic, 1, peers));
  // A member that has been one: everybody heard from it (and it from them) first.
  for (int i = 0; i < kFounders; ++i) {
    for (int j = 0; j < kFounders; ++j) {
      if (i != j) {
        ASSERT_TRUE(waitForText(dir.file("peer" + std::to_string(i) + ".log"),
                                "peer" + std::to_string(j) + " is alive",
                                milliseconds(30000)))
            << describeLogs(dir, kFounders);
      }
    }
  }
  peers[2]->signal(SIGTERM);
  ASSERT_EQ(peers[2]->waitFor(milliseconds(10000)), 0) << describeLogs(dir, kFounders);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(waitForText(
        dir.file("peer" + std::to_string(i) + ".log"), "peer2 is left", milliseconds(10000)))
        << describeLogs(dir, kFounders);
  }
  std::vector<std::string> flags = kSynthetic;
  flags.insert(flags.end(), {"--steps", "200"});
  std::unique_ptr<ChildProcess> back = startJoiner(dir, "peer2", flags);
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(waitForText(dir.file("peer" + std::to_string(i) + ".log"),
                            "peer2 is alive (was left",
                            milliseconds(30000)))
        << describeLogs(dir, kFounders);
  }
  ASSERT_TRUE(waitForText(dir.file("peer2.log"), "training done", milliseconds(60000)))
      << readFile(dir.file("peer2.log"));
  for (int i = 0; i < 2; ++i) {
    peers[static_cast<std::size_t>(i)]->signal(SIGUSR2);
  }
  EXPECT_EQ(back->waitFor(milliseconds(60000)), 0) << readFile(dir.file("peer2.log"));
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(peers[static_cast<std::size_t>(i)]->waitFor(milliseconds(60000)), 0)
        << describeLogs(dir, kFounders);
    nlohmann::json s = readJson(dir.file("peer" + std::to_string(i) + ".json"));
    EXPECT_EQ(s["final_members"], nlohmann::json({"peer0", "peer1", "peer2"}));
  }
  // `murmur report` turns the separately written summaries into the swarm report.
  std::vector<std::string> files = {
      dir.file("peer0.json"), dir.file("peer1.json"), dir.file("peer2.json")};
  std::vector<std::string> reportArgs = {"report", "--json"};
  reportArgs.insert(reportArgs.end(), files.begin(), files.end());
  Result report = runMurmur(dir, reportArgs);
  ASSERT_EQ(report.code, 0) << report.err;
  nlohmann::json r = nlohmann::json::parse(report.out, nullptr, false);
  ASSERT_TRUE(r.is_object()) << report.out;
  EXPECT_EQ(r["peers"], 3);
  EXPECT_TRUE(r["average_agreed"].get<bool>());
  EXPECT_DOUBLE_EQ(r["test_accuracy_avg_model"].get<double>(),
                   readJson(files[0])["test_accuracy_avg_model"].get<double>());
  Result missing = runMurmur(dir, {"report", files[0], dir.file("nobody.json")});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("nobody.json is missing"), std::string::npos) << missing.err;
}

TEST(Join, WithoutTheSwarmKeyNobodyGetsIn) {
  TempDir dir;
  ASSERT_EQ(runMurmur(dir, {"keygen", "--out", dir.file("keys")}).code, 0);
  ASSERT_EQ(runMurmur(dir, {"keygen", "--out", dir.file("other")}).code, 0);
  const std::string key = dir.file("keys/swarm.key");
  std::vector<std::string> founders = kSynthetic;
  founders.insert(founders.end(), {"--swarm-key", key});
  std::vector<std::unique_ptr<ChildProcess>> peers;
  ASSERT_NO_FATAL_FAILURE(startFounders(dir, 2, founders, 1, peers));
  const std::vector<std::string> quick = {
      "--synthetic", "2048", "--model", "mlp", "--steps", "10", "--join-timeout", "3"};
  std::vector<std::string> keyless = quick;
  std::unique_ptr<ChildProcess> intruder = startJoiner(dir, "keyless", keyless);
  std::vector<std::string> wrong = quick;
  wrong.insert(wrong.end(), {"--swarm-key", dir.file("other/swarm.key")});
  std::unique_ptr<ChildProcess> impostor = startJoiner(dir, "impostor", wrong);
  for (auto* p : {intruder.get(), impostor.get()}) {
    std::optional<int> code = p->waitFor(milliseconds(60000));
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 1);
  }
  EXPECT_NE(readFile(dir.file("keyless.log")).find("--swarm-key"), std::string::npos)
      << readFile(dir.file("keyless.log"));
  EXPECT_TRUE(waitForText(dir.file("peer1.log"), "rejected a connection", milliseconds(10000)))
      << describeLogs(dir, 2);
  std::vector<std::string> keyed = {
      "--synthetic", "2048", "--model", "mlp", "--steps", "50", "--swarm-key", key};
  std::unique_ptr<ChildProcess> welcome = startJoiner(dir, "welcome", keyed);
  ASSERT_TRUE(waitForText(dir.file("welcome.log"), "training done", milliseconds(60000)))
      << readFile(dir.file("welcome.log"));
  for (auto& p : peers) {
    p->signal(SIGUSR2);
  }
  EXPECT_EQ(welcome->waitFor(milliseconds(60000)), 0) << readFile(dir.file("welcome.log"));
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(peers[static_cast<std::size_t>(i)]->waitFor(milliseconds(60000)), 0)
        << describeLogs(dir, 2);
    nlohmann::json s = readJson(dir.file("peer" + std::to_string(i) + ".json"));
    EXPECT_EQ(s["final_members"], nlohmann::json({"peer0", "peer1", "welcome"}));
  }
}

}  // namespace
}  // namespace murmur::tests
