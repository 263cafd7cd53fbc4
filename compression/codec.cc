#include "compression/codec.h"

#include <cstring>

#include "runtime/error.h"

namespace murmur::compression {
namespace {

// Zero-copy: the snapshot's bytes go on the wire as they are.
class RawCodec final : public Codec {
 public:
  CodecId id() const override { return CodecId::kRaw; }

  runtime::Blob encode(runtime::Blob source) const override {
    MURMUR_CHECK(source.dtype == runtime::DType::kFloat32, "raw codec encodes float32");
    return source;
  }

  runtime::Blob decode(const runtime::Blob& payload, std::size_t numel) const override {
    if (payload.bytes != numel * sizeof(float)) {
      MURMUR_THROW(kProtocol,
                   "raw payload has ",
                   payload.bytes,
                   " bytes, expected ",
                   numel * sizeof(float),
                   " (",
                   numel,
                   " float32 parameters)");
    }
    if (reinterpret_cast<std::uintptr_t>(payload.data) % alignof(float) != 0) {
      MURMUR_THROW(kProtocol, "raw payload is not aligned for float32");
    }
    // One read pass, so a poisoned model is refused before any of it is applied. Exponent bits all
    // ones means inf or NaN; the integer form vectorises where std::isfinite does not.
    const auto* bits = reinterpret_cast<const std::uint32_t*>(payload.data);
    std::uint32_t nonFinite = 0;
    for (std::size_t i = 0; i < numel; ++i) {
      nonFinite |= static_cast<std::uint32_t>((bits[i] & 0x7f800000U) == 0x7f800000U);
    }
    if (nonFinite != 0) {
      MURMUR_THROW(kProtocol, "raw payload holds a non-finite value");
    }
    runtime::Blob view = payload;
    view.dtype = runtime::DType::kFloat32;
    return view;
  }
};

}  // namespace

std::string_view codecName(CodecId id) {
  switch (id) {
    case CodecId::kRaw:
      return "raw";
  }
  return "unknown";
}

CodecId codecFromName(std::string_view name) {
  if (name == "raw") {
    return CodecId::kRaw;
  }
  MURMUR_THROW(kInvalidArgument, "unknown codec '", name, "' (known: raw)");
}

const Codec& codecFor(CodecId id) {
  static const RawCodec raw;
  switch (id) {
    case CodecId::kRaw:
      return raw;
  }
  MURMUR_THROW(kProtocol, "unknown codec id ", static_cast<int>(id));
}

}  // namespace murmur::compression
