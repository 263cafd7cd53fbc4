// Fashion-MNIST / MNIST IDX files (gzip or plain), read and checked without LibTorch, for
// peer/dataset.cc and for murmur-sim's workloads on real data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace murmur::peer {

// Fashion-MNIST pixel statistics (after /255).
constexpr float kFashionPixelMean = 0.2860F;
constexpr float kFashionPixelStd = 0.3530F;

struct IdxImages {
  std::int64_t count = 0;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<std::uint8_t> pixels;  // count × rows × cols, row-major
  std::vector<std::uint8_t> labels;  // count
};

// DIR/SPLIT-images-idx3-ubyte[.gz] and DIR/SPLIT-labels-idx1-ubyte[.gz]. Throws
// Error(kInvalidArgument) naming the file for a missing, truncated or mismatched one.
IdxImages readIdxImages(const std::string& dir, const std::string& split);

}  // namespace murmur::peer
