#include "runtime/cuda_device.h"

#include <utility>

#include <cuda_runtime_api.h>

#include "runtime/error.h"

namespace murmur::runtime::cuda {

std::string unavailableReason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    return std::string("no CUDA device: cudaGetDeviceCount says ") + cudaGetErrorString(status);
  }
  if (count == 0) {
    return "no CUDA device: the driver sees none";
  }
  return "";
}

std::string deviceName() {
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  cudaDeviceProp props{};
  check(cudaGetDeviceProperties(&props, device), "cudaGetDeviceProperties");
  return std::string(props.name) + " (sm_" + std::to_string(props.major) +
         std::to_string(props.minor) + ")";
}

void check(int status, const char* what) {
  if (status != cudaSuccess) {
    MURMUR_THROW(
        kInternal, what, " failed: ", cudaGetErrorString(static_cast<cudaError_t>(status)));
  }
}

void synchronize(Stream stream) {
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
}

DeviceBuffer::DeviceBuffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes > 0) {
    check(cudaMalloc(&data_, bytes), "cudaMalloc");
  }
}

DeviceBuffer::~DeviceBuffer() {
  if (data_ != nullptr) {
    cudaFree(data_);
  }
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) {
      cudaFree(data_);
    }
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void DeviceBuffer::upload(const void* host, std::size_t bytes) {
  MURMUR_REQUIRE(bytes <= bytes_, "upload of ", bytes, " bytes into ", bytes_);
  check(cudaMemcpy(data_, host, bytes, cudaMemcpyHostToDevice), "cudaMemcpy to the device");
}

void DeviceBuffer::download(void* host, std::size_t bytes) const {
  MURMUR_REQUIRE(bytes <= bytes_, "download of ", bytes, " bytes from ", bytes_);
  check(cudaMemcpy(host, data_, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy from the device");
}

void DeviceBuffer::zero() {
  check(cudaMemset(data_, 0, bytes_), "cudaMemset");
}

}  // namespace murmur::runtime::cuda
