// Labelled image data in memory (IDX format, gzip or plain: the MNIST family, Fashion-MNIST in
// Debian's dataset-fashion-mnist), and its split into per-peer shards.
// Thread: immutable after construction; safe to share.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "runtime/tensor_fwd.h"

namespace murmur::peer {

class Dataset {
 public:
  Dataset();
  // images: inputs [N, ...] float32 (normalised images [N, C, H, W]); labels: [N] int64.
  Dataset(const at::Tensor& images, const at::Tensor& labels, std::int64_t classes);
  ~Dataset();
  Dataset(const Dataset&);
  Dataset& operator=(const Dataset&);

  const at::Tensor& images() const;
  const at::Tensor& labels() const;
  std::int64_t size() const;

  std::int64_t classes() const { return classes_; }

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
  std::int64_t classes_ = 0;
};

// Reads `<dir>/<split>-images-idx3-ubyte[.gz]` and `<dir>/<split>-labels-idx1-ubyte[.gz]`
// (split: "train" or "t10k"). Throws Error(kInvalidArgument) naming the file for a missing file,
// a bad magic number, truncated data or mismatched counts.
Dataset loadIdx(const std::string& dir, const std::string& split);

// CIFAR's binary format (https://www.cs.toronto.edu/~kriz/cifar.html), split "train" or "test":
// CIFAR-10 (`data_batch_1..5.bin`, `test_batch.bin`: a label byte, then 3072 bytes of 32x32
// red, green and blue planes) or CIFAR-100 (`train.bin`, `test.bin`: coarse and fine label
// bytes; the 100 fine labels are used). Images [N, 3, 32, 32], normalised per channel. Throws
// Error(kInvalidArgument) naming the file for a missing or truncated file or a label out of range.
Dataset loadCifar(const std::string& dir, const std::string& split);

// A tensor file saved from Python with torch.save({"inputs": X, "labels": y}, PATH) (or a tuple
// (X, y)): X float32 [N, ...], y int64 [N] with labels 0..C−1 (C = max + 1). Throws
// Error(kInvalidArgument) naming the file and what is wrong with it.
Dataset loadTensorFile(const std::string& path);

// Writes `data` in the format loadTensorFile reads (a dict, readable by torch.load too).
void saveTensorFile(const Dataset& data, const std::string& path);

enum class DatasetFormat : std::uint8_t { kIdx, kCifar, kTensorFile };

// Which format the dataset in `dir` is in. Throws Error(kInvalidArgument), starting "dataset not
// found", naming what was looked for.
DatasetFormat datasetFormat(const std::string& dir);

// A split ("train" or "test") of the dataset in `dir`, whichever format it holds: IDX
// (`train-images-idx3-ubyte[.gz]`, the test split as `t10k`), CIFAR binary, or tensor files
// `train.pt` and `test.pt`. Throws Error(kInvalidArgument) naming what was looked for.
Dataset loadDataset(const std::string& dir, const std::string& split);

// A small synthetic dataset shaped like Fashion-MNIST (tests only): class k images have a bright
// k-th band, plus noise. Learnable to ~100% in a few hundred steps.
Dataset syntheticDataset(std::int64_t size, std::uint64_t seed);

// Synthetic interactions for the bagrec model: each sample is a bag of 8 item ids (floats below
// `items`, shaped [N, 1, 1, 8]) and a label; an item's class is its id mod 10, and a bag holds 6
// items of its label's class and 2 random ones. Each item is rare, so a step touches few embedding
// rows.
Dataset syntheticBags(std::int64_t size, std::int64_t items, std::uint64_t seed);

enum class ShardMode : std::uint8_t {
  kIid,          // a seeded permutation cut into equal parts
  kLabelSorted,  // sorted by label, cut into contiguous parts (each peer sees few classes)
  kDirichlet,    // per class, proportions over peers drawn from Dirichlet(alpha)
};

// Throws Error(kInvalidArgument) for an unknown name.
ShardMode shardModeFromName(const std::string& name);

// Peer `index` of `count` gets a disjoint part of `data`; every peer computes the same partition
// from the same seed. Throws Error(kInvalidArgument) if a shard would be empty.
Dataset shard(const Dataset& data,
              std::uint32_t index,
              std::uint32_t count,
              ShardMode mode,
              std::uint64_t seed,
              double dirichletAlpha = 0.5);

}  // namespace murmur::peer
