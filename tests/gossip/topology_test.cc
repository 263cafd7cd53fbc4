#include "gossip/topology.h"

#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "runtime/error.h"

namespace murmur::gossip {
namespace {

std::vector<std::string> names(std::uint32_t n) {
  std::vector<std::string> out;
  for (std::uint32_t i = 0; i < n; ++i) {
    out.push_back("p" + std::to_string(i));
  }
  return out;
}

TEST(Topology, RingListsBothNeighbours) {
  NeighbourLists ring = ringTopology(5);
  EXPECT_EQ(ring[0], (std::vector<std::uint32_t>{1, 4}));
  EXPECT_EQ(ring[4], (std::vector<std::uint32_t>{0, 3}));
  EXPECT_EQ(ringTopology(2)[0], (std::vector<std::uint32_t>{1, 1}));
}

TEST(Topology, ExponentialListsTheAntipodeTwice) {
  NeighbourLists lists = exponentialTopology(8);
  for (std::uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(lists[i].size(), 6U);
    EXPECT_EQ(std::count(lists[i].begin(), lists[i].end(), (i + 4) % 8), 2);
  }
  EXPECT_THROW(exponentialTopology(6), runtime::Error);
}

TEST(Topology, CompleteListsEveryoneElseOnce) {
  NeighbourLists lists = completeTopology(4);
  EXPECT_EQ(lists[2], (std::vector<std::uint32_t>{0, 1, 3}));
}

TEST(Topology, EdgeFileByNameOrIndex) {
  NeighbourLists lists =
      topologyFromEdgeText("# a star\np0 p1\n0 2  # by index\np0 p3\n", names(4), "star.txt");
  EXPECT_EQ(lists[0], (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(lists[3], (std::vector<std::uint32_t>{0}));
}

TEST(Topology, EdgeFileErrorsNameTheLine) {
  try {
    topologyFromEdgeText("p0 p1\np0 nobody\n", names(2), "edges.txt");
    FAIL() << "expected an error";
  } catch (const runtime::Error& e) {
    EXPECT_NE(std::string(e.what()).find("edges.txt:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(topologyFromEdgeText("p0 p1\n", names(3), "x"), runtime::Error);  // p2 isolated
  EXPECT_THROW(topologyFromEdgeText("p0 p0\n", names(2), "x"), runtime::Error);  // self-loop
  EXPECT_THROW(makeTopology("/nonexistent/topology", names(2)), runtime::Error);
}

TEST(Topology, PickNeighbourIsUniformOverUsableEntries) {
  runtime::Rng rng(5);
  std::vector<std::uint32_t> list{1, 2, 2, 3};
  std::map<std::uint32_t, int> counts;
  auto notThree = [](runtime::PeerId id) { return id.value != 3; };
  for (int i = 0; i < 30000; ++i) {
    counts[pickNeighbour(list, notThree, rng)->value]++;
  }
  EXPECT_EQ(counts.count(3), 0U);
  EXPECT_NEAR(counts[1] / 30000.0, 1.0 / 3, 0.02);  // duplicates weigh: 2 is picked twice as often
  EXPECT_NEAR(counts[2] / 30000.0, 2.0 / 3, 0.02);
  auto none = [](runtime::PeerId) { return false; };
  EXPECT_FALSE(pickNeighbour(list, none, rng).has_value());
}

}  // namespace
}  // namespace murmur::gossip
