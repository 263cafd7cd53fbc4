#include "runtime/flat_parameters.h"

#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>

#include "runtime/error.h"
#include "runtime/rng.h"

namespace murmur::runtime {

struct FlatParameters::Impl {
  at::Tensor flat;
};

FlatParameters::FlatParameters(const std::vector<std::string>& names,
                               const std::vector<at::Tensor>& parameters)
    : impl_(std::make_unique<Impl>()) {
  MURMUR_REQUIRE(names.size() == parameters.size(),
                 "got ",
                 names.size(),
                 " names for ",
                 parameters.size(),
                 " parameters");
  MURMUR_REQUIRE(!parameters.empty(), "the model has no trainable parameters");
  std::int64_t total = 0;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const at::Tensor& p = parameters[i];
    MURMUR_REQUIRE(p.scalar_type() == c10::kFloat,
                   "parameter '",
                   names[i],
                   "' is ",
                   c10::toString(p.scalar_type()),
                   "; murmur averages float32 parameters only");
    ParameterInfo info;
    info.name = names[i];
    info.shape.assign(p.sizes().begin(), p.sizes().end());
    info.numel = p.numel();
    info.offset = total;
    total += info.numel;
    layout_.push_back(std::move(info));
  }
  impl_->flat = at::empty({total}, at::TensorOptions().dtype(c10::kFloat));
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const ParameterInfo& info = layout_[i];
    at::Tensor slice = impl_->flat.narrow(0, info.offset, info.numel).view(info.shape);
    slice.copy_(parameters[i].detach());
    // set_data keeps the parameter's identity (the optimizer's references stay valid) but moves
    // its storage into the flat buffer.
    const_cast<at::Tensor&>(parameters[i]).set_data(slice);
  }
}

FlatParameters::~FlatParameters() = default;
FlatParameters::FlatParameters(FlatParameters&&) noexcept = default;
FlatParameters& FlatParameters::operator=(FlatParameters&&) noexcept = default;

const at::Tensor& FlatParameters::flat() const {
  return impl_->flat;
}

float* FlatParameters::data() {
  return impl_->flat.data_ptr<float>();
}

const float* FlatParameters::data() const {
  return impl_->flat.data_ptr<float>();
}

std::int64_t FlatParameters::numel() const {
  return impl_->flat.numel();
}

std::uint64_t FlatParameters::signature() const {
  std::string text;
  for (const ParameterInfo& info : layout_) {
    text += info.name;
    text += ":f32[";
    for (std::int64_t dim : info.shape) {
      text += std::to_string(dim) + ",";
    }
    text += "];";
  }
  return stableHash(text);
}

}  // namespace murmur::runtime
