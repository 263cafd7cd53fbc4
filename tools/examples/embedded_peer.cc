// murmur embedded in a program of your own: a peer that trains a LibTorch module defined here, on
// data this program loads, in a swarm described by a peers file. Run one per peer:
//
//   printf 'tcp://127.0.0.1:7100 a\ntcp://127.0.0.1:7101 b\n' > peers.txt
//   build/murmur-embedded-example peers.txt a /usr/share/datasets/fashion-mnist 300 &
//   build/murmur-embedded-example peers.txt b /usr/share/datasets/fashion-mnist 300
//
// Each prints its summary as JSON (the format of `murmur run --summary-json`) and exits 0 when
// the swarm ended on its exact average.
#include "peer/embedded_peer.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <torch/torch.h>

#include "peer/dataset.h"
#include "peer/peer_list.h"

namespace {

// The model: any torch::nn::Module whose forward gives logits.
struct SmallNet : torch::nn::Module {
  SmallNet()
      : hidden(register_module("hidden", torch::nn::Linear(28 * 28, 128))),
        out(register_module("out", torch::nn::Linear(128, 10))) {}

  torch::Tensor forward(const torch::Tensor& x) {
    return out->forward(torch::relu(hidden->forward(x.flatten(1))));
  }

  torch::nn::Linear hidden;
  torch::nn::Linear out;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s PEERS_FILE NAME DATA_DIR STEPS\n", argv[0]);
    return 2;
  }
  try {
    murmur::peer::NodeOptions options;
    options.peers = murmur::peer::parsePeerList(argv[1]);
    options.name = argv[2];
    options.steps = std::atoll(argv[4]);
    options.control = "off";
    options.evalIntervalSeconds = 0;
    options.trainer.lr = 0.05;
    // Every peer starts from the same weights: seed before building the module.
    torch::manual_seed(7);
    options.customModel = murmur::peer::modelOf("small-net", std::make_shared<SmallNet>());
    options.customTrain = murmur::peer::loadDataset(argv[3], "train");
    options.customTest = murmur::peer::loadDataset(argv[3], "test");

    murmur::peer::EmbeddedPeer peer(options);
    peer.start();
    const murmur::peer::PeerSummary summary = peer.wait();
    std::printf("%s\n", murmur::peer::summaryToJson(summary).c_str());
    return summary.averaged ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
}
