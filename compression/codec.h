// Codecs turn a dense float32 model snapshot into payload bytes and back; the codec id travels in
// the wire's payload directory. `raw` is zero-copy (the snapshot buffer is the payload); `fp16`
// and `bf16` halve the bytes, lossy and opt-in; `lossless` byte-shuffles then zstd-compresses,
// exact. Stateful and sparse codecs (LBGM, LHC) have their own interfaces (lbgm.h, lhc.h).
// Thread: codecs are immutable and safe to share (scratch is the caller's, or thread-local).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/blob.h"

namespace murmur::compression {

// kLbgm and kLhc name the stateful LBGM codec (lbgm.h) and LHC encodings (lhc.h) on the wire and
// on the command line; they have no Codec instance.
enum class CodecId : std::uint8_t {
  kRaw = 0,
  kFp16 = 1,
  kBf16 = 2,
  kLossless = 3,
  kLbgm = 4,
  kLhc = 5,
};

std::string_view codecName(CodecId id);

// Throws Error(kInvalidArgument) listing the known codecs.
CodecId codecFromName(std::string_view name);

// "raw, fp16, bf16, lossless, lbgm, lhc": for --help and error messages.
std::string knownCodecNames();

class Codec {
 public:
  virtual ~Codec() = default;

  virtual CodecId id() const = 0;

  // Whether decode(encode(x)) == x bit for bit.
  virtual bool exact() const = 0;

  // Encodes the float32 values of `source`. Codecs that transform them write into `scratch`
  // (resized as needed; pass a pooled buffer so no allocation happens once warm), which the
  // returned blob keeps alive; raw returns `source` itself. Throws Error(kInvalidArgument) when a
  // value cannot be carried (non-finite, or beyond fp16's ±65504): the caller sends raw instead.
  virtual runtime::Blob encode(runtime::Blob source,
                               std::shared_ptr<std::vector<std::byte>> scratch) const = 0;

  // Validates a received payload for a model of numel parameters and returns a float32 view of
  // it: raw views the payload itself, the others decode into `scratch` (at least numel floats;
  // allocated when null). Throws Error(kProtocol) naming what is wrong: wrong size, misalignment,
  // a corrupt stream, a non-finite value. Never writes anything the caller did not hand in.
  virtual runtime::Blob decode(const runtime::Blob& payload,
                               std::size_t numel,
                               std::shared_ptr<std::vector<float>> scratch) const = 0;
};

// The codec for an id; throws Error(kProtocol) for an id this build does not know, kLbgm or kLhc.
const Codec& codecFor(CodecId id);

}  // namespace murmur::compression
