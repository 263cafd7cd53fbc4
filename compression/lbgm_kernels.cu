#include <algorithm>

#include <cuda_runtime.h>

#include "compression/lbgm_kernels.h"

namespace murmur::compression::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void dotKernel(const float* __restrict__ a,
                          const float* __restrict__ b,
                          std::size_t n,
                          double* out) {
  __shared__ double partial[kThreads];
  double sum = 0;
  const std::size_t stride = static_cast<std::size_t>(blockDim.x) * gridDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    sum += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  }
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) {
      partial[threadIdx.x] += partial[threadIdx.x + half];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    atomicAdd(out, partial[0]);
  }
}

}  // namespace

void dot64(
    const float* a, const float* b, std::size_t n, double* out, runtime::cuda::Stream stream) {
  runtime::cuda::check(cudaMemsetAsync(out, 0, sizeof(double), stream), "dot64 clear");
  if (n == 0) {
    return;
  }
  const auto blocks =
      static_cast<unsigned>(std::min<std::size_t>((n + kThreads - 1) / kThreads, 1024));
  dotKernel<<<blocks, kThreads, 0, stream>>>(a, b, n, out);
  runtime::cuda::check(cudaGetLastError(), "dot64 launch");
}

}  // namespace murmur::compression::cuda
