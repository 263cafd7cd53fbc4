// murmur-bench sim: specs/a2cid2.md §6's scenarios in murmur-sim (the peers' own gossip and
// momentum code on virtual time), beside the spec's numbers, with the ratios that carry the
// claims; global syncs (every-step, periodic, FDA) on Fashion-MNIST at 16-64 simulated peers:
// bytes per step and accuracy; gossip codecs (whole models, LBGM, top-10 % + LBGM) likewise;
// SWIM's crash detection from 4 to 1024 peers; and the simulator's own speed at 1024 peers.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace murmur::bench {

struct SimBenchOptions {
  int seeds = 2;          // each value is the mean over seeds 1..seeds (the spec: 2)
  int scalePeers = 1024;  // the speed run: this many peers, scalar drift, ring
  double scaleUntil = 100;
  std::vector<int> syncPeers = {16, 32, 64};        // the sync table (fmnist-logreg, local SGD)
  std::vector<int> codecPeers = {16, 32, 64};       // the codec table (fmnist-logreg, gossip)
  std::vector<int> swimPeers = {4, 64, 256, 1024};  // the SWIM table (drift, a tenth crashes)
  std::string data = "/usr/share/datasets/fashion-mnist";
};

void addSimBenchOptions(CLI::App& app, SimBenchOptions& options);

int simCommand(const SimBenchOptions& options, bool json);

}  // namespace murmur::bench
