// `murmur report RUN_DIR` (issue 6): the plots of a real swarm's run, as SVG, whose axes cover the
// run (every peer's timeline, in time and in bytes) and which draw every peer and their mean.
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/peer_processes.h"
#include "tests/support/test_support.h"

#include <nlohmann/json.hpp>

namespace murmur::tests {
namespace {

struct Panel {
  std::string title;
  double xMax = 0;
  double yMin = 0;
  double yMax = 0;
  int series = 0;
};

// The panels of an SVG that murmur drew (their data-* attributes and polylines).
std::vector<Panel> panelsOf(const std::string& svg) {
  std::vector<Panel> out;
  const std::regex panel(
      "<g class=\"panel\" data-title=\"([^\"]*)\" data-x-min=\"[^\"]*\" data-x-max=\"([^\"]*)\" "
      "data-y-min=\"([^\"]*)\" data-y-max=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), panel); it != std::sregex_iterator();
       ++it) {
    Panel p{(*it)[1], std::stod((*it)[2]), std::stod((*it)[3]), std::stod((*it)[4]), 0};
    const std::size_t end = svg.find("</g>", static_cast<std::size_t>(it->position()));
    const std::string body = svg.substr(static_cast<std::size_t>(it->position()),
                                        end - static_cast<std::size_t>(it->position()));
    for (std::size_t at = body.find("<polyline"); at != std::string::npos;
         at = body.find("<polyline", at + 1)) {
      ++p.series;
    }
    out.push_back(p);
  }
  return out;
}

TEST(Report, DrawsARunDirectoryWithAxesThatCoverTheRun) {
  if (!haveFashionMnist()) {
    GTEST_SKIP() << "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)";
  }
  TempDir dir;
  Result swarm = runMurmur(dir,
                           {"swarm",
                            "--peers",
                            "2",
                            "--steps",
                            "300",
                            "--eval-interval",
                            "0.5",
                            "--no-table",
                            "--data",
                            fashionMnistDir(),
                            "--run-dir",
                            dir.file("run")},
                           std::chrono::milliseconds(300000));
  ASSERT_EQ(swarm.code, 0) << swarm.err << describeLogs(dir, 2);
  EXPECT_NE(swarm.out.find("report.svg"), std::string::npos) << swarm.out;
  const std::string drawnBySwarm = readFile(dir.file("run/report.svg"));
  std::filesystem::remove(dir.file("run/report.svg"));

  Result report = runMurmur(dir, {"report", dir.file("run")});
  ASSERT_EQ(report.code, 0) << report.err;
  EXPECT_NE(report.out.find("averaged model test accuracy"), std::string::npos) << report.out;
  const std::string svg = readFile(dir.file("run/report.svg"));
  ASSERT_GT(svg.size(), 1000U);
  EXPECT_EQ(svg.rfind("<svg", 0), 0U);
  EXPECT_TRUE(svg == drawnBySwarm) << "the swarm and the report draw the same run alike";

  double lastSecond = 0;
  double mostMegabytes = 0;
  for (const char* peer : {"run/peer0.json", "run/peer1.json"}) {
    const nlohmann::json summary = readJson(dir.file(peer));
    for (const nlohmann::json& p : summary["timeline"]) {
      lastSecond = std::max(lastSecond, p["t"].get<double>());
      mostMegabytes = std::max(mostMegabytes, p["bytes_sent"].get<double>() / 1e6);
    }
  }
  ASSERT_GT(lastSecond, 0);
  const std::vector<Panel> panels = panelsOf(svg);
  ASSERT_EQ(panels.size(), 4U) << svg.substr(0, 2000);
  for (const Panel& p : panels) {
    EXPECT_GE(p.series, 3) << p.title << ": two peers and their mean";
    EXPECT_GE(p.xMax, p.title.find("bytes") != std::string::npos ? mostMegabytes : lastSecond)
        << p.title << " does not reach the end of the run";
  }
  EXPECT_EQ(panels[0].yMin, 0);
  EXPECT_EQ(panels[0].yMax, 1) << "accuracy from 0 to 1";

  Result bad = runMurmur(dir, {"report", dir.path()});  // no peer*.json there
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_NE(bad.err.find("no peer*.json"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace murmur::tests
