// LHC encode and add on a CUDA device (issue 7, specs/lhc.md §9): one thread per position, u64
// atomic adds into the cells and atomic ORs into the bitmap, which are order-free, so the payload
// is byte-identical to LhcCodec's on the CPU. Raw device pointers and a stream. Only with
// MURMUR_HAVE_CUDA.
#pragma once

#include <cstddef>
#include <cstdint>

#include "compression/lhc.h"
#include "runtime/cuda_device.h"

namespace murmur::compression::cuda {

// What an encode reports besides the payload, in device memory (zeroed by lhcEncode).
struct LhcEncodeTotals {
  std::uint64_t nnz;
  std::uint64_t checksum;
  std::uint32_t nonFinite;  // > 0: a NaN or infinity: the payload must not be sent
  std::uint32_t overflow;   // > 0: some |x| ≥ 2^E
};

// Encodes x[0..D) (device) with `codec`'s geometry into bitmap[⌈D/64⌉] and cells[3W] (device,
// zeroed here), and the totals. Asynchronous on `stream`.
void lhcEncode(const LhcCodec& codec,
               const float* x,
               std::uint64_t* bitmap,
               std::uint64_t* cells,
               LhcEncodeTotals* totals,
               runtime::cuda::Stream stream);

// acc ⊕= in for payloads of one geometry: bitmaps OR, cells add (wrapping). The contributor sets
// and checksums are host-side bookkeeping (LhcCodec::add's rules).
void lhcAdd(std::uint64_t* accBitmap,
            const std::uint64_t* inBitmap,
            std::size_t bitmapWords,
            std::uint64_t* accCells,
            const std::uint64_t* inCells,
            std::size_t cellCount,
            runtime::cuda::Stream stream);

}  // namespace murmur::compression::cuda
