// murmur-sim as a user meets it: --help that teaches, the JSON summary, the CSV and SVG it writes,
// and clear refusals of bad flags (exit code 2).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/integration/peer_processes.h"
#include "tests/support/test_support.h"

#include <nlohmann/json.hpp>

namespace murmur::tests {
namespace {

Result runSim(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), murmurSimBinary());
  return runProgram(dir, args);
}

TEST(SimCli, HelpTeachesTheModelAndTheFlags) {
  TempDir dir;
  Result help = runSim(dir, {"--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* text : {"--peers",
                           "--topology",
                           "--rate",
                           "--no-momentum",
                           "--workload",
                           "--until",
                           "--json",
                           "--csv",
                           "--plot",
                           "--latency-ms",
                           "--bandwidth-mbps",
                           "--loss",
                           "--stragglers",
                           "--crash",
                           "--membership",
                           "mean gradient interval",
                           "Examples"}) {
    EXPECT_NE(help.out.find(text), std::string::npos) << text;
  }
}

TEST(SimCli, PrintsJsonAndWritesTheSeriesAndThePlot) {
  TempDir dir;
  Result r = runSim(dir,
                    {"--peers",
                     "16",
                     "--workload",
                     "quadratic",
                     "--until",
                     "50",
                     "--json",
                     "--csv",
                     dir.file("series.csv"),
                     "--plot",
                     dir.file("sim.svg")});
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  for (const char* key : {"consensus_distance", "bytes_total", "loss", "accuracy"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_GT(j["bytes_total"].get<std::uint64_t>(), 0U);
  EXPECT_TRUE(j["loss"].is_number());
  std::string csv = readFile(dir.file("series.csv"));
  EXPECT_EQ(csv.rfind("time,consensus_distance,loss,accuracy,bytes,exchanges\n", 0), 0U);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 52) << "header and t = 0 .. 50";
  std::string svg = readFile(dir.file("sim.svg"));
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("consensus distance over bytes"), std::string::npos);
  EXPECT_NE(svg.find("loss over time"), std::string::npos);
  // The same plot as PNG (the format is the file name's).
  r = runSim(
      dir,
      {"--peers", "16", "--workload", "quadratic", "--until", "50", "--plot", dir.file("sim.png")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(readFile(dir.file("sim.png")).rfind("\x89PNG\r\n", 0), 0U);
}

// --membership swim: the summary says what SWIM sent and how fast the survivors found the crash.
TEST(SimCli, UnderSwimTheJsonReportsTheDetection) {
  TempDir dir;
  Result r = runSim(
      dir,
      {"--peers", "8", "--membership", "swim", "--crash", "0.125@30", "--until", "150", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["membership"], "swim");
  ASSERT_TRUE(j.contains("swim")) << r.out;
  EXPECT_EQ(j["swim"]["deaths"].get<int>(), 7) << "each survivor declares the crashed peer dead";
  EXPECT_EQ(j["swim"]["false_deaths"].get<int>(), 0);
  EXPECT_GT(j["swim"]["detection_seconds_mean"].get<double>(), 0.0);
  EXPECT_GT(j["swim"]["bytes"].get<std::uint64_t>(), 0U);
}

// The `mlp` built-in's architecture in plain C++ (backpropagation written out): 4 peers, ~100
// steps each from 0.10 to 0.715 mean local accuracy (measured); a wrong gradient would not learn.
TEST(SimCli, TheMlpWorkloadLearnsFashionMnist) {
  if (!haveFashionMnist()) {
    GTEST_SKIP() << "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)";
  }
  TempDir dir;
  Result r = runSim(dir,
                    {"--peers",
                     "4",
                     "--workload",
                     "fmnist-mlp",
                     "--data",
                     fashionMnistDir(),
                     "--until",
                     "100",
                     "--sample-every",
                     "50",
                     "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_GE(j["accuracy"].get<double>(), 0.65);
  EXPECT_LT(j["loss"].get<double>(), 1.0) << "from log 10 = 2.30";
}

TEST(SimCli, BadFlagsAreClearErrorsWithCodeTwo) {
  TempDir dir;

  struct Case {
    std::vector<std::string> args;
    const char* says;
  };

  for (const Case& c : {Case{{"--workload", "mnist"}, "--workload"},
                        Case{{"--rate", "0"}, "--rate"},
                        Case{{"--codec", "zip"}, "--codec"},
                        Case{{"--membership", "psychic"}, "--membership"},
                        Case{{"--join", "2.5@10"}, "--join"},
                        Case{{"--leave", "half"}, "--leave"},
                        Case{{"--codec", "lbgm", "--lbgm-gamma", "0.7"}, "--lbgm-gamma"},
                        Case{{"--plot", "x.gif"}, ".png"},
                        Case{{"--stragglers", "half"}, "SHARE:VALUE"},
                        Case{{"--topology", "exponential", "--peers", "12"}, "power-of-two"},
                        Case{{"--topology", dir.file("missing.txt")}, "missing.txt"}}) {
    Result r = runSim(dir, c.args);
    EXPECT_EQ(r.code, 2) << c.args[0] << ": " << r.err;
    EXPECT_NE((r.err + r.out).find(c.says), std::string::npos) << c.args[0] << ": " << r.err;
  }
}

}  // namespace
}  // namespace murmur::tests
