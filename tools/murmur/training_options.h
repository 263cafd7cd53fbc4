// The training options shared by `murmur run` and `murmur swarm` (which forwards them to its
// peers), bound to peer::NodeOptions.
#pragma once

#include <string>
#include <vector>

#include "peer/node.h"

#include <CLI/CLI.hpp>

namespace murmur::tools {

inline constexpr const char* kTrainingGroup = "Training";

struct TrainingFlags {
  peer::NodeOptions node;
  bool noMomentum = false;
  bool noGossip = false;
  std::int64_t synthetic = 0;
  double exchangeTimeoutSeconds = 1.0;
  double probeIntervalSeconds = 0.5;
  double suspicionTimeoutSeconds = 4.0;
  double injectLatencyMs = 0;      // fault injection: one-way delay on every message we send
  std::string lbgmGamma = "auto";  // --lbgm-gamma: a number, or auto (½ dense, ¼ with top-k)
  std::string log = "info";
  bool logJson = false;
};

// Adds every training option (group "Training") with its default shown in --help.
void addTrainingOptions(CLI::App& app, TrainingFlags& flags);

// Turns parsed flags into node options (negated flags, synthetic data). Throws
// runtime::Error(kInvalidArgument) for inconsistent values.
void finishTrainingOptions(TrainingFlags& flags);

// `--name value` for every training option that was given (on the command line, in the
// environment or in the config file), for a child `murmur run`.
std::vector<std::string> forwardTrainingOptions(const CLI::App& app);

}  // namespace murmur::tools
