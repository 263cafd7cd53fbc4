// murmur-bench codec: encode and decode speed of every codec against memcpy in the same run
// (dense-equivalent GB/s: 4·d bytes of float32 per second), and LHC's aggregation of K encodings
// without decoding against decode-sum-re-encode (specs/lhc.md §10).
#pragma once

#include <cstddef>
#include <vector>

namespace murmur::bench {

struct CodecBenchOptions {
  std::size_t params = std::size_t{1} << 24;           // d
  std::vector<double> densities = {0.001, 0.01, 0.1};  // LHC rows
  std::vector<int> contributors = {4};                 // K
  int repeats = 3;                                     // best of
};

int codecCommand(const CodecBenchOptions& options, bool json);

}  // namespace murmur::bench
