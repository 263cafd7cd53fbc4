#include <algorithm>

#include <cuda_runtime.h>

#include "sync/ams_sketch_kernels.h"

namespace murmur::sync::cuda {
namespace {

constexpr int kThreads = 256;

// hash31 of ams_sketch.cc: (a·x + b) mod 2³¹ − 1 in 64-bit integers.
__device__ std::uint64_t hash31Device(std::uint64_t x, std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = a * x + b;
  r = (r & kMersenne31) + (r >> 31);
  r = (r & kMersenne31) + (r >> 31);
  return r >= kMersenne31 ? r - kMersenne31 : r;
}

__global__ void sketchKernel(const float* __restrict__ v,
                             std::size_t n,
                             std::uint64_t offset,
                             std::uint32_t depth,
                             std::uint32_t width,
                             const std::uint64_t* __restrict__ f,
                             double* cells) {
  const std::size_t stride = static_cast<std::size_t>(blockDim.x) * gridDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const double value = static_cast<double>(v[i]);
    if (value == 0) {
      continue;
    }
    const std::uint64_t x = offset + i;
    for (std::uint32_t j = 0; j < depth; ++j) {
      const std::uint64_t* c = f + 6 * static_cast<std::size_t>(j);
      const auto bucket = static_cast<std::uint32_t>(hash31Device(x, c[0], c[1]) % width);
      std::uint64_t t = hash31Device(x, c[2], c[3]);
      t = hash31Device(x, t, c[4]);
      t = hash31Device(x, t, c[5]);
      atomicAdd(&cells[static_cast<std::size_t>(j) * width + bucket],
                ((t >> 15) & 1U) != 0 ? value : -value);
    }
  }
}

}  // namespace

void amsSketchAdd(const float* v,
                  std::size_t n,
                  std::uint64_t offset,
                  SketchShape shape,
                  const std::uint64_t* coefficients,
                  double* cells,
                  runtime::cuda::Stream stream) {
  if (n == 0) {
    return;
  }
  const auto blocks =
      static_cast<unsigned>(std::min<std::size_t>((n + kThreads - 1) / kThreads, 4096));
  sketchKernel<<<blocks, kThreads, 0, stream>>>(
      v, n, offset, shape.depth, shape.width, coefficients, cells);
  runtime::cuda::check(cudaGetLastError(), "AMS sketch launch");
}

}  // namespace murmur::sync::cuda
