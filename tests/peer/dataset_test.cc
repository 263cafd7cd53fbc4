#include "peer/dataset.h"

#include <set>

#include <ATen/core/Tensor.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/equal.h>
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

namespace murmur::peer {
namespace {

// CIFAR binary records: label byte(s), then 3072 pixel bytes; pixel p of record r is (r + p) % 256.
std::string cifarRecords(const std::vector<int>& labels, int labelBytes, int first) {
  std::string out;
  for (std::size_t r = 0; r < labels.size(); ++r) {
    if (labelBytes == 2) {
      out.push_back(static_cast<char>(labels[r] / 5));  // a coarse label, unused
    }
    out.push_back(static_cast<char>(labels[r]));
    for (int p = 0; p < 3072; ++p) {
      out.push_back(static_cast<char>((first + static_cast<int>(r) + p) % 256));
    }
  }
  return out;
}

TEST(LoadCifar, TenAndHundredRoundTripNormalisedPerChannel) {
  tests::TempDir ten;
  tests::writeFile(ten.file("data_batch_1.bin"), cifarRecords({3, 9, 0}, 1, 0));
  tests::writeFile(ten.file("data_batch_2.bin"), cifarRecords({7, 1}, 1, 3));
  tests::writeFile(ten.file("test_batch.bin"), cifarRecords({5}, 1, 50));
  EXPECT_EQ(datasetFormat(ten.path()), DatasetFormat::kCifar);
  Dataset train = loadDataset(ten.path(), "train");
  ASSERT_EQ(train.size(), 5);
  EXPECT_EQ(train.classes(), 10);
  EXPECT_EQ(train.images().sizes(), (std::vector<std::int64_t>{5, 3, 32, 32}));
  const std::int64_t* labels = train.labels().data_ptr<std::int64_t>();
  EXPECT_EQ(std::vector<std::int64_t>(labels, labels + 5),
            (std::vector<std::int64_t>{3, 9, 0, 7, 1}));
  // Record 4 (the second of batch 2), blue plane, pixel 10: byte (3 + 1 + 2048 + 10) % 256.
  const float blue = train.images().data_ptr<float>()[((4 * 3 + 2) * 32 + 0) * 32 + 10];
  EXPECT_NEAR(blue, ((3 + 1 + 2048 + 10) % 256 / 255.0F - 0.4465F) / 0.2616F, 1e-6);
  EXPECT_EQ(loadDataset(ten.path(), "test").size(), 1);

  tests::TempDir hundred;
  tests::writeFile(hundred.file("train.bin"), cifarRecords({73, 99}, 2, 0));
  tests::writeFile(hundred.file("test.bin"), cifarRecords({4}, 2, 0));
  Dataset fine = loadDataset(hundred.path(), "train");
  EXPECT_EQ(fine.classes(), 100);
  EXPECT_EQ(fine.labels().data_ptr<std::int64_t>()[0], 73) << "the fine label, not the coarse one";
}

TEST(LoadCifar, TruncatedFilesAndLabelsOutOfRangeNameTheFile) {
  tests::TempDir dir;
  std::string records = cifarRecords({1, 2}, 1, 0);
  tests::writeFile(dir.file("data_batch_1.bin"), records.substr(0, records.size() - 7));
  tests::writeFile(dir.file("test_batch.bin"), cifarRecords({12}, 1, 0));
  for (const char* split : {"train", "test"}) {
    try {
      loadCifar(dir.path(), split);
      FAIL() << split << " was accepted";
    } catch (const runtime::Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string(split) == "train" ? "data_batch_1.bin" : "test_batch.bin"),
                std::string::npos)
          << what;
    }
  }
}

TEST(LoadTensorFile, RoundTripsAnyInputShapeAndRefusesOtherFiles) {
  tests::TempDir dir;
  at::Tensor x = at::arange(5 * 7, at::TensorOptions().dtype(c10::kFloat)).view({5, 7});
  at::Tensor y = at::arange(5, at::TensorOptions().dtype(c10::kLong)).remainder(3);
  saveTensorFile(Dataset(x, y, 3), dir.file("train.pt"));
  saveTensorFile(Dataset(x.narrow(0, 0, 2), y.narrow(0, 0, 2), 3), dir.file("test.pt"));
  EXPECT_EQ(datasetFormat(dir.path()), DatasetFormat::kTensorFile);
  Dataset back = loadDataset(dir.path(), "train");
  EXPECT_TRUE(back.images().equal(x));
  EXPECT_TRUE(back.labels().equal(y));
  EXPECT_EQ(back.classes(), 3);
  EXPECT_EQ(loadDataset(dir.path(), "test").size(), 2);
  tests::writeFile(dir.file("junk.pt"), "no pickle here");
  EXPECT_THROW(loadTensorFile(dir.file("junk.pt")), runtime::Error);
  EXPECT_THROW(loadTensorFile(dir.file("missing.pt")), runtime::Error);
}

TEST(LoadDataset, AnEmptyDirectorySaysWhatWasLookedFor) {
  tests::TempDir dir;
  try {
    loadDataset(dir.path(), "train");
    FAIL() << "an empty directory held a dataset";
  } catch (const runtime::Error& e) {
    const std::string what = e.what();
    for (const char* said : {"dataset not found",
                             "train-images-idx3-ubyte",
                             "data_batch_1.bin",
                             "train.pt",
                             "dataset-fashion-mnist"}) {
      EXPECT_NE(what.find(said), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace murmur::peer
