// LBGM's per-unit reductions on a CUDA device (issue 7, specs/lbgm.md §3): ⟨a, b⟩ and ‖a‖²
// accumulated in double, as the CPU's dot64. Block sums then double atomics: the order differs
// from the CPU's, so results agree to a relative 1e-12 or so, not bit for bit (the sender alone
// decides with them; both ends never recompute them). Only with MURMUR_HAVE_CUDA.
#pragma once

#include <cstddef>

#include "runtime/cuda_device.h"

namespace murmur::compression::cuda {

// *out (device) = Σ a[i]·b[i] in double. Asynchronous on `stream`.
void dot64(
    const float* a, const float* b, std::size_t n, double* out, runtime::cuda::Stream stream);

}  // namespace murmur::compression::cuda
