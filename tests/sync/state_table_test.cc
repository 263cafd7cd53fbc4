// M1, the epidemic table of FDA states: newest entries win, older epochs are ignored, failed
// members drop out, and equal tables give bit-identical means whatever the order of arrival.
#include "sync/state_table.h"

#include <gtest/gtest.h>

#include "runtime/rng.h"

namespace murmur::sync {
namespace {

StateEntry entry(std::uint64_t epoch, std::uint64_t step, double a, double b = 0) {
  StateEntry e;
  e.epoch = epoch;
  e.step = step;
  e.state.a = a;
  e.state.b = b;
  return e;
}

TEST(StateTable, KeepsTheNewestEntryPerMemberAndOnlyItsOwnForItself) {
  StateTable t(runtime::PeerId{0});
  t.setOwn(entry(1, 10, 1.0));
  EXPECT_TRUE(t.merge(runtime::PeerId{1}, entry(1, 5, 2.0)));
  EXPECT_FALSE(t.merge(runtime::PeerId{1}, entry(1, 4, 9.0))) << "an older step";
  EXPECT_FALSE(t.merge(runtime::PeerId{1}, entry(0, 50, 9.0))) << "an older epoch";
  EXPECT_TRUE(t.merge(runtime::PeerId{1}, entry(1, 6, 3.0)));
  EXPECT_FALSE(t.merge(runtime::PeerId{0}, entry(2, 99, 9.0))) << "nobody speaks for us";
  EXPECT_EQ(t.entries().at(runtime::PeerId{1}).state.a, 3.0);
  EXPECT_EQ(t.entries().at(runtime::PeerId{0}).state.a, 1.0);
}

TEST(StateTable, TheMeanCountsOnlyTheCurrentEpochAndLiveMembers) {
  StateTable t(runtime::PeerId{0});
  t.setOwn(entry(3, 1, 1.0, 0.5));
  t.merge(runtime::PeerId{1}, entry(3, 1, 3.0, 1.5));
  t.merge(runtime::PeerId{2}, entry(2, 40, 100.0));  // not synced into epoch 3 yet
  std::size_t members = 0;
  std::optional<FdaState> mean = t.mean(3, &members);
  ASSERT_TRUE(mean.has_value());
  EXPECT_EQ(members, 2U);
  EXPECT_DOUBLE_EQ(mean->a, 2.0);
  EXPECT_DOUBLE_EQ(mean->b, 1.0);
  t.remove(runtime::PeerId{1});
  mean = t.mean(3, &members);
  EXPECT_EQ(members, 1U);
  EXPECT_DOUBLE_EQ(mean->a, 1.0);
  EXPECT_FALSE(t.mean(4).has_value());
}

TEST(StateTable, EqualTablesGiveBitIdenticalMeansWhateverTheArrivalOrder) {
  runtime::Rng rng(3);
  std::vector<StateEntry> heard;
  for (int i = 0; i < 16; ++i) {
    heard.push_back(entry(7, 1 + rng.below(100), rng.normal() * 1e3, rng.normal()));
  }
  StateTable forward(runtime::PeerId{99});
  StateTable backward(runtime::PeerId{98});
  for (std::uint32_t i = 0; i < heard.size(); ++i) {
    forward.merge(runtime::PeerId{i}, heard[i]);
  }
  for (std::uint32_t i = static_cast<std::uint32_t>(heard.size()); i-- > 0;) {
    backward.merge(runtime::PeerId{i}, heard[i]);
  }
  EXPECT_EQ(forward.mean(7)->a, backward.mean(7)->a);
  EXPECT_EQ(forward.mean(7)->b, backward.mean(7)->b);
}

// Adaptive Θ drifts apart between members: the swarm fires on the mean Θ of the current epoch's
// entries, as it does on the mean state, so one member's low Θ does not decide alone.
TEST(StateTable, ThetaIsTheMeanOverTheCurrentEpoch) {
  StateTable table(runtime::PeerId{0});
  EXPECT_EQ(table.meanTheta(3), 0.0) << "no entry yet";
  table.setOwn(StateEntry{3, 10, FdaState{1, 0, {}}, 2.0});
  table.merge(runtime::PeerId{1}, StateEntry{3, 11, FdaState{1, 0, {}}, 4.0});
  table.merge(runtime::PeerId{2}, StateEntry{2, 90, FdaState{1, 0, {}}, 100.0});  // old epoch
  EXPECT_DOUBLE_EQ(table.meanTheta(3), 3.0);
}

TEST(StateTable, TheStalenessMarginFiresEarlier) {
  EXPECT_FALSE(staleTableTriggers(0.94, 1.0, 0.05));
  EXPECT_TRUE(staleTableTriggers(0.96, 1.0, 0.05));
  EXPECT_FALSE(staleTableTriggers(1.0, 1.0, 0.0)) << "strict without a margin";
}

}  // namespace
}  // namespace murmur::sync
