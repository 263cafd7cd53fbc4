// A²CiD²'s hot pass on a CUDA device (issue 7): the fused mix + apply of mixAndApplyExchange,
// x ← (x + p·d) + ½Δ and d ← decay·d + w·Δ with Δ = peer − self, in one pass over x and the gap d,
// rounded exactly as the CPU pass (no fused multiply-adds), so results are bit-identical. Raw
// device pointers and a stream: no CUDA-enabled LibTorch needed. Only with MURMUR_HAVE_CUDA.
#pragma once

#include <cstddef>

#include "runtime/cuda_device.h"

namespace murmur::momentum::cuda {

// d == nullptr is the baseline (x += ½Δ only). Asynchronous on `stream`.
void mixAndApply(float* x,
                 float* d,
                 std::size_t n,
                 float p,
                 float decay,
                 float gapWeight,
                 const float* peer,
                 const float* self,
                 runtime::cuda::Stream stream);

}  // namespace murmur::momentum::cuda
