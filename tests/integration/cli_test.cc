// The murmur CLI as a user meets it: help, bad flags, missing files, mismatched peers.
#include <memory>

#include <gtest/gtest.h>

#include "tests/integration/peer_processes.h"

namespace murmur::tests {
namespace {

using std::chrono::milliseconds;

TEST(Cli, HelpTeachesEveryCommand) {
  TempDir dir;
  Result top = runMurmur(dir, {"--help"});
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.out.find("murmur swarm"), std::string::npos);
  Result run = runMurmur(dir, {"run", "--help"});
  EXPECT_EQ(run.code, 0);
  for (const char* flag : {"--peers",
                           "--topology",
                           "--rate",
                           "--no-momentum",
                           "--summary-json",
                           "--lr",
                           "--steps",
                           "MURMUR_"}) {
    EXPECT_NE(run.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(run.out.find("=ring"), std::string::npos) << "defaults are shown";
  EXPECT_EQ(runMurmur(dir, {"swarm", "--help"}).code, 0);
  EXPECT_NE(top.out.find("murmur report"), std::string::npos);
  EXPECT_EQ(runMurmur(dir, {"report", "--help"}).code, 0);
  for (const char* command : {"status", "members", "top", "leave"}) {
    Result help = runMurmur(dir, {command, "--help"});
    EXPECT_EQ(help.code, 0) << command;
    EXPECT_NE(help.out.find("--control"), std::string::npos) << command << ": " << help.out;
    EXPECT_NE(top.out.find(std::string("murmur ") + command), std::string::npos) << command;
  }
}

// `murmur run` as the first of two peers on free loopback ports (the second is never started).
std::vector<std::string> runFirstOfTwo() {
  std::vector<int> ports = freePorts(2);
  return {"run",
          "--peers",
          "tcp://127.0.0.1:" + std::to_string(ports[0]) +
              ",tcp://127.0.0.1:" + std::to_string(ports[1]),
          "--bind",
          "tcp://127.0.0.1:" + std::to_string(ports[0])};
}

TEST(Cli, BadUsageExitsWithCodeTwoAndSaysWhy) {
  TempDir dir;
  Result unknown = runMurmur(dir, {"fly"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("unknown command 'fly'"), std::string::npos);
  Result noPeers = runMurmur(dir, {"run"});
  EXPECT_EQ(noPeers.code, 2);
  EXPECT_NE(noPeers.err.find("--peers"), std::string::npos) << noPeers.err;
  Result badPeers = runMurmur(dir, {"run", "--peers", "not-a-file"});
  EXPECT_EQ(badPeers.code, 2);
  EXPECT_NE(badPeers.err.find("not-a-file"), std::string::npos) << badPeers.err;
  Result badRate =
      runMurmur(dir, {"run", "--peers", "tcp://127.0.0.1:1,tcp://127.0.0.1:2", "--rate", "-1"});
  EXPECT_EQ(badRate.code, 2);
  EXPECT_NE(badRate.err.find("--rate"), std::string::npos) << badRate.err;
  Result badModel = runMurmur(dir, {"swarm", "--model", "gpt"});
  EXPECT_EQ(badModel.code, 2);
  // An injected latency whose round trips outlast the probe period would make every peer suspect.
  Result slowProbes = runMurmur(
      dir, {"run", "--peers", "tcp://127.0.0.1:1,tcp://127.0.0.1:2", "--inject-latency", "200"});
  EXPECT_EQ(slowProbes.code, 2);
  EXPECT_NE(slowProbes.err.find("--probe-interval"), std::string::npos) << slowProbes.err;
  // Compression (issue 5): δ outside (0, 1), unknown codecs, a capacity that is no fraction;
  // training and sync flags out of range.
  const std::string twoPeers = "tcp://127.0.0.1:1,tcp://127.0.0.1:2";
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--codec", "lbgm", "--lbgm-delta", "1.5"},
        std::vector<std::string>{"--codec", "lbgm", "--lbgm-topk", "1"},
        std::vector<std::string>{"--codec", "lbgm", "--lbgm-gamma", "0.7"},
        std::vector<std::string>{"--codec", "lbgm", "--lbgm-sign", "--lbgm-topk", "0.1"},
        std::vector<std::string>{"--codec", "zip"},
        std::vector<std::string>{"--sync-codec", "lossy"},
        std::vector<std::string>{"--sync-codec", "lhc", "--lhc-capacity", "0"},
        // Training: an unknown schedule, a check cadence of zero steps.
        std::vector<std::string>{"--lr-schedule", "linear"},
        std::vector<std::string>{"--sync", "fda", "--fda-check-every", "0"}}) {
    std::vector<std::string> args = {"run", "--peers", twoPeers};
    args.insert(args.end(), bad.begin(), bad.end());
    Result r = runMurmur(dir, args);
    EXPECT_EQ(r.code, 2) << bad[0] << " " << bad[1];
    EXPECT_NE(r.err.find(bad[bad.size() - 2]), std::string::npos) << r.err;
  }
}

TEST(Cli, MissingDatasetIsAClearErrorWithCodeTwo) {
  TempDir dir;
  Result swarm = runMurmur(dir, {"swarm", "--data", dir.file("nowhere"), "--run-dir", dir.path()});
  EXPECT_EQ(swarm.code, 2);
  EXPECT_NE(swarm.err.find("dataset not found"), std::string::npos) << swarm.err;
  EXPECT_NE(swarm.err.find("dataset-fashion-mnist"), std::string::npos) << swarm.err;
  std::vector<std::string> args = runFirstOfTwo();
  args.insert(args.end(), {"--data", dir.file("nowhere")});
  Result run = runMurmur(dir, args);
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("not found"), std::string::npos) << run.err;
}

// Issue 6: a TorchScript model file that is missing or is not TorchScript, or a model that is
// neither built in nor a .pt file.
TEST(Cli, BadModelFilesAreClearErrorsWithCodeTwo) {
  TempDir dir;
  std::vector<std::string> run = runFirstOfTwo();
  run.insert(run.end(), {"--synthetic", "256", "--control", "off"});
  writeFile(dir.file("junk.pt"), "not a zip archive");

  struct Case {
    std::string model;
    std::vector<std::string> said;
  };

  for (const Case& c : {Case{dir.file("missing.pt"), {"missing.pt", "no such file"}},
                        Case{dir.file("junk.pt"), {"junk.pt", "not a TorchScript module"}},
                        Case{"lenet5.onnx", {"lenet5.onnx", "TorchScript file ending in .pt"}}}) {
    std::vector<std::string> args = run;
    args.insert(args.end(), {"--model", c.model});
    Result r = runMurmur(dir, args);
    EXPECT_EQ(r.code, 2) << c.model << ": " << r.err;
    for (const std::string& word : c.said) {
      EXPECT_NE(r.err.find(word), std::string::npos) << c.model << ": " << r.err;
    }
  }
}

TEST(Cli, ConfigFileAndEnvironmentFeedTheFlags) {
  TempDir dir;
  writeFile(dir.file("run.toml"), "lrr = 0.1\n");
  Result typo = runMurmur(dir, {"swarm", "--config", dir.file("run.toml")});
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.err.find("'lrr'"), std::string::npos) << typo.err;
  writeFile(dir.file("run.toml"), "model = \"gpt\"\n");
  EXPECT_EQ(runMurmur(dir, {"swarm", "--config", dir.file("run.toml")}).code, 2);
  // The flag overrides the file: a valid model on the command line wins, so the error comes
  // from the next layer down (the missing dataset), not from the model.
  Result flagWins = runMurmur(dir,
                              {"swarm",
                               "--config",
                               dir.file("run.toml"),
                               "--model",
                               "mlp",
                               "--data",
                               dir.file("nowhere"),
                               "--run-dir",
                               dir.path()});
  EXPECT_EQ(flagWins.code, 2);
  EXPECT_NE(flagWins.err.find("dataset not found"), std::string::npos) << flagWins.err;
}

// A flag set in a config file reaches the peers a swarm starts: with no-gossip, nobody exchanges
// until the final average, which still happens.
TEST(Cli, SwarmForwardsFlagsFromTheConfigFile) {
  TempDir dir;
  writeFile(dir.file("run.toml"), "no-gossip = true\nmodel = \"mlp\"\n");
  Result swarm = runMurmur(dir,
                           {"swarm",
                            "--config",
                            dir.file("run.toml"),
                            "--peers",
                            "2",
                            "--synthetic",
                            "256",
                            "--steps",
                            "30",
                            "--eval-interval",
                            "0",
                            "--run-dir",
                            dir.path(),
                            "--summary-json",
                            dir.file("swarm.json"),
                            "--no-table"});
  ASSERT_EQ(swarm.code, 0) << swarm.err << readFile(dir.file("peer0.log"));
  std::string summary = readFile(dir.file("swarm.json"));
  EXPECT_NE(summary.find("\"exchanges_total\": 0"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"failed_peers\": 0"), std::string::npos) << summary;
}

// Two peers with different models refuse each other's messages (counted and logged with the
// sender's name) and the end-of-run average, which needs both, gives up with exit code 1.
TEST(Cli, PeersWithDifferentModelsRefuseEachOther) {
  TempDir dir;
  std::vector<int> ports = freePorts(2);
  std::string peers = "tcp://127.0.0.1:" + std::to_string(ports[0]) +
                      " a\ntcp://127.0.0.1:" + std::to_string(ports[1]) + " b\n";
  writeFile(dir.file("peers.txt"), peers);
  std::vector<std::string> common = {"--peers",
                                     dir.file("peers.txt"),
                                     "--synthetic",
                                     "512",
                                     "--steps",
                                     "50",
                                     "--eval-interval",
                                     "0",
                                     "--final-timeout",
                                     "4"};
  auto argsFor = [&](const std::string& name, const std::string& model) {
    std::vector<std::string> args = {murmurBinary(), "run", "--name", name, "--model", model};
    args.insert(args.end(), common.begin(), common.end());
    return args;
  };
  ChildProcess a(argsFor("a", "lenet5"), dir.file("a.out"), dir.file("a.log"));
  ChildProcess b(argsFor("b", "mlp"), dir.file("b.out"), dir.file("b.log"));
  EXPECT_EQ(a.waitFor(milliseconds(120000)), 1);
  EXPECT_EQ(b.waitFor(milliseconds(120000)), 1);
  std::string log = readFile(dir.file("a.log"));
  EXPECT_NE(log.find("dropped a message from b (run_mismatch)"), std::string::npos) << log;
  EXPECT_NE(log.find("another model"), std::string::npos) << log;
  EXPECT_NE(log.find("no exact average"), std::string::npos) << log;
}

}  // namespace
}  // namespace murmur::tests
