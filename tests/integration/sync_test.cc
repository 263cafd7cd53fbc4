// Global syncs with real murmur processes on loopback (issue 4): FDA-triggered averaging learns
// Fashion-MNIST, every synced model is bit-identical on the peers that synced it, a larger Θ syncs
// less, and a peer killed while syncs run does not hang the others.
#include <csignal>
#include <map>
#include <memory>

#include <gtest/gtest.h>

#include "tests/integration/peer_processes.h"
#include "tests/support/test_support.h"

#include <nlohmann/json.hpp>

namespace murmur::tests {
namespace {

using std::chrono::milliseconds;

// `murmur swarm --peers 4` with `flags`; returns the four per-peer summaries.
std::vector<nlohmann::json> runSwarm(const TempDir& dir, std::vector<std::string> flags) {
  std::vector<std::string> args = {murmurBinary(),
                                   "swarm",
                                   "--peers",
                                   "4",
                                   "--run-dir",
                                   dir.path(),
                                   "--summary-json",
                                   dir.file("swarm.json"),
                                   "--no-table",
                                   "--eval-interval",
                                   "0"};
  args.insert(args.end(), flags.begin(), flags.end());
  ChildProcess swarm(args, dir.file("swarm.out"), dir.file("swarm.err"));
  std::optional<int> code = swarm.waitFor(milliseconds(300000));
  std::vector<nlohmann::json> summaries;
  EXPECT_TRUE(code.has_value()) << "swarm did not finish in 5 min\n" << describeLogs(dir, 4);
  if (!code) {
    return summaries;
  }
  EXPECT_EQ(*code, 0) << readFile(dir.file("swarm.err")) << describeLogs(dir, 4);
  for (int i = 0; i < 4; ++i) {
    summaries.push_back(readJson(dir.file("peer" + std::to_string(i) + ".json")));
  }
  return summaries;
}

// Every epoch that several peers recorded has one digest: the synced model is bit-identical on
// all of them. Returns how many epochs all four recorded.
std::size_t expectIdenticalSyncedModels(const std::vector<nlohmann::json>& summaries) {
  std::map<std::uint64_t, std::pair<std::string, int>> seen;  // epoch → (digest, peers)
  for (const nlohmann::json& s : summaries) {
    for (const nlohmann::json& entry : s["sync_digests"]) {
      auto epoch = entry[0].get<std::uint64_t>();
      auto digest = entry[1].get<std::string>();
      auto [it, fresh] = seen.try_emplace(epoch, digest, 0);
      EXPECT_EQ(it->second.first, digest) << "epoch " << epoch << " differs on " << s["name"];
      ++it->second.second;
    }
  }
  std::size_t everywhere = 0;
  for (const auto& [epoch, entry] : seen) {
    everywhere += entry.second == static_cast<int>(summaries.size()) ? 1 : 0;
  }
  return everywhere;
}

// The paper's setting: local SGD, averaging only when FDA's variance estimate crosses Θ.
TEST(Sync, FourPeersWithFdaLearnFashionMnistAndShareEverySyncedModel) {
  if (!haveFashionMnist()) {
    GTEST_SKIP() << "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)";
  }
  TempDir dir;
  std::vector<nlohmann::json> peers = runSwarm(
      dir, {"--sync", "fda", "--no-gossip", "--steps", "2000", "--data", fashionMnistDir()});
  ASSERT_EQ(peers.size(), 4U);
  nlohmann::json swarm = readJson(dir.file("swarm.json"));
  // 2000 steps (~1.07 epochs per peer): 0.853-0.860 at 1500 steps left too little margin on a
  // loaded 2-core machine (0.838 once); 2000 steps measured 0.868 with two swarms at once.
  EXPECT_GE(swarm["test_accuracy_avg_model"].get<double>(), 0.85) << swarm.dump(2);
  const double everyStepBytes = 2000 * 2.0 * 3 / 4 * 61706 * 4;  // ring all-reduce per peer
  for (const nlohmann::json& s : peers) {
    EXPECT_GE(s["syncs"].get<std::uint64_t>(), 2U) << s.dump(2);
    EXPECT_EQ(s["bytes_sent_by_kind"]["model"], 0) << "gossip is off";
    EXPECT_GT(s["bytes_sent_by_kind"]["sync_state"].get<std::uint64_t>(), 0U);
    // FDA's point: far fewer bytes than averaging after every step.
    EXPECT_LT(s["bytes_sent_by_kind"]["sync_model"].get<double>(), everyStepBytes / 10)
        << s.dump(2);
  }
  EXPECT_GE(expectIdenticalSyncedModels(peers), 1U) << describeLogs(dir, 4);
}

// Averaging after every step: the peers hold the same bits after each sync, and with no step
// after the last one their final consensus distance is exactly zero.
TEST(Sync, EveryStepLeavesThePeersBitIdenticalAfterEachSync) {
  TempDir dir;
  std::vector<nlohmann::json> peers = runSwarm(dir,
                                               {"--sync",
                                                "every-step",
                                                "--no-gossip",
                                                "--steps",
                                                "200",
                                                "--model",
                                                "mlp",
                                                "--synthetic",
                                                "2048"});
  ASSERT_EQ(peers.size(), 4U);
  for (const nlohmann::json& s : peers) {
    EXPECT_EQ(s["sync_epoch"], 200) << s.dump(2) << describeLogs(dir, 4);
    EXPECT_EQ(s["consensus_distance_final"].get<double>(), 0.0);
    EXPECT_EQ(s["bytes_sent_by_kind"]["sync_state"], 0) << "no FDA states in lockstep";
  }
  EXPECT_GE(expectIdenticalSyncedModels(peers), 20U) << "the last 20 epochs, on every peer";
}

// --sync-codec lhc over real sockets: with lr = 0 nothing changes between syncs, so every sync
// after the first (which has no reference yet) travels as LHC encodings of an all-zero change,
// and the models stay bit-identical; a real model's dense change would make each sync retry raw.
TEST(Sync, LhcRingsCarrySyncsBetweenProcesses) {
  TempDir dir;
  std::vector<nlohmann::json> peers = runSwarm(dir,
                                               {"--sync",
                                                "periodic",
                                                "--sync-period",
                                                "10",
                                                "--sync-codec",
                                                "lhc",
                                                "--lr",
                                                "0",
                                                "--no-gossip",
                                                "--steps",
                                                "100",
                                                "--model",
                                                "mlp",
                                                "--synthetic",
                                                "2048"});
  ASSERT_EQ(peers.size(), 4U);
  for (const nlohmann::json& s : peers) {
    EXPECT_EQ(s["sync_codec"], "lhc");
    EXPECT_EQ(s["sync_epoch"], 10) << s.dump(2) << describeLogs(dir, 4);
    EXPECT_GE(s["sync_codec_rings"].get<std::uint64_t>(), 8U) << s.dump(2);
    EXPECT_EQ(s["sync_codec_fallbacks"], 0) << describeLogs(dir, 4);
  }
  EXPECT_GE(expectIdenticalSyncedModels(peers), 5U);
}

// Issue 5: on a model whose updates are sparse (bagrec under plain SGD), LHC rings learn as well
// as raw rings and move a fraction of their bytes.
TEST(Sync, LhcRingsMoveFewerBytesThanRawOnSparseUpdates) {
  std::map<std::string, std::vector<nlohmann::json>> runs;
  for (const char* codec : {"raw", "lhc"}) {
    TempDir dir;
    runs[codec] = runSwarm(dir,
                           {"--model",
                            "bagrec",
                            "--momentum",
                            "0",
                            "--lr",
                            "2",
                            "--no-gossip",
                            "--sync",
                            "periodic",
                            "--sync-period",
                            "2",
                            "--sync-codec",
                            codec,
                            "--lhc-capacity",
                            "0.1",
                            "--steps",
                            "300",
                            "--synthetic",
                            "32768"});
    ASSERT_EQ(runs[codec].size(), 4U) << codec;
  }
  double rawBytes = 0;
  double lhcBytes = 0;
  for (int i = 0; i < 4; ++i) {
    const nlohmann::json& raw = runs["raw"][i];
    const nlohmann::json& lhc = runs["lhc"][i];
    EXPECT_GE(raw["test_accuracy_avg_model"].get<double>(), 0.9);
    EXPECT_GE(lhc["test_accuracy_avg_model"].get<double>(), 0.9) << lhc.dump(2);
    EXPECT_EQ(lhc["sync_epoch"], 150);
    EXPECT_GE(lhc["sync_codec_rings"].get<double>(), 140) << "LHC carried (almost) every sync";
    rawBytes += raw["bytes_sent_by_kind"]["sync_model"].get<double>();
    lhcBytes += lhc["bytes_sent_by_kind"]["sync_model"].get<double>();
  }
  EXPECT_LT(lhcBytes, 0.5 * rawBytes) << "raw " << rawBytes << " B, lhc " << lhcBytes << " B";
  EXPECT_GE(expectIdenticalSyncedModels(runs["lhc"]), 20U);
}

// --sync-codec lossless compresses the ring's segments and adds in the plain ring's order: a
// lockstep run (deterministic for a seed) syncs exactly the models a raw run syncs, bit for bit.
TEST(Sync, LosslessRingsSyncTheSameModelsAsRaw) {
  std::map<std::string, std::vector<nlohmann::json>> runs;
  for (const char* codec : {"raw", "lossless"}) {
    TempDir dir;
    runs[codec] = runSwarm(dir,
                           {"--sync",
                            "every-step",
                            "--sync-codec",
                            codec,
                            "--no-gossip",
                            "--steps",
                            "60",
                            "--model",
                            "mlp",
                            "--synthetic",
                            "2048"});
    ASSERT_EQ(runs[codec].size(), 4U) << codec;
  }
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(runs["lossless"][i]["sync_digests"], runs["raw"][i]["sync_digests"]) << "peer" << i;
    EXPECT_GE(runs["lossless"][i]["sync_codec_rings"].get<double>(), 55);
    EXPECT_EQ(runs["lossless"][i]["sync_codec_fallbacks"], 0);
  }
  EXPECT_GE(runs["lossless"][0]["sync_digests"].size(), 60U);
}

// Θ is the knob: ten times the threshold, far fewer syncs. The raised-Θ run also checks every 4
// steps instead of every step (--fda-check-every): a quarter of the state messages.
TEST(Sync, ARaisedThetaLowersTheSyncsAndRarerChecksTheStateBytes) {
  if (!haveFashionMnist()) {
    GTEST_SKIP() << "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)";
  }

  struct Run {
    double syncs = 0;       // per peer
    double stateBytes = 0;  // all peers
  };

  auto run = [](const std::string& theta, const std::string& checkEvery) {
    TempDir dir;
    std::vector<nlohmann::json> peers = runSwarm(dir,
                                                 {"--sync",
                                                  "fda",
                                                  "--fda-theta",
                                                  theta,
                                                  "--fda-check-every",
                                                  checkEvery,
                                                  "--no-gossip",
                                                  "--steps",
                                                  "800",
                                                  "--model",
                                                  "mlp",
                                                  "--data",
                                                  fashionMnistDir()});
    Run out;
    for (const nlohmann::json& s : peers) {
      out.syncs += s["syncs"].get<double>() / static_cast<double>(peers.size());
      out.stateBytes += s["bytes_sent_by_kind"]["sync_state"].get<double>();
    }
    expectIdenticalSyncedModels(peers);
    return out;
  };
  const Run low = run("1", "1");
  const Run high = run("10", "4");
  EXPECT_GE(low.syncs, 10.0) << "Θ = 1 should sync often on this run";
  EXPECT_LT(high.syncs, low.syncs / 2)
      << "Θ = 10: " << high.syncs << " syncs per peer, Θ = 1: " << low.syncs;
  EXPECT_LT(high.stateBytes, low.stateBytes / 2) << "checks every 4 steps: " << high.stateBytes
                                                 << " state bytes, every step " << low.stateBytes;
  EXPECT_GT(high.stateBytes, 0) << "FDA still checks";
}

// kill -9 of a peer while the others sync after every step (so a sync is always under way): the
// rings stall, retry over the survivors once SWIM declares it dead, and everyone else finishes.
TEST(Sync, APeerKilledDuringSyncsDoesNotHangTheOthers) {
  TempDir dir;
  writePeers(dir, 4);
  std::vector<std::string> flags = {"--sync",
                                    "every-step",
                                    "--no-gossip",
                                    "--steps",
                                    "500",
                                    "--model",
                                    "mlp",
                                    "--synthetic",
                                    "2048",
                                    "--eval-interval",
                                    "0"};
  std::vector<std::unique_ptr<ChildProcess>> peers;
  for (int i = 0; i < 4; ++i) {
    peers.push_back(startPeer(dir, i, flags));
  }
  ASSERT_FALSE(waitForStep(dir, 3, 50, milliseconds(120000)).is_null()) << describeLogs(dir, 4);
  peers[3]->signal(SIGKILL);
  ASSERT_EQ(peers[3]->waitFor(milliseconds(10000)), 128 + SIGKILL);
  for (int i = 0; i < 3; ++i) {
    std::optional<int> code = peers[i]->waitFor(milliseconds(180000));
    ASSERT_TRUE(code.has_value()) << "peer" << i << " hung\n" << describeLogs(dir, 4);
    EXPECT_EQ(*code, 0) << describeLogs(dir, 4);
    nlohmann::json s = readJson(dir.file("peer" + std::to_string(i) + ".json"));
    EXPECT_EQ(s["steps"], 500);
    EXPECT_TRUE(s["averaged"].get<bool>());
    EXPECT_EQ(s["final_members"], nlohmann::json({"peer0", "peer1", "peer2"}));
    EXPECT_GE(s["syncs"].get<std::uint64_t>(), 450U) << "syncs went on without peer3";
  }
}

// A joiner arrives while the founders sync after every step: it learns their epoch from their
// messages, its first sync is the swarm's next one (not epoch 1), and from then on every model it
// syncs is bit-identical to the founders'.
TEST(Sync, AJoinerCatchesUpWithTheSwarmsEpochAndSyncsWithEveryone) {
  TempDir dir;
  const std::vector<std::string> flags = {"--sync",
                                          "every-step",
                                          "--no-gossip",
                                          "--synthetic",
                                          "2048",
                                          "--model",
                                          "mlp",
                                          "--eval-interval",
                                          "0"};
  std::vector<std::unique_ptr<ChildProcess>> founders;
  ASSERT_NO_FATAL_FAILURE(startFounders(dir, 3, flags, 3, founders));
  std::vector<std::string> joinerFlags = flags;
  joinerFlags.insert(joinerFlags.end(), {"--steps", "150"});
  std::unique_ptr<ChildProcess> late = startJoiner(dir, "late", joinerFlags);
  ASSERT_TRUE(waitForText(dir.file("late.log"), "training done", milliseconds(120000)))
      << readFile(dir.file("late.log"));
  for (auto& p : founders) {
    p->signal(SIGUSR2);
  }
  std::optional<int> code = late->waitFor(milliseconds(120000));
  ASSERT_TRUE(code.has_value()) << "the joiner hung\n" << readFile(dir.file("late.log"));
  ASSERT_EQ(*code, 0) << readFile(dir.file("late.log"));
  std::vector<nlohmann::json> summaries = {readJson(dir.file("late.json"))};
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(founders[static_cast<std::size_t>(i)]->waitFor(milliseconds(120000)), 0)
        << describeLogs(dir, 3);
    summaries.push_back(readJson(dir.file("peer" + std::to_string(i) + ".json")));
  }
  const nlohmann::json& joiner = summaries[0];
  ASSERT_FALSE(joiner["sync_digests"].empty()) << joiner.dump(2);
  EXPECT_GT(joiner["sync_digests"][0][0].get<std::uint64_t>(), 10U)
      << "the joiner's first sync should be the swarm's next epoch";
  EXPECT_GE(joiner["syncs"].get<std::uint64_t>(), 140U) << "it synced after (almost) every step";
  std::map<std::uint64_t, std::string> founder0;
  for (const nlohmann::json& entry : summaries[1]["sync_digests"]) {
    founder0[entry[0].get<std::uint64_t>()] = entry[1].get<std::string>();
  }
  std::size_t shared = 0;
  for (const nlohmann::json& entry : joiner["sync_digests"]) {
    auto it = founder0.find(entry[0].get<std::uint64_t>());
    if (it != founder0.end()) {
      EXPECT_EQ(it->second, entry[1].get<std::string>()) << "epoch " << entry[0];
      ++shared;
    }
  }
  EXPECT_GE(shared, 1U) << "no epoch synced by both the joiner and peer0 among the last kept";
  expectIdenticalSyncedModels(summaries);
}

}  // namespace
}  // namespace murmur::tests
