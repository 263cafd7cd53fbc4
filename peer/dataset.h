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
  // images: [N, C, H, W] float32 (normalised); labels: [N] int64.
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
