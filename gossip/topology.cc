#include "gossip/topology.h"

#include <fstream>
#include <sstream>

#include "runtime/error.h"

namespace murmur::gossip {
namespace {

std::uint32_t parsePeer(const std::string& token,
                        const std::vector<std::string>& names,
                        const std::string& where) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == token) {
      return static_cast<std::uint32_t>(i);
    }
  }
  bool numeric = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
  if (numeric) {
    unsigned long index = std::stoul(token);
    if (index < names.size()) {
      return static_cast<std::uint32_t>(index);
    }
    MURMUR_THROW(kInvalidArgument,
                 where,
                 ": peer index ",
                 token,
                 " is out of range (",
                 names.size(),
                 " peers)");
  }
  MURMUR_THROW(kInvalidArgument, where, ": '", token, "' is neither a peer name nor an index");
}

}  // namespace

NeighbourLists completeTopology(std::uint32_t n) {
  MURMUR_REQUIRE(n >= 2, "a topology needs at least 2 peers, got ", n);
  NeighbourLists lists(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t j = 0; j < n; ++j) {
      if (i != j) {
        lists[i].push_back(j);
      }
    }
  }
  return lists;
}

NeighbourLists ringTopology(std::uint32_t n) {
  MURMUR_REQUIRE(n >= 2, "a ring needs at least 2 peers, got ", n);
  NeighbourLists lists(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    lists[i] = {(i + 1) % n, (i + n - 1) % n};
  }
  return lists;
}

NeighbourLists exponentialTopology(std::uint32_t n) {
  MURMUR_REQUIRE(n >= 2 && (n & (n - 1)) == 0,
                 "the exponential topology needs a power-of-two number of peers, got ",
                 n);
  NeighbourLists lists(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t step = 1; step < n; step *= 2) {
      lists[i].push_back((i + step) % n);
      lists[i].push_back((i + n - step) % n);
    }
  }
  return lists;
}

NeighbourLists topologyFromEdgeText(const std::string& text,
                                    const std::vector<std::string>& names,
                                    const std::string& origin) {
  const auto n = static_cast<std::uint32_t>(names.size());
  NeighbourLists lists(n);
  std::istringstream in(text);
  std::string line;
  int lineNumber = 0;
  while (std::getline(in, line)) {
    ++lineNumber;
    std::size_t hash = line.find('#');
    std::istringstream fields(hash == std::string::npos ? line : line.substr(0, hash));
    std::string a;
    std::string b;
    std::string extra;
    if (!(fields >> a)) {
      continue;
    }
    std::string where = origin + ":" + std::to_string(lineNumber);
    if (!(fields >> b) || (fields >> extra)) {
      MURMUR_THROW(kInvalidArgument, where, ": expected an edge `a b`, got '", line, "'");
    }
    std::uint32_t i = parsePeer(a, names, where);
    std::uint32_t j = parsePeer(b, names, where);
    MURMUR_REQUIRE(i != j, where, ": self-loop on peer ", a);
    lists[i].push_back(j);
    lists[j].push_back(i);
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    MURMUR_REQUIRE(!lists[i].empty(), origin, ": peer ", names[i], " has no edge");
  }
  return lists;
}

NeighbourLists makeTopology(const std::string& spec, const std::vector<std::string>& names) {
  const auto n = static_cast<std::uint32_t>(names.size());
  if (spec == "complete") {
    return completeTopology(n);
  }
  if (spec == "ring") {
    return ringTopology(n);
  }
  if (spec == "exponential") {
    return exponentialTopology(n);
  }
  std::ifstream in(spec);
  MURMUR_REQUIRE(in.good(),
                 "topology '",
                 spec,
                 "' is not complete, ring, exponential or a readable edge file");
  std::ostringstream text;
  text << in.rdbuf();
  return topologyFromEdgeText(text.str(), names, spec);
}

}  // namespace murmur::gossip
