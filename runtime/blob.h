// A typed, shaped, read-only byte range with a keep-alive: what transport and wire move instead of
// tensors. Copying a Blob shares the bytes; the owner (a zmq message, a pooled buffer, a tensor)
// lives until the last copy is gone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace murmur::runtime {

enum class DType : std::uint8_t { kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kUInt8 };

inline std::size_t dtypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return 4;
    case DType::kFloat64:
    case DType::kInt64:
      return 8;
    case DType::kFloat16:
    case DType::kBFloat16:
      return 2;
    case DType::kUInt8:
      return 1;
  }
  return 0;
}

struct Blob {
  const std::byte* data = nullptr;
  std::size_t bytes = 0;
  DType dtype = DType::kUInt8;
  std::vector<std::int64_t> shape;        // empty means flat: bytes / dtypeSize(dtype) elements
  std::shared_ptr<const void> keepAlive;  // owns `data`

  std::size_t numel() const { return bytes / dtypeSize(dtype); }

  template <typename T>
  const T* as() const {
    return reinterpret_cast<const T*>(data);
  }
};

// A float32 blob over a shared vector, which it keeps alive (snapshots, pooled buffers).
inline Blob floatBlob(std::shared_ptr<const std::vector<float>> values) {
  Blob blob;
  blob.data = reinterpret_cast<const std::byte*>(values->data());
  blob.bytes = values->size() * sizeof(float);
  blob.dtype = DType::kFloat32;
  blob.keepAlive = std::move(values);
  return blob;
}

}  // namespace murmur::runtime
