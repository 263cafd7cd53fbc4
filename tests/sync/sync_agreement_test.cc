// Agreeing on an FDA sync: concurrent proposals with different views merge into one epoch and one
// view everywhere; a failure retries as the next attempt over the survivors, which replaces the
// older view everywhere; stale and future epochs are told apart.
#include "sync/sync_agreement.h"

#include <set>

#include <gtest/gtest.h>

#include "runtime/rng.h"

namespace murmur::sync {
namespace {

using runtime::PeerId;
using std::chrono::milliseconds;

std::vector<PeerId> ids(std::initializer_list<std::uint32_t> values) {
  std::vector<PeerId> out;
  for (std::uint32_t v : values) {
    out.push_back(PeerId{v});
  }
  return out;
}

// Epidemic spreading among n agreements: every merge is forwarded to everyone, in random order,
// until nothing changes. Members in `silent` hear but never speak (their sends are lost).
void spread(std::vector<SyncAgreement>& peers,
            std::vector<std::pair<std::size_t, SyncProposal>> outbox,
            runtime::TimePoint now,
            std::uint64_t seed,
            std::set<std::size_t> silent = {}) {
  runtime::Rng rng(seed);
  while (!outbox.empty()) {
    std::size_t pick = rng.below(outbox.size());
    auto [from, proposal] = outbox[pick];
    outbox.erase(outbox.begin() + static_cast<std::ptrdiff_t>(pick));
    for (std::size_t to = 0; to < peers.size(); ++to) {
      if (to != from &&
          peers[to].onProposal(PeerId{static_cast<std::uint32_t>(from)}, proposal, now) ==
              ProposalVerdict::kMerged &&
          silent.count(to) == 0) {
        outbox.emplace_back(to, *peers[to].pending());
      }
    }
  }
}

TEST(SyncAgreement, ConcurrentProposalsMergeIntoOneEpochAndOneView) {
  runtime::TimePoint t0{std::chrono::seconds(10)};
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<SyncAgreement> peers;
    for (std::uint32_t i = 0; i < 4; ++i) {
      peers.emplace_back(PeerId{i}, 0, milliseconds(200));
    }
    // Peer 0 and peer 2 cross Θ at once, each knowing only part of the swarm.
    std::optional<SyncProposal> a = peers[0].propose(ids({1, 2}), t0);
    std::optional<SyncProposal> b = peers[2].propose(ids({1, 3}), t0);
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(peers[0].propose(ids({1, 2}), t0).has_value()) << "one proposal at a time";
    spread(peers, {{0, *a}, {2, *b}}, t0, seed);
    const std::vector<PeerId> all = ids({0, 1, 2, 3});
    for (std::uint32_t i = 0; i < 4; ++i) {
      // Everyone proposed this attempt: no need to wait for the window.
      std::optional<SyncProposal> agreed = peers[i].ready(all, t0);
      ASSERT_TRUE(agreed.has_value());
      EXPECT_EQ(agreed->epoch, 1U);
      EXPECT_EQ(agreed->attempt, 0U);
      EXPECT_EQ(agreed->view, all) << "peer " << i << ", seed " << seed;
    }
  }
}

TEST(SyncAgreement, AMemberNotHeardFromHoldsTheViewOpenUntilTheWindowCloses) {
  runtime::TimePoint t0{std::chrono::seconds(10)};
  std::vector<SyncAgreement> peers;
  for (std::uint32_t i = 0; i < 4; ++i) {
    peers.emplace_back(PeerId{i}, 0, milliseconds(200));
  }
  spread(peers, {{0, *peers[0].propose(ids({1, 2, 3}), t0)}}, t0, 3, {3});
  const std::vector<PeerId> all = ids({0, 1, 2, 3});
  EXPECT_FALSE(peers[1].ready(all, t0 + milliseconds(100)).has_value()) << "peer 3 not heard";
  std::optional<SyncProposal> agreed = peers[1].ready(all, t0 + milliseconds(300));
  ASSERT_TRUE(agreed.has_value());
  EXPECT_EQ(agreed->view, all);
  // Without peer 3 among the live members, the others need not wait.
  EXPECT_EQ(peers[1].ready(ids({0, 1, 2}), t0 + milliseconds(100))->view, ids({0, 1, 2}));
}

TEST(SyncAgreement, AFailureRetriesOverTheSurvivorsAndTheRetryWinsEverywhere) {
  runtime::TimePoint t0{std::chrono::seconds(10)};
  std::vector<SyncAgreement> peers;
  for (std::uint32_t i = 0; i < 4; ++i) {
    peers.emplace_back(PeerId{i}, 5, milliseconds(200));
  }
  spread(peers, {{1, *peers[1].propose(ids({0, 2, 3}), t0)}}, t0, 1);
  // Peer 3 dies during the ring; peer 0 notices first and retries without it.
  runtime::TimePoint t1 = t0 + milliseconds(900);
  SyncProposal retry = peers[0].retry(ids({1, 2}), t1);
  EXPECT_EQ(retry.attempt, 1U);
  EXPECT_EQ(retry.view, ids({0, 1, 2}));
  peers.pop_back();
  // An old attempt-0 proposal still in flight does not undo it.
  EXPECT_EQ(peers[0].onProposal(PeerId{1}, SyncProposal{6, 0, ids({0, 1, 2, 3})}, t1),
            ProposalVerdict::kKnown);
  spread(peers, {{0, retry}}, t1, 2);
  for (std::uint32_t i = 0; i < 3; ++i) {
    std::optional<SyncProposal> agreed = peers[i].ready(ids({0, 1, 2}), t1 + milliseconds(250));
    ASSERT_TRUE(agreed.has_value()) << i;
    EXPECT_EQ(agreed->epoch, 6U);
    EXPECT_EQ(agreed->attempt, 1U);
    EXPECT_EQ(agreed->view, ids({0, 1, 2})) << i;
  }
  peers[2].completed(6);
  EXPECT_FALSE(peers[2].pending().has_value());
  EXPECT_EQ(peers[2].onProposal(PeerId{0}, SyncProposal{6, 1, ids({0, 1, 2})}, t1),
            ProposalVerdict::kStale);
  EXPECT_EQ(peers[2].onProposal(PeerId{0}, SyncProposal{8, 0, ids({0, 1, 2})}, t1),
            ProposalVerdict::kAhead);
}

}  // namespace
}  // namespace murmur::sync
