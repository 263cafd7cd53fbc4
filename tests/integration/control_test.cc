// The control endpoint and the inspection CLI on real peers (issue 3): `murmur members|status|top`
// show the swarm, /metrics is Prometheus text, and `murmur leave` makes a peer leave gracefully.
#include <csignal>
#include <memory>
#include <sstream>

#include <gtest/gtest.h>

#include "peer/control/control_client.h"
#include "peer/wire/envelope.h"
#include "tests/integration/peer_processes.h"

namespace murmur::tests {
namespace {

using std::chrono::milliseconds;

constexpr int kPeers = 3;

nlohmann::json parsed(const Result& r, const std::string& what) {
  EXPECT_EQ(r.code, 0) << what << ": " << r.err;
  nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << what << " printed no JSON: " << r.out;
  return doc;
}

TEST(InspectionCli, ShowsTheSwarmAndMakesAPeerLeave) {
  TempDir dir;
  writePeers(dir, kPeers);
  std::vector<int> ports = freePorts(kPeers);
  std::vector<std::string> controls;
  std::vector<std::unique_ptr<ChildProcess>> peers;
  for (int i = 0; i < kPeers; ++i) {
    controls.push_back("127.0.0.1:" + std::to_string(ports[static_cast<std::size_t>(i)]));
    // Long enough to outlast the test: peers 0 and 1 are told to finish at the end.
    peers.push_back(startPeer(dir,
                              i,
                              {"--synthetic",
                               "2048",
                               "--model",
                               "mlp",
                               "--steps",
                               "1000000",
                               "--eval-interval",
                               "0",
                               "--control",
                               controls.back()}));
  }
  auto progressLines = [&](int i, int count) {
    return waitForLines(dir.file("peer" + std::to_string(i) + ".out"),
                        "\"phase\":\"training\"",
                        count,
                        milliseconds(120000));
  };
  for (int i = 0; i < kPeers; ++i) {
    ASSERT_TRUE(progressLines(i, 2)) << describeLogs(dir, kPeers);
  }

  // members: everyone, with the control endpoint each told the others on its probe traffic
  // (probes run every 0.5 s; each further progress line is a second later).
  nlohmann::json members;
  for (int attempt = 3; attempt < 13; ++attempt) {
    members = parsed(runMurmur(dir, {"members", "--json", "--control", controls[0]}), "members");
    bool complete = members["members"].size() == kPeers;
    for (const nlohmann::json& row : members["members"]) {
      complete = complete && !row["control"].get<std::string>().empty() &&
                 (row["state"] == "alive" || row["state"] == "self");
    }
    if (complete) {
      break;
    }
    ASSERT_TRUE(progressLines(0, attempt)) << describeLogs(dir, kPeers);
  }
  EXPECT_EQ(members["self"], "peer0");
  ASSERT_EQ(members["members"].size(), kPeers) << members.dump();
  for (int i = 0; i < kPeers; ++i) {
    const nlohmann::json& row = members["members"][static_cast<std::size_t>(i)];
    EXPECT_EQ(row["name"], "peer" + std::to_string(i)) << members.dump();
    EXPECT_EQ(row["state"], i == 0 ? "self" : "alive") << members.dump();
    EXPECT_EQ(row["control"], controls[static_cast<std::size_t>(i)]) << members.dump();
    EXPECT_TRUE(row["address"].get<std::string>().rfind("tcp://127.0.0.1:", 0) == 0);
    EXPECT_GT(row["incarnation"].get<std::uint64_t>(), 0U);
    EXPECT_GT(row["step"].get<std::uint64_t>(), 0U);
    EXPECT_TRUE(row["last_heard_seconds"].is_number()) << members.dump();
  }
  Result table = runMurmur(dir, {"members", "--control", controls[0]});
  EXPECT_EQ(table.code, 0);
  EXPECT_NE(table.out.find("LAST HEARD"), std::string::npos) << table.out;

  // status: progress, exchanges, bytes and settings of one peer.
  nlohmann::json status =
      parsed(runMurmur(dir, {"status", "--json", "--control", controls[1]}), "status");
  EXPECT_EQ(status["name"], "peer1");
  EXPECT_EQ(status["phase"], "training");
  EXPECT_GT(status["step"].get<std::int64_t>(), 0);
  EXPECT_EQ(status["steps"], 1000000);
  EXPECT_TRUE(status["loss"].is_number());
  EXPECT_GT(status["exchanges"]["applied"].get<std::uint64_t>(), 0U) << status.dump();
  EXPECT_GT(status["bytes_sent"]["model"].get<std::uint64_t>(), 0U) << status.dump();
  EXPECT_GT(status["bytes_received"]["model"].get<std::uint64_t>(), 0U) << status.dump();
  EXPECT_TRUE(status["last_exchange"]["partner"].is_string()) << status.dump();
  EXPECT_TRUE(status["compute_wait_seconds"].is_number());
  EXPECT_EQ(status["settings"]["model"], "mlp");
  EXPECT_EQ(status["settings"]["topology"], "ring");
  EXPECT_EQ(status["settings"]["protocol_version"], peer::wire::kProtocolVersion);

  // /metrics: Prometheus text, every series prefixed murmur_.
  peer::control::HttpReply metrics = peer::control::httpRequest(controls[2], "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  std::istringstream lines(metrics.body);
  int series = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    ++series;
    EXPECT_EQ(line.rfind("murmur_", 0), 0U) << line;
    EXPECT_NE(line.find(' '), std::string::npos) << "a series needs a value: " << line;
  }
  EXPECT_GT(series, 5);
  EXPECT_NE(metrics.body.find("murmur_steps_total "), std::string::npos);

  // top: one refresh, every member through its own endpoint.
  Result top = runMurmur(dir, {"top", "--control", controls[0], "--iterations", "1"});
  EXPECT_EQ(top.code, 0) << top.err;
  for (int i = 0; i < kPeers; ++i) {
    EXPECT_NE(top.out.find("peer" + std::to_string(i) + " "), std::string::npos) << top.out;
  }
  EXPECT_EQ(top.out.find("no answer"), std::string::npos) << top.out;

  // leave: peer2 exits 0 within 5 s and the others see it LEFT, not dead.
  Result leave = runMurmur(dir, {"leave", "--control", controls[2]});
  EXPECT_EQ(leave.code, 0) << leave.err;
  EXPECT_EQ(peers[2]->waitFor(milliseconds(5000)), 0) << describeLogs(dir, kPeers);
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(waitForText(
        dir.file("peer" + std::to_string(i) + ".log"), "peer2 is left", milliseconds(10000)))
        << describeLogs(dir, kPeers);
  }
  members = parsed(runMurmur(dir, {"members", "--json", "--control", controls[1]}), "members");
  EXPECT_EQ(members["members"][2]["state"], "left") << members.dump();

  // The others finish now and average between themselves.
  for (int i = 0; i < 2; ++i) {
    peers[static_cast<std::size_t>(i)]->signal(SIGUSR2);
  }
  for (int i = 0; i < 2; ++i) {
    std::optional<int> code = peers[static_cast<std::size_t>(i)]->waitFor(milliseconds(60000));
    ASSERT_TRUE(code.has_value()) << "peer" << i << " hung\n" << describeLogs(dir, kPeers);
    EXPECT_EQ(*code, 0) << describeLogs(dir, kPeers);
    nlohmann::json s = readJson(dir.file("peer" + std::to_string(i) + ".json"));
    EXPECT_EQ(s["final_members"], nlohmann::json({"peer0", "peer1"}));
    EXPECT_EQ(s["control"], controls[static_cast<std::size_t>(i)]);
  }
}

TEST(InspectionCli, NamesAnUnreachableEndpointAndRejectsBadUsage) {
  TempDir dir;
  std::vector<int> ports = freePorts(1);  // released: nobody listens there
  const std::string nowhere = "127.0.0.1:" + std::to_string(ports[0]);
  Result status = runMurmur(dir, {"status", "--control", nowhere});
  EXPECT_EQ(status.code, 1);
  EXPECT_NE(status.err.find(nowhere), std::string::npos) << status.err;
  Result missing = runMurmur(dir, {"members"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("--control"), std::string::npos) << missing.err;
  Result malformed = runMurmur(dir, {"leave", "--control", "nowhere"});
  EXPECT_EQ(malformed.code, 2);
  EXPECT_NE(malformed.err.find("HOST:PORT"), std::string::npos) << malformed.err;
}

}  // namespace
}  // namespace murmur::tests
