#include "sync/exact_average.h"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/rng.h"

namespace murmur::sync {
namespace {

std::vector<runtime::PeerId> ids(std::initializer_list<std::uint32_t> values) {
  std::vector<runtime::PeerId> out;
  for (std::uint32_t v : values) {
    out.push_back(runtime::PeerId{v});
  }
  return out;
}

TEST(ExactAverage, BitIdenticalWhateverTheArrivalOrder) {
  constexpr std::size_t kN = 1000;
  runtime::Rng rng(4);
  std::vector<std::shared_ptr<std::vector<float>>> models;
  for (int m = 0; m < 5; ++m) {
    auto model = std::make_shared<std::vector<float>>(kN);
    for (float& v : *model) {
      v = static_cast<float>(rng.normal() * 1e3);
    }
    models.push_back(model);
  }
  ExactAverage forward(ids({0, 1, 2, 3, 4}), kN);
  ExactAverage backward(ids({4, 3, 2, 1, 0}), kN);
  for (std::uint32_t m = 0; m < 5; ++m) {
    EXPECT_TRUE(forward.contribute(runtime::PeerId{m}, runtime::floatBlob(models[m])));
    EXPECT_TRUE(backward.contribute(runtime::PeerId{4 - m}, runtime::floatBlob(models[4 - m])));
  }
  ASSERT_TRUE(forward.complete());
  std::vector<float> a(kN);
  std::vector<float> b(kN);
  forward.average(a.data());
  backward.average(b.data());
  EXPECT_EQ(a, b);
  double expected = 0;
  for (const auto& model : models) {
    expected += (*model)[17];
  }
  EXPECT_NEAR(a[17], expected / 5, 1e-3);
}

TEST(ExactAverage, RefusesStrangersDuplicatesAndWrongSizes) {
  ExactAverage avg(ids({0, 1}), 4);
  auto four = std::make_shared<std::vector<float>>(4, 1.0F);
  auto three = std::make_shared<std::vector<float>>(3, 1.0F);
  EXPECT_FALSE(avg.contribute(runtime::PeerId{7}, runtime::floatBlob(four)));
  EXPECT_FALSE(avg.contribute(runtime::PeerId{0}, runtime::floatBlob(three)));
  EXPECT_TRUE(avg.contribute(runtime::PeerId{0}, runtime::floatBlob(four)));
  EXPECT_FALSE(avg.contribute(runtime::PeerId{0}, runtime::floatBlob(four)));
  EXPECT_FALSE(avg.complete());
  EXPECT_EQ(avg.missing(), ids({1}));
}

TEST(ExactAverage, ExcusedMembersLeaveTheAverageEntirely) {
  ExactAverage avg(ids({0, 1, 2}), 2);
  avg.contribute(runtime::PeerId{0},
                 runtime::floatBlob(std::make_shared<std::vector<float>>(2, 1.0F)));
  avg.contribute(runtime::PeerId{2},
                 runtime::floatBlob(std::make_shared<std::vector<float>>(2, 100.0F)));
  avg.excuse(runtime::PeerId{2});  // even though its model arrived
  avg.excuse(runtime::PeerId{1});
  ASSERT_TRUE(avg.complete());
  std::vector<float> out(2);
  avg.average(out.data());
  EXPECT_EQ(out[0], 1.0F);
  EXPECT_EQ(avg.contributors(), ids({0}));
  EXPECT_EQ(avg.consensusDistance(), 0.0);
}

TEST(ExactAverage, ConsensusDistanceOfTwoModels) {
  ExactAverage avg(ids({0, 1}), 1);
  avg.contribute(runtime::PeerId{0},
                 runtime::floatBlob(std::make_shared<std::vector<float>>(1, 1.0F)));
  avg.contribute(runtime::PeerId{1},
                 runtime::floatBlob(std::make_shared<std::vector<float>>(1, 3.0F)));
  EXPECT_DOUBLE_EQ(avg.consensusDistance(), 1.0);  // each is 1 away from the mean 2
}

}  // namespace
}  // namespace murmur::sync
