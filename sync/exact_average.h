// The exact average of the members' final models: every member that receives the same set of
// contributions computes bit-identical results, whatever the arrival order (sums in member order,
// in double). Used by the end-of-run consensus phase; the ring all-reduce of issue 4 will
// replace the all-gather underneath, not this reduction.
// Thread: one owner.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "runtime/blob.h"
#include "runtime/ids.h"

namespace murmur::sync {

class ExactAverage {
 public:
  // Members expected to contribute, and the model size in float32 elements.
  ExactAverage(std::vector<runtime::PeerId> members, std::size_t numel);

  // Records a member's model (float32, numel elements; the blob keeps its bytes alive).
  // Returns false, recording nothing, for a non-member, a duplicate, or the wrong size/dtype.
  bool contribute(runtime::PeerId member, runtime::Blob model);

  // A member died: stop waiting for it. Its contribution, if already in, is dropped too, so that
  // every survivor averages the same set.
  void excuse(runtime::PeerId member);

  bool complete() const;

  // Members whose models have not arrived (and are not excused).
  std::vector<runtime::PeerId> missing() const;

  // Members whose models are in the average.
  std::vector<runtime::PeerId> contributors() const;

  // Writes the mean of the contributions to out (numel floats). Requires complete() and ≥ 1 model.
  void average(float* out) const;

  // (1/m) Σ ‖x_i − x̄‖² over the contributions: how far apart the models were.
  double consensusDistance() const;

 private:
  std::vector<runtime::PeerId> members_;
  std::size_t numel_;
  std::map<std::uint32_t, runtime::Blob> models_;  // ordered by member id
  std::map<std::uint32_t, bool> excused_;
};

}  // namespace murmur::sync
