// The CUDA device for murmur's kernels (momentum/, compression/, sync/): whether one is usable,
// device memory, and the stream type the kernels take. Only in builds with MURMUR_CUDA
// (MURMUR_HAVE_CUDA defined); CUDA's own headers stay out of ours.
// Thread: DeviceBuffer is owned by one thread; the free functions are safe from any.
#pragma once

#include <cstddef>
#include <string>

struct CUstream_st;

namespace murmur::runtime::cuda {

using Stream = CUstream_st*;  // cudaStream_t; nullptr is the default stream

// "" when a CUDA device can run our kernels; otherwise why not, in words ("no CUDA device:
// cudaGetDeviceCount says ...").
std::string unavailableReason();

// The device's name and compute capability, e.g. "NVIDIA H100 80GB HBM3 (sm_90)".
std::string deviceName();

// Throws Error(kInternal) naming `what` and CUDA's message when `status` (a cudaError_t) is not
// success.
void check(int status, const char* what);

// Waits for everything queued on `stream`; throws like check() on an error from it.
void synchronize(Stream stream);

// Device memory of a fixed size, freed with the object.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;

  std::size_t bytes() const { return bytes_; }

  template <typename T>
  T* as() {
    return static_cast<T*>(data_);
  }

  // Host ↔ device copies of `bytes` from the start (synchronous).
  void upload(const void* host, std::size_t bytes);
  void download(void* host, std::size_t bytes) const;
  void zero();

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace murmur::runtime::cuda
