// Helpers for integration tests that start `murmur run` processes from a peers file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

#include <nlohmann/json.hpp>

namespace murmur::tests {

// What a short murmur command printed and returned.
struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `PROGRAM ARGS...` (args[0] is the program) to completion (a test failure if it outlives
// `timeout`), its output in files of `dir`.
Result runProgram(const TempDir& dir,
                  const std::vector<std::string>& args,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(120000));

// Runs `murmur ARGS...` to completion (a test failure if it outlives `timeout`), its output in
// files of `dir`.
Result runMurmur(const TempDir& dir,
                 std::vector<std::string> args,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(120000));

// Parses a JSON file (a test failure, and a discarded value, if it is not JSON).
nlohmann::json readJson(const std::string& path);

// The tails of peer0.log .. peer{n-1}.log, for failure messages.
std::string describeLogs(const TempDir& dir, int peers);

// A peers file for n peers on free loopback ports, named peer0 .. peer{n-1}; returns its path.
std::string writePeers(const TempDir& dir, int n);

// `murmur run` for peer i of the peers file with --progress-json and --summary-json peerI.json,
// plus `extra` flags; stdout to peerI.out, stderr (the log) to peerI.log. `launcher` goes before
// the binary (e.g. `ip netns exec NS`).
std::unique_ptr<ChildProcess> startPeer(const TempDir& dir,
                                        int i,
                                        std::vector<std::string> extra,
                                        std::vector<std::string> launcher = {});

// The newest progress record of peer i (peerI.out), waiting up to `timeout` for one whose step
// is at least `step`; a null JSON value if none came.
nlohmann::json waitForStep(const TempDir& dir,
                           int i,
                           std::int64_t step,
                           std::chrono::milliseconds timeout);

// `murmur run --join` of the founders' peer0 and peer1 (from dir's peers file), as `name`, with
// --summary-json NAME.json and --progress-json, plus `extra` flags; log in NAME.log.
std::unique_ptr<ChildProcess> startJoiner(const TempDir& dir,
                                          const std::string& name,
                                          std::vector<std::string> extra);

// Writes a peers file for n founders and starts them with `flags`, training until told to finish
// (SIGUSR2); returns once each has printed `trainingRecords` progress records while training.
void startFounders(const TempDir& dir,
                   int n,
                   std::vector<std::string> flags,
                   int trainingRecords,
                   std::vector<std::unique_ptr<ChildProcess>>& peers);

}  // namespace murmur::tests
