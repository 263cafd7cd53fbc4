// murmur report: the swarm report of `murmur swarm`, built from the --summary-json files of peers
// started one by one with `murmur run` (on other machines, in network namespaces, ...).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "runtime/error.h"
#include "tools/murmur/cli_layers.h"
#include "tools/murmur/commands.h"
#include "tools/murmur/swarm_report.h"

#include <nlohmann/json.hpp>

namespace murmur::tools {

int reportCommand(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  bool json = false;
  double evalInterval = 5;
  CLI::App app(
      "Aggregates the summaries (--summary-json) of peers run separately into the report that "
      "murmur swarm prints: accuracy of the exact average and of each peer, steps, exchanges, "
      "bytes, and the mean local test accuracy over time. Give the peers the same --start-time "
      "so that their timelines share an origin.\n\n"
      "Example: murmur report runs/peer*.json",
      "murmur report");
  configureApp(app);
  app.add_option("summaries", files, "Summary files, one per peer")->required();
  app.add_flag("--json", json, "Print the report as JSON (the same fields as murmur swarm's)");
  app.add_option("--eval-interval",
                 evalInterval,
                 "The peers' --eval-interval: timeline points within it are averaged together")
      ->capture_default_str();
  if (std::optional<int> code = parseCommandLine(app, args)) {
    return *code;
  }
  std::vector<std::string> summaries;
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
    codes.push_back(kExitOk);
  }
  SwarmReport report = buildSwarmReport(summaries, codes, wall, evalInterval);
  std::fputs(json ? (swarmReportJson(report) + "\n").c_str() : renderSwarmReport(report).c_str(),
             stdout);
  return report.failedPeers == 0 ? kExitOk : kExitFailure;
}

}  // namespace murmur::tools
