// Conversions between runtime::Blob and at::Tensor without copies where possible.
// Forward declarations only: include this in headers freely.
#pragma once

#include "runtime/blob.h"
#include "runtime/tensor_fwd.h"

namespace murmur::runtime {

// A tensor viewing the blob's bytes (no copy); it keeps the blob's owner alive. The blob must be
// contiguous float32/float64/int64/uint8 data; throws Error(kInvalidArgument) otherwise.
at::Tensor tensorFromBlob(const Blob& blob);

// A blob viewing a contiguous tensor's bytes; the blob keeps the tensor's storage alive.
Blob blobFromTensor(const at::Tensor& tensor);

}  // namespace murmur::runtime
