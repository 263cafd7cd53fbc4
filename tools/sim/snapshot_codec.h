// murmur's per-value gossip codecs inside murmur-sim (as `murmur run --codec raw|fp16|bf16|
// lossless`): the real compression::Codec encodes every snapshot, the bytes on the wire are what
// it produced, and under a lossy cast both ends mix with the snapshot as the partner decodes it
// (peer/exchange_codec.h), so the swarm's mean stays exact. A value the cast cannot carry sends
// that snapshot raw, as real peers do. Simulated models are double; a coded snapshot converts to
// float at the edge (raw keeps the double model, the simulator's reference arithmetic).
// Thread: single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compression/codec.h"

namespace murmur::sim {

class SnapshotCodec {
 public:
  // Throws Error(kInvalidArgument) for a codec that is not a per-value one (lbgm, lhc).
  explicit SnapshotCodec(const std::string& name);

  struct Encoded {
    std::shared_ptr<const std::vector<double>> view;  // what both ends mix with
    std::uint64_t wireBytes = 0;                      // the payload as the codec wrote it
  };

  Encoded encode(const std::vector<double>& x);

  compression::CodecId id() const { return id_; }

  std::uint64_t fallbacks() const { return fallbacks_; }  // snapshots sent raw instead

 private:
  compression::CodecId id_;
  std::shared_ptr<std::vector<float>> values_ = std::make_shared<std::vector<float>>();
  std::shared_ptr<std::vector<std::byte>> scratch_ = std::make_shared<std::vector<std::byte>>();
  std::shared_ptr<std::vector<float>> decoded_ = std::make_shared<std::vector<float>>();
  std::uint64_t fallbacks_ = 0;
};

}  // namespace murmur::sim
