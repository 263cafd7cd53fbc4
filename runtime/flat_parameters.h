// The tensor facade over a model: all trainable parameters re-homed into one contiguous float32
// buffer in a fixed order, so mixing, snapshots and exchanges are single element-wise passes.
// Thread: construct on one thread; afterwards the flat view is shared under SharedModelState.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/tensor_fwd.h"

namespace murmur::runtime {

// Name, shape and dtype of one parameter: what the model signature hashes.
struct ParameterInfo {
  std::string name;
  std::vector<std::int64_t> shape;
  std::int64_t numel = 0;
  std::int64_t offset = 0;  // in elements, into the flat buffer
};

class FlatParameters {
 public:
  // Copies each (named) parameter into one flat float32 buffer and makes the parameter a view of
  // its slice (Tensor::set_data), so the model trains in place on the flat buffer. Parameters must
  // be float32 and distinct. Throws Error(kInvalidArgument) otherwise.
  FlatParameters(const std::vector<std::string>& names, const std::vector<at::Tensor>& parameters);
  ~FlatParameters();
  FlatParameters(FlatParameters&&) noexcept;
  FlatParameters& operator=(FlatParameters&&) noexcept;

  // The flat view (1-D float32, numel() elements); writes to it change the model.
  const at::Tensor& flat() const;

  float* data();
  const float* data() const;
  std::int64_t numel() const;

  const std::vector<ParameterInfo>& layout() const { return layout_; }

  // Stable hash of names, shapes and dtypes: peers with different models refuse each other.
  std::uint64_t signature() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<ParameterInfo> layout_;
};

}  // namespace murmur::runtime
