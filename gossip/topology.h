// Gossip topologies as neighbour lists, in the conventions the A²CiD² constants assume
// (specs/a2cid2.md §4.2): duplicates are kept because they weight the edge's exchange rate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/ids.h"
#include "runtime/rng.h"

namespace murmur::gossip {

using NeighbourLists = std::vector<std::vector<std::uint32_t>>;

// Every other peer, once.
NeighbourLists completeTopology(std::uint32_t n);

// [i+1, i−1] (mod n); for n = 2 the single neighbour is listed twice.
NeighbourLists ringTopology(std::uint32_t n);

// i ± 2^k for k < log₂n; n must be a power of two ≥ 2; the antipode is listed twice.
NeighbourLists exponentialTopology(std::uint32_t n);

// An undirected edge list, one `a b` per line, '#' comments; a and b are peer indices or names
// from `names`. Throws Error(kInvalidArgument) naming the file and line on anything else, and if
// some peer ends up with no neighbour.
NeighbourLists topologyFromEdgeText(const std::string& text,
                                    const std::vector<std::string>& names,
                                    const std::string& origin);

// "complete", "ring", "exponential" or a path to an edge file.
NeighbourLists makeTopology(const std::string& spec, const std::vector<std::string>& names);

// Uniform choice among the entries of `list` (duplicates kept) for which usable(id) holds.
template <typename Usable>
std::optional<runtime::PeerId> pickNeighbour(const std::vector<std::uint32_t>& list,
                                             const Usable& usable,
                                             runtime::Rng& rng) {
  std::uint32_t candidates = 0;
  for (std::uint32_t id : list) {
    candidates += usable(runtime::PeerId{id}) ? 1 : 0;
  }
  if (candidates == 0) {
    return std::nullopt;
  }
  std::uint64_t pick = rng.below(candidates);
  for (std::uint32_t id : list) {
    if (usable(runtime::PeerId{id}) && pick-- == 0) {
      return runtime::PeerId{id};
    }
  }
  return std::nullopt;
}

}  // namespace murmur::gossip
