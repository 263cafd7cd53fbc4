#include "runtime/tensor_bridge.h"

#include <ATen/core/Tensor.h>
#include <ATen/ops/from_blob.h>

#include "runtime/error.h"

namespace murmur::runtime {
namespace {

c10::ScalarType scalarTypeOf(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return c10::kFloat;
    case DType::kFloat64:
      return c10::kDouble;
    case DType::kFloat16:
      return c10::kHalf;
    case DType::kBFloat16:
      return c10::kBFloat16;
    case DType::kInt64:
      return c10::kLong;
    case DType::kUInt8:
      return c10::kByte;
  }
  MURMUR_THROW(kInvalidArgument, "unknown dtype");
}

DType dtypeOf(c10::ScalarType type) {
  switch (type) {
    case c10::kFloat:
      return DType::kFloat32;
    case c10::kDouble:
      return DType::kFloat64;
    case c10::kHalf:
      return DType::kFloat16;
    case c10::kBFloat16:
      return DType::kBFloat16;
    case c10::kLong:
      return DType::kInt64;
    case c10::kByte:
      return DType::kUInt8;
    default:
      MURMUR_THROW(kInvalidArgument, "tensor dtype ", c10::toString(type), " has no blob dtype");
  }
}

}  // namespace

at::Tensor tensorFromBlob(const Blob& blob) {
  MURMUR_REQUIRE(reinterpret_cast<std::uintptr_t>(blob.data) % dtypeSize(blob.dtype) == 0,
                 "blob data is not aligned for its dtype");
  std::vector<std::int64_t> shape = blob.shape;
  if (shape.empty()) {
    shape.push_back(static_cast<std::int64_t>(blob.numel()));
  }
  std::int64_t numel = 1;
  for (std::int64_t dim : shape) {
    numel *= dim;
  }
  MURMUR_REQUIRE(static_cast<std::size_t>(numel) * dtypeSize(blob.dtype) == blob.bytes,
                 "blob shape does not match its size: ",
                 numel,
                 " elements vs ",
                 blob.bytes,
                 " bytes");
  auto keepAlive = blob.keepAlive;
  return at::from_blob(
      const_cast<std::byte*>(blob.data),
      shape,
      [keepAlive](void*) mutable { keepAlive.reset(); },
      at::TensorOptions().dtype(scalarTypeOf(blob.dtype)));
}

Blob blobFromTensor(const at::Tensor& tensor) {
  MURMUR_REQUIRE(tensor.is_contiguous(), "blobFromTensor needs a contiguous tensor");
  Blob blob;
  blob.data = static_cast<const std::byte*>(tensor.data_ptr());
  blob.bytes = static_cast<std::size_t>(tensor.numel()) * tensor.element_size();
  blob.dtype = dtypeOf(tensor.scalar_type());
  blob.shape.assign(tensor.sizes().begin(), tensor.sizes().end());
  blob.keepAlive = std::make_shared<at::Tensor>(tensor);
  return blob;
}

}  // namespace murmur::runtime
