// murmur inside your own program: a peer built from NodeOptions (with your own model and data if
// you like), trained on a thread of its own. `murmur run` is a thin user of this class.
//
//   torch::manual_seed(1);                       // the same initial weights on every peer
//   auto net = std::make_shared<MyNet>();
//   murmur::peer::NodeOptions options;
//   options.peers = murmur::peer::parsePeerList("peers.txt");
//   options.name = "a";
//   options.customModel = murmur::peer::modelOf("my-net", net);
//   options.customTrain = myTrainingData;        // murmur::peer::Dataset(inputs, labels, classes)
//   options.customTest = myTestData;
//   murmur::peer::EmbeddedPeer peer(options);
//   peer.start();
//   murmur::peer::PeerSummary summary = peer.wait();   // trained, averaged, evaluated
//
// tools/examples/embedded_peer.cc is a complete program.
// Thread: start() once, then wait() from one thread; finishTraining() and leave() from any.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "peer/node.h"

namespace murmur::peer {

class EmbeddedPeer {
 public:
  explicit EmbeddedPeer(NodeOptions options);
  // Leaves the swarm and waits for the peer's thread if it still runs.
  ~EmbeddedPeer();
  EmbeddedPeer(const EmbeddedPeer&) = delete;
  EmbeddedPeer& operator=(const EmbeddedPeer&) = delete;

  // Starts the peer: data, model, sockets, then training, on a thread of its own.
  void start();

  // Blocks until the peer is done (trained and averaged, or left): its summary. Rethrows what
  // stopped it (runtime::Error: kInvalidArgument for a bad model or data, kRefused when a swarm
  // refused to let it join, ...).
  PeerSummary wait();

  // Ends training now; the peer still takes part in the final average.
  void finishTraining() { node_.requestStop(); }

  // Leaves the swarm: training stops, LEFT is announced, no final average.
  void leave() { node_.requestLeave(); }

 private:
  Node node_;
  std::thread thread_;
  std::optional<PeerSummary> summary_;
  std::exception_ptr failure_;
};

// A Model from your own LibTorch module, whose forward(x) gives logits [N, classes]. Needs the
// module's full type, so call it where torch/torch.h is included.
template <typename M>
std::shared_ptr<Model> modelOf(std::string name, std::shared_ptr<M> module) {
  return Model::fromModule(
      std::move(name), module, [module](const at::Tensor& x) { return module->forward(x); });
}

}  // namespace murmur::peer
