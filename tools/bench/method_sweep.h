// One local swarm per method (a set of `murmur run` flags), same data, seeds and peers, and what
// each cost to reach a test accuracy: the shared core of murmur-bench fda and lbgm.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/bench/swarm_runs.h"

#include <nlohmann/json.hpp>

namespace murmur::bench {

struct SweepMethod {
  std::string key;  // the JSON key prefix: every_step, periodic_50, lbgm_0.2, ...
  std::string what;
  std::vector<std::string> flags;
};

struct SweepOutcome {
  std::string key;
  double accuracy = 0;                  // exact average at the end
  double bytesTotal = 0;                // all peers, the whole run (final average included)
  std::optional<double> bytesToTarget;  // all peers, until each first showed the target
  std::optional<double> stepsToTarget;  // mean over peers of the step it first showed it
  double syncs = 0;                     // mean per peer
  double lbgmReuse = 0;                 // mean per peer (--codec lbgm)
  double consensusDistance = 0;         // before the final average
  double syncCodecFallbacks = 0;        // all peers: syncs --sync-codec lhc retried raw
  std::map<std::string, double> syncChunkForms;  // all peers: LHC ring chunks by form
};

// Runs the methods whose keys are in `only` (all if empty) in turn under `<tmp>/<dirName>/<key>`.
// A failed swarm ends the sweep: nullopt, with where its logs are on stderr.
std::optional<std::vector<SweepOutcome>> runSweep(const SwarmBenchOptions& options,
                                                  std::vector<SweepMethod> methods,
                                                  const std::vector<std::string>& only,
                                                  double target,
                                                  const std::string& dirName);

const SweepOutcome* findOutcome(const std::vector<SweepOutcome>& outcomes, const std::string& key);

nlohmann::json orNull(const std::optional<double>& value);

// The per-run rows of a report.
nlohmann::json sweepRows(const std::vector<SweepOutcome>& outcomes);

// The table: method, MB to target, steps to target, MB total, accuracy, and one extra column.
void printSweep(const std::vector<SweepOutcome>& outcomes,
                const char* extraName,
                double (*extra)(const SweepOutcome&));

}  // namespace murmur::bench
