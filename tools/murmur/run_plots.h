// The plots of a run (`murmur report`, and `murmur swarm` at its end): test accuracy against time
// and against bytes sent, training loss against time, and the distance to gossip partners, per
// peer and for the swarm's mean, from the peers' summaries (their "timeline").
#pragma once

#include <string>
#include <vector>

#include "tools/common/plot_file.h"

#include <nlohmann/json.hpp>

namespace murmur::tools {

// The panels for these peer summaries (JSON objects; others are skipped).
std::vector<PlotPanel> runPanels(const std::vector<nlohmann::json>& summaries);

// "murmur run NAME" for a run directory (its last component).
std::string runPlotTitle(const std::string& runDir);

// Writes the run's plot to `path` (PNG for FILE.png, SVG otherwise); false (and why on stderr)
// when it cannot.
bool writeRunPlot(const std::vector<nlohmann::json>& summaries,
                  const std::string& title,
                  const std::string& path);

}  // namespace murmur::tools
