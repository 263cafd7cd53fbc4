#include "peer/checkpoint.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "runtime/error.h"
#include "tests/support/test_support.h"

namespace murmur::peer {
namespace {

Checkpoint sample(std::int64_t step, float value) {
  return Checkpoint{"peer0", 0xabcULL, step, 1.7e9, std::vector<float>(1000, value)};
}

std::vector<std::string> files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Checkpoint, RoundTripsTheNewestAndKeepsOnlyAFew) {
  tests::TempDir dir;
  const std::string where = dir.file("ckpt");
  for (std::int64_t step : {10, 20, 30, 40}) {
    writeCheckpoint(where, sample(step, static_cast<float>(step)), 3);
  }
  writeCheckpoint(where, Checkpoint{"peer1", 0xabcULL, 99, 0, {1.0F}});  // another peer's
  EXPECT_EQ(files(where),
            (std::vector<std::string>{"peer0-000000000020.ckpt",
                                      "peer0-000000000030.ckpt",
                                      "peer0-000000000040.ckpt",
                                      "peer1-000000000099.ckpt"}));
  std::vector<std::string> problems;
  std::optional<Checkpoint> c = loadLatestCheckpoint(where, "peer0", 0xabcULL, &problems);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(c->step, 40);
  EXPECT_EQ(c->name, "peer0");
  EXPECT_EQ(c->parameters, std::vector<float>(1000, 40.0F));
  EXPECT_DOUBLE_EQ(c->unixSeconds, 1.7e9);
  EXPECT_FALSE(loadLatestCheckpoint(where, "nobody", 0xabcULL).has_value());
  EXPECT_FALSE(loadLatestCheckpoint(dir.file("absent"), "peer0", 0xabcULL).has_value());
}

TEST(Checkpoint, ACorruptOrTruncatedNewestIsReportedAndThePreviousUsed) {
  tests::TempDir dir;
  const std::string where = dir.file("ckpt");
  writeCheckpoint(where, sample(1, 1.0F));
  writeCheckpoint(where, sample(2, 2.0F));
  std::string newest = writeCheckpoint(where, sample(3, 3.0F));
  {
    std::fstream f(newest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x7f');  // one flipped byte in the parameters
  }
  std::vector<std::string> problems;
  std::optional<Checkpoint> c = loadLatestCheckpoint(where, "peer0", 0xabcULL, &problems);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->step, 2);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find(newest), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("checksum"), std::string::npos) << problems[0];

  std::filesystem::resize_file(where + "/peer0-000000000002.ckpt", 100);  // a torn write
  problems.clear();
  c = loadLatestCheckpoint(where, "peer0", 0xabcULL, &problems);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->step, 1);
  EXPECT_EQ(problems.size(), 2U);
}

TEST(Checkpoint, AnotherModelsCheckpointIsNotUsed) {
  tests::TempDir dir;
  writeCheckpoint(dir.file("ckpt"), sample(5, 1.0F));
  std::vector<std::string> problems;
  EXPECT_FALSE(loadLatestCheckpoint(dir.file("ckpt"), "peer0", 0x123ULL, &problems).has_value());
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find("another model"), std::string::npos) << problems[0];
}

TEST(Checkpoint, LeftoverTemporaryFilesAreIgnored) {
  tests::TempDir dir;
  const std::string where = dir.file("ckpt");
  writeCheckpoint(where, sample(7, 7.0F));
  tests::writeFile(where + "/peer0-000000000008.ckpt.tmp", "half a checkpoint");
  std::optional<Checkpoint> c = loadLatestCheckpoint(where, "peer0", 0xabcULL);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->step, 7);
}

TEST(Checkpoint, AnUnwritableDirectoryIsNamed) {
  tests::TempDir dir;
  tests::writeFile(dir.file("file"), "x");
  try {
    writeCheckpoint(dir.file("file") + "/sub", sample(1, 1.0F));
    FAIL() << "wrote under a regular file";
  } catch (const runtime::Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("file")), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace murmur::peer
