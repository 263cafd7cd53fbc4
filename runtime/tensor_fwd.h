// Forward declarations of LibTorch types, so public headers never pay for <ATen/...> (STYLE §3).
#pragma once

namespace at {
class Tensor;
}  // namespace at
