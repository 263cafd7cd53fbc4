// How a ring all-reduce moves its segments when not as plain float32 (ring_all_reduce.h): an
// encoding that each reduce-scatter hop adds its own contribution into, and that the segment's
// owner, then every member in the all-gather, turns into the mean. LHC (sums of sparse updates
// that add without decoding) is the one murmur has; it lives in peer/, this is the seam.
// Thread: one owner (the ring's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace murmur::sync {

class RingSegmentCodec {
 public:
  virtual ~RingSegmentCodec() = default;

  // Adds our contribution to `segment` (values[0..n), positions offset..offset+n of the vector)
  // into `partial`, the encoded sum so far (empty at the first hop), in place. False when this
  // sync cannot use the codec (a value out of range, more nonzeros than the tables hold, a
  // malformed partial): the caller retries the sync without it.
  virtual bool add(std::uint32_t segment,
                   std::size_t offset,
                   const float* values,
                   std::size_t n,
                   std::vector<std::byte>& partial) = 0;

  // The complete encoded sum of `segment` over `members`: writes their mean into mean[0..n).
  // Deterministic, so every member gets the same bits. False when it cannot be decoded exactly
  // (nothing is written then).
  virtual bool finish(std::uint32_t segment,
                      std::size_t offset,
                      const std::vector<std::byte>& sum,
                      std::size_t members,
                      float* mean,
                      std::size_t n) = 0;

  // Why the last add or finish returned false, for the log ("" when the codec does not say).
  virtual std::string failure() const { return {}; }
};

}  // namespace murmur::sync
