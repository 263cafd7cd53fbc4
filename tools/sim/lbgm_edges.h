// LBGM inside murmur-sim (specs/lbgm.md, compression/lbgm.h): the two public copies of every
// directed edge, the publisher's (out) and the receiver's (in), kept as real peers keep them. An
// exchange's snapshot is published to the partner's copy, and both ends mix with the public copies
// (bit-identical at both ends, so the swarm's mean stays exact). Copies are float, as on real
// peers; the simulated models are double and convert at the edge.
// Thread: single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "compression/lbgm.h"

namespace murmur::sim {

class LbgmEdges {
 public:
  // Throws Error(kInvalidArgument) for a bad δ or top-k fraction.
  LbgmEdges(const std::vector<std::size_t>& tensorSizes, compression::LbgmOptions options);

  // Publishes x from `from` to `to`: a RESET when `to`'s copy does not hold our last publish (a
  // real publisher learns that from the heldSeq of PROPOSE/ACCEPT). `view` gets what both ends
  // will mix with: our public copy after the publish.
  std::shared_ptr<const compression::LbgmMessage> publish(std::uint32_t from,
                                                          std::uint32_t to,
                                                          const std::vector<double>& x,
                                                          std::vector<double>& view);

  // `to` applies a publish of `from` (messages on an edge arrive in order); `view` gets from's
  // public copy as `to` now holds it.
  void apply(std::uint32_t from,
             std::uint32_t to,
             const compression::LbgmMessage& message,
             std::vector<double>& view);

  // CHOCO's consensus step γ < ½ (needed with top-k; specs/lbgm.md §5.2), run on the two views
  // exactly as real peers run it: a' = a + c(b − a), b' = b + c(a − b), c = ½ − γ.
  static void consensus(std::vector<double>& self, std::vector<double>& partner, double gamma);

  // Publishes per unit, over every edge, by the sender's decision.
  compression::LbgmUnitStats totals() const;

 private:
  struct Edge {
    compression::LbgmPublicCopy out;  // at the publisher
    compression::LbgmPublicCopy in;   // at the receiver
  };

  Edge& edge(std::uint32_t from, std::uint32_t to);

  std::vector<compression::LbgmUnit> units_;
  compression::LbgmOptions options_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::unique_ptr<Edge>> edges_;
  std::vector<float> scratch_;
};

}  // namespace murmur::sim
