// What murmur-sim prints and writes: the JSON summary, the CSV time series and the plot (SVG or
// PNG) of a run (consensus distance and loss against time and against bytes sent).
#pragma once

#include <string>

#include "tools/sim/simulation.h"

namespace murmur::sim {

// "A2CiD2 r=1", "baseline r=2" or "no gossip".
std::string variantName(const SimOptions& options);

// One JSON object: consensus_distance, bytes_total, loss, accuracy (null where the workload has
// none), the means after burn-in, the counters, η and α̃, and the options that shaped the run.
std::string resultJson(const SimOptions& options, const SimResult& result, double wallSeconds);

// time,consensus_distance,loss,accuracy,bytes,exchanges: one row per sample.
std::string samplesCsv(const SimResult& result);

// Two panels over time and bytes (a third for the loss when the workload has one), as the bytes
// of `path`'s kind: PNG for FILE.png, SVG otherwise.
std::string resultPlot(const std::string& path, const SimOptions& options, const SimResult& result);

}  // namespace murmur::sim
