#include "peer/dataset.h"

#include <set>

#include <ATen/core/Tensor.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/zeros.h>
#include <gtest/gtest.h>

#include "runtime/error.h"
#include "tests/support/test_support.h"

#include <zlib.h>

namespace murmur::peer {
namespace {

// 100 one-pixel "images" whose pixel is their index, labels index % 10.
Dataset indexed(std::int64_t n = 100) {
  at::Tensor images = at::arange(n, at::TensorOptions().dtype(c10::kFloat)).view({n, 1, 1, 1});
  at::Tensor labels = at::arange(n, at::TensorOptions().dtype(c10::kLong)).remainder(10);
  return Dataset(images.contiguous(), labels.contiguous(), 10);
}

std::set<int> indicesOf(const Dataset& d) {
  std::set<int> out;
  for (std::int64_t i = 0; i < d.size(); ++i) {
    out.insert(static_cast<int>(d.images().data_ptr<float>()[i]));
  }
  return out;
}

TEST(Shard, EveryModeSplitsIntoDisjointCoveringParts) {
  for (ShardMode mode : {ShardMode::kIid, ShardMode::kLabelSorted, ShardMode::kDirichlet}) {
    std::set<int> all;
    std::size_t total = 0;
    for (std::uint32_t p = 0; p < 4; ++p) {
      std::set<int> mine = indicesOf(shard(indexed(), p, 4, mode, 7, 5.0));
      total += mine.size();
      all.insert(mine.begin(), mine.end());
    }
    EXPECT_EQ(total, 100U) << static_cast<int>(mode);
    EXPECT_EQ(all.size(), 100U) << static_cast<int>(mode);
  }
}

TEST(Shard, SameSeedSamePartitionOnEveryPeer) {
  EXPECT_EQ(indicesOf(shard(indexed(), 1, 4, ShardMode::kIid, 3)),
            indicesOf(shard(indexed(), 1, 4, ShardMode::kIid, 3)));
  EXPECT_NE(indicesOf(shard(indexed(), 1, 4, ShardMode::kIid, 3)),
            indicesOf(shard(indexed(), 1, 4, ShardMode::kIid, 4)));
}

TEST(Shard, LabelSortedShardsSeeFewClasses) {
  Dataset part = shard(indexed(), 0, 4, ShardMode::kLabelSorted, 1);
  std::set<std::int64_t> labels;
  for (std::int64_t i = 0; i < part.size(); ++i) {
    labels.insert(part.labels().data_ptr<std::int64_t>()[i]);
  }
  EXPECT_LE(labels.size(), 3U);
  EXPECT_THROW(shardModeFromName("random"), runtime::Error);
}

void writeGz(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::vector<std::uint8_t> header(std::uint32_t magic, std::vector<std::uint32_t> dims) {
  std::vector<std::uint8_t> out;
  for (std::uint32_t v : std::vector<std::uint32_t>{magic}) {
    dims.insert(dims.begin(), v);
  }
  for (std::uint32_t v : dims) {
    out.push_back(static_cast<std::uint8_t>(v >> 24));
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
  }
  return out;
}

TEST(LoadIdx, ReadsGzippedIdxAndNamesTheFileOnErrors) {
  tests::TempDir dir;
  std::vector<std::uint8_t> images = header(0x803, {2, 2, 2});
  images.insert(images.end(), {0, 255, 0, 255, 255, 0, 255, 0});
  std::vector<std::uint8_t> labels = header(0x801, {2});
  labels.insert(labels.end(), {3, 7});
  writeGz(dir.file("train-images-idx3-ubyte.gz"), images);
  writeGz(dir.file("train-labels-idx1-ubyte.gz"), labels);
  Dataset d = loadIdx(dir.path(), "train");
  EXPECT_EQ(d.size(), 2);
  EXPECT_EQ(d.labels().data_ptr<std::int64_t>()[1], 7);
  EXPECT_EQ(d.classes(), 8);
  EXPECT_EQ(d.images().size(2), 2);

  images.pop_back();  // truncated
  writeGz(dir.file("train-images-idx3-ubyte.gz"), images);
  try {
    loadIdx(dir.path(), "train");
    FAIL();
  } catch (const runtime::Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  writeGz(dir.file("train-images-idx3-ubyte.gz"), labels);  // wrong magic
  EXPECT_THROW(loadIdx(dir.path(), "train"), runtime::Error);
  try {
    loadIdx(dir.path(), "t10k");
    FAIL();
  } catch (const runtime::Error& e) {
    EXPECT_NE(std::string(e.what()).find("dataset-fashion-mnist"), std::string::npos);
  }
}

TEST(LoadIdx, FashionMnistFromDebian) {
  if (!tests::haveFashionMnist()) {
    GTEST_SKIP() << "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)";
  }
  Dataset train = loadIdx(tests::fashionMnistDir(), "train");
  Dataset test = loadIdx(tests::fashionMnistDir(), "t10k");
  EXPECT_EQ(train.size(), 60000);
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(train.classes(), 10);
  EXPECT_EQ(train.images().size(2), 28);
}

}  // namespace
}  // namespace murmur::peer
