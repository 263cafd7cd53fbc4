// Codecs turn a model snapshot into payload bytes and back. The codec id travels in the wire's
// payload directory. Issue 2 ships `raw` (zero-copy: the snapshot buffer is the payload); fp16,
// lossless, LBGM and LHC plug in behind the same interface (issue 5).
// Thread: codecs are stateless and safe to share.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/blob.h"

namespace murmur::compression {

enum class CodecId : std::uint8_t { kRaw = 0 };

std::string_view codecName(CodecId id);

// Throws Error(kInvalidArgument) listing the known codecs.
CodecId codecFromName(std::string_view name);

class Codec {
 public:
  virtual ~Codec() = default;

  virtual CodecId id() const = 0;

  // Encodes numel float32 values owned by `source` (kept alive by the returned blob).
  virtual runtime::Blob encode(runtime::Blob source) const = 0;

  // Validates a received payload for a model of numel parameters and returns a float32 view of it
  // (decoding into `scratch` if the codec needs to). Throws Error(kProtocol) naming what is wrong:
  // wrong size or dtype, misalignment, a non-finite value. Never partially writes anything the
  // caller did not hand in.
  virtual runtime::Blob decode(const runtime::Blob& payload, std::size_t numel) const = 0;
};

// The codec for an id; throws Error(kProtocol) for an id this build does not know.
const Codec& codecFor(CodecId id);

}  // namespace murmur::compression
