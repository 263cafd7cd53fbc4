#include <algorithm>
#include <cmath>

#include <cuda_runtime.h>

#include "momentum/acid_kernels.h"

namespace murmur::momentum::cuda {
namespace {

constexpr int kThreads = 256;

// __fmul_rn/__fadd_rn never contract into FMAs: the CPU pass's rounding, step for step.
__global__ void mixAndApplyKernel(float* __restrict__ x,
                                  float* __restrict__ d,
                                  std::size_t n,
                                  float p,
                                  float decay,
                                  float gapWeight,
                                  const float* __restrict__ peer,
                                  const float* __restrict__ self) {
  const std::size_t stride = static_cast<std::size_t>(blockDim.x) * gridDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const float delta = __fsub_rn(peer[i], self[i]);
    if (d == nullptr) {
      x[i] = __fadd_rn(x[i], __fmul_rn(0.5F, delta));
      continue;
    }
    const float mixed = __fadd_rn(x[i], __fmul_rn(p, d[i]));
    const float gap = __fmul_rn(d[i], decay);
    x[i] = __fadd_rn(mixed, __fmul_rn(0.5F, delta));
    d[i] = __fadd_rn(gap, __fmul_rn(gapWeight, delta));
  }
}

}  // namespace

void mixAndApply(float* x,
                 float* d,
                 std::size_t n,
                 float p,
                 float decay,
                 float gapWeight,
                 const float* peer,
                 const float* self,
                 runtime::cuda::Stream stream) {
  if (n == 0) {
    return;
  }
  const std::size_t blocks = std::min<std::size_t>((n + kThreads - 1) / kThreads, 65535);
  mixAndApplyKernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
      x, d, n, p, decay, gapWeight, peer, self);
  runtime::cuda::check(cudaGetLastError(), "mixAndApply launch");
}

}  // namespace murmur::momentum::cuda
