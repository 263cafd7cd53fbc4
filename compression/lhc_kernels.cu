#include <algorithm>
#include <cmath>

#include <cuda_runtime.h>

#include "compression/lhc_kernels.h"

namespace murmur::compression::cuda {
namespace {

constexpr int kThreads = 256;

__device__ std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// specs/lhc.md §2 with B = 1, as LhcCodec::cell/sign/checksumWeight.
__device__ std::uint64_t key(std::uint64_t chunkSeed, std::uint32_t j, std::uint32_t p) {
  return mix64(chunkSeed ^ ((static_cast<std::uint64_t>(j) << 32) | p));
}

__global__ void encodeKernel(const float* __restrict__ x,
                             std::uint32_t positions,
                             std::uint64_t chunkSeed,
                             std::uint32_t subtableCells,
                             double scale,
                             double limit,
                             unsigned long long* __restrict__ bitmap,
                             unsigned long long* __restrict__ cells,
                             LhcEncodeTotals* totals) {
  const std::uint32_t p = blockIdx.x * blockDim.x + threadIdx.x;
  if (p >= positions) {
    return;
  }
  const float value = x[p];
  if (value == 0.0F) {
    return;
  }
  if (!isfinite(value)) {
    atomicAdd(&totals->nonFinite, 1U);
    return;
  }
  const double q = rint(static_cast<double>(value) * scale);  // half to even, as nearbyint
  if (q == 0) {
    return;
  }
  if (fabs(q) >= limit) {
    atomicAdd(&totals->overflow, 1U);
    return;
  }
  const auto quantized = static_cast<std::uint64_t>(static_cast<std::int64_t>(q));
  atomicOr(&bitmap[p / 64], 1ULL << (p % 64));
  const std::uint64_t w = subtableCells;
  for (std::uint32_t j = 0; j < 3; ++j) {
    const std::uint64_t k = key(chunkSeed, j, p);
    const std::uint64_t cell = j * w + (((k >> 32) * w) >> 32);
    const std::uint64_t add = (k & 1) == 0 ? quantized : 0 - quantized;  // sign +1 or −1
    atomicAdd(&cells[cell], static_cast<unsigned long long>(add));
  }
  atomicAdd(reinterpret_cast<unsigned long long*>(&totals->checksum),
            static_cast<unsigned long long>(quantized * key(chunkSeed, 3, p)));
  atomicAdd(reinterpret_cast<unsigned long long*>(&totals->nnz), 1ULL);
}

__global__ void addKernel(unsigned long long* __restrict__ accBitmap,
                          const unsigned long long* __restrict__ inBitmap,
                          std::size_t bitmapWords,
                          unsigned long long* __restrict__ accCells,
                          const unsigned long long* __restrict__ inCells,
                          std::size_t cellCount) {
  const std::size_t stride = static_cast<std::size_t>(blockDim.x) * gridDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < bitmapWords + cellCount;
       i += stride) {
    if (i < bitmapWords) {
      accBitmap[i] |= inBitmap[i];
    } else {
      accCells[i - bitmapWords] += inCells[i - bitmapWords];  // wraps: mod 2⁶⁴
    }
  }
}

unsigned blocksFor(std::size_t n) {
  return static_cast<unsigned>(std::min<std::size_t>((n + kThreads - 1) / kThreads, 65535));
}

}  // namespace

void lhcEncode(const LhcCodec& codec,
               const float* x,
               std::uint64_t* bitmap,
               std::uint64_t* cells,
               LhcEncodeTotals* totals,
               runtime::cuda::Stream stream) {
  const LhcGeometry& g = codec.geometry();
  const std::size_t words = (std::size_t{g.positions} + 63) / 64;
  const std::size_t cellCount = std::size_t{kLhcHashes} * g.subtableCells;
  runtime::cuda::check(cudaMemsetAsync(bitmap, 0, words * 8, stream), "LHC bitmap clear");
  runtime::cuda::check(cudaMemsetAsync(cells, 0, cellCount * 8, stream), "LHC cells clear");
  runtime::cuda::check(cudaMemsetAsync(totals, 0, sizeof(LhcEncodeTotals), stream),
                       "LHC totals clear");
  const unsigned blocks =
      static_cast<unsigned>((std::size_t{g.positions} + kThreads - 1) / kThreads);
  encodeKernel<<<blocks, kThreads, 0, stream>>>(x,
                                                g.positions,
                                                codec.chunkSeed(),
                                                g.subtableCells,
                                                std::ldexp(1.0, g.scaleExp),
                                                static_cast<double>(codec.limit()),
                                                reinterpret_cast<unsigned long long*>(bitmap),
                                                reinterpret_cast<unsigned long long*>(cells),
                                                totals);
  runtime::cuda::check(cudaGetLastError(), "LHC encode launch");
}

void lhcAdd(std::uint64_t* accBitmap,
            const std::uint64_t* inBitmap,
            std::size_t bitmapWords,
            std::uint64_t* accCells,
            const std::uint64_t* inCells,
            std::size_t cellCount,
            runtime::cuda::Stream stream) {
  if (bitmapWords + cellCount == 0) {
    return;
  }
  addKernel<<<blocksFor(bitmapWords + cellCount), kThreads, 0, stream>>>(
      reinterpret_cast<unsigned long long*>(accBitmap),
      reinterpret_cast<const unsigned long long*>(inBitmap),
      bitmapWords,
      reinterpret_cast<unsigned long long*>(accCells),
      reinterpret_cast<const unsigned long long*>(inCells),
      cellCount);
  runtime::cuda::check(cudaGetLastError(), "LHC add launch");
}

}  // namespace murmur::compression::cuda
