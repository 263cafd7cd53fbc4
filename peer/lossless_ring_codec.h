// `--sync-codec lossless`: the sync ring's segments travel byte-shuffled and zstd-compressed
// (compression/codec.h). Each hop decodes the partial sum, adds its own segment in the plain
// ring's order and re-encodes, so the mean is bit-identical to `raw`'s; it pays only where the
// link is slower than the codec (~1.2× fewer bytes on trained weights, below ~30 MB/s).
// Thread: comm (the ring's owner).
#pragma once

#include <vector>

#include "sync/ring_segment_codec.h"

namespace murmur::peer {

class LosslessRingCodec final : public sync::RingSegmentCodec {
 public:
  bool add(std::uint32_t segment,
           std::size_t offset,
           const float* values,
           std::size_t n,
           std::vector<std::byte>& partial) override;

  bool finish(std::uint32_t segment,
              std::size_t offset,
              const std::vector<std::byte>& sum,
              std::size_t members,
              float* mean,
              std::size_t n) override;

 private:
  bool decode(const std::vector<std::byte>& bytes, std::size_t n);

  std::vector<float> sum_;  // scratch: the decoded partial sum
};

}  // namespace murmur::peer
