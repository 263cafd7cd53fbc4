// murmur report: the swarm report of `murmur swarm`, built from a run directory or from the
// --summary-json files of peers started one by one with `murmur run` (on other machines, in
// network namespaces, ...), and the run's plot.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/error.h"
#include "tools/murmur/cli_layers.h"
#include "tools/murmur/commands.h"
#include "tools/murmur/run_plots.h"
#include "tools/murmur/swarm_report.h"

#include <nlohmann/json.hpp>

namespace murmur::tools {

namespace {

// RUN_DIR's peer summaries (peer*.json, as murmur swarm writes them), in name order.
std::vector<std::string> peerSummariesIn(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("peer", 0) == 0 && entry.path().extension() == ".json") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int reportCommand(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  bool json = false;
  double evalInterval = 5;
  std::string plot;
  CLI::App app(
      "Aggregates the summaries (--summary-json) of a run's peers into the report that murmur "
      "swarm prints (accuracy of the exact average and of each peer, steps, exchanges, bytes, "
      "the mean local test accuracy over time), and draws the run as SVG: test accuracy against "
      "time and bytes sent, training loss, and the distance to gossip partners, per peer and "
      "for their mean. Give peers run separately the same --start-time so that their timelines "
      "share an origin.\n\n"
      "Examples:\n"
      "  murmur report runs/swarm-20261124-101500        # its peer*.json; writes report.svg\n"
      "  murmur report a.json b.json --plot run.svg",
      "murmur report");
  configureApp(app);
  app.add_option("summaries", files, "A run directory (murmur swarm's), or summary files")
      ->required();
  app.add_flag("--json", json, "Print the report as JSON (the same fields as murmur swarm's)");
  app.add_option("--plot",
                 plot,
                 "Write the plot here, FILE.svg or FILE.png (default: RUN_DIR/report.svg for a "
                 "run directory, none for files)");
  app.add_option("--eval-interval",
                 evalInterval,
                 "The peers' --eval-interval: timeline points within it are averaged together")
      ->capture_default_str();
  if (std::optional<int> code = parseCommandLine(app, args)) {
    return *code;
  }
  std::string title = "murmur run";
  if (files.size() == 1 && std::filesystem::is_directory(files[0])) {
    const std::string dir = files[0];
    files = peerSummariesIn(dir);
    if (files.empty()) {
      std::fprintf(stderr, "murmur report: no peer*.json in %s\n", dir.c_str());
      return kExitUsage;
    }
    if (plot.empty()) {
      plot = dir + "/report.svg";
    }
    title = runPlotTitle(dir);
  }
  std::vector<std::string> summaries;
  std::vector<nlohmann::json> docs;
  std::vector<int> codes;
  double wall = 0;
  for (const std::string& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
    if (!in || !doc.is_object()) {
      std::fprintf(stderr,
                   "murmur report: %s is %s; counting that peer as failed\n",
                   file.c_str(),
                   !in ? "missing or unreadable" : "not a peer summary (JSON object)");
      summaries.emplace_back();
      codes.push_back(kExitFailure);
      continue;
    }
    wall = std::max(wall, doc.value("wall_seconds", 0.0));
    summaries.push_back(text.str());
    docs.push_back(std::move(doc));
    codes.push_back(kExitOk);
  }
  SwarmReport report = buildSwarmReport(summaries, codes, wall, evalInterval);
  std::fputs(json ? (swarmReportJson(report) + "\n").c_str() : renderSwarmReport(report).c_str(),
             stdout);
  if (!plot.empty()) {
    if (!writeRunPlot(docs, title, plot)) {
      return kExitFailure;
    }
    std::fprintf(stderr, "murmur report: plot written to %s\n", plot.c_str());
  }
  return report.failedPeers == 0 ? kExitOk : kExitFailure;
}

}  // namespace murmur::tools
