#include "peer/lossless_ring_codec.h"

#include <cstring>
#include <memory>

#include "compression/codec.h"
#include "runtime/blob.h"
#include "runtime/error.h"

namespace murmur::peer {
namespace {

const compression::Codec& lossless() {
  return compression::codecFor(compression::CodecId::kLossless);
}

}  // namespace

bool LosslessRingCodec::decode(const std::vector<std::byte>& bytes, std::size_t n) {
  runtime::Blob payload;
  payload.data = bytes.data();
  payload.bytes = bytes.size();
  try {
    runtime::Blob decoded = lossless().decode(payload, n, nullptr);
    sum_.assign(decoded.as<float>(), decoded.as<float>() + n);
  } catch (const runtime::Error&) {
    return false;  // corrupt, of another size, or non-finite: the sync retries raw
  }
  return true;
}

bool LosslessRingCodec::add(std::uint32_t /*segment*/,
                            std::size_t /*offset*/,
                            const float* values,
                            std::size_t n,
                            std::vector<std::byte>& partial) {
  if (partial.empty()) {
    sum_.assign(values, values + n);
  } else {
    if (!decode(partial, n)) {
      return false;
    }
    for (std::size_t i = 0; i < n; ++i) {
      sum_[i] = values[i] + sum_[i];  // the plain ring's order: ours += incoming
    }
  }
  auto floats = std::make_shared<std::vector<float>>(sum_);
  runtime::Blob encoded = lossless().encode(runtime::floatBlob(floats), nullptr);
  partial.assign(encoded.data, encoded.data + encoded.bytes);
  return true;
}

bool LosslessRingCodec::finish(std::uint32_t /*segment*/,
                               std::size_t /*offset*/,
                               const std::vector<std::byte>& sum,
                               std::size_t members,
                               float* mean,
                               std::size_t n) {
  if (!decode(sum, n)) {
    return false;
  }
  for (std::size_t i = 0; i < n; ++i) {
    mean[i] = sum_[i] / static_cast<float>(members);  // as the plain ring divides
  }
  return true;
}

}  // namespace murmur::peer
