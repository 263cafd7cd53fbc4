// SketchFDA's AMS sketch update on a CUDA device (issue 7, specs/fda.md §2.3): every coordinate
// adds sign_j(i)·v_i to bucket pos_j(i) of each row, with AmsSketch's portable hashes, into double
// cells by atomic adds: the same sketch as the CPU's up to the order of the additions (relative
// 1e-12 or so per cell). Only with MURMUR_HAVE_CUDA.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/cuda_device.h"
#include "sync/ams_sketch.h"

namespace murmur::sync::cuda {

// cells (device, depth × width, row-major, not cleared) += the sketch of v[0..n) (device) as
// coordinates offset .. offset + n − 1; coefficients (device) are sketch.coefficients().
void amsSketchAdd(const float* v,
                  std::size_t n,
                  std::uint64_t offset,
                  SketchShape shape,
                  const std::uint64_t* coefficients,
                  double* cells,
                  runtime::cuda::Stream stream);

}  // namespace murmur::sync::cuda
