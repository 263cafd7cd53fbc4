#include "compression/codec.h"

#include "compression/float_bits.h"
#include "compression/internal/dense_codecs.h"
#include "runtime/error.h"

namespace murmur::compression {
namespace detail {
namespace {

// Zero-copy: the snapshot's bytes go on the wire as they are.
class RawCodec final : public Codec {
 public:
  CodecId id() const override { return CodecId::kRaw; }

  bool exact() const override { return true; }

  runtime::Blob encode(runtime::Blob source,
                       std::shared_ptr<std::vector<std::byte>> /*scratch*/) const override {
    MURMUR_CHECK(source.dtype == runtime::DType::kFloat32, "raw codec encodes float32");
    return source;
  }

  runtime::Blob decode(const runtime::Blob& payload,
                       std::size_t numel,
                       std::shared_ptr<std::vector<float>> /*scratch*/) const override {
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
    requireFinite(payload.as<float>(), numel, "raw");
    runtime::Blob view = payload;
    view.dtype = runtime::DType::kFloat32;
    return view;
  }
};

}  // namespace

const Codec& rawCodec() {
  static const RawCodec raw;
  return raw;
}

void requireFinite(const float* values, std::size_t numel, std::string_view codec) {
  if (!allFinite(values, numel)) {
    MURMUR_THROW(kProtocol, codec, " payload holds a non-finite value");
  }
}

std::shared_ptr<std::vector<float>> floatScratch(std::shared_ptr<std::vector<float>> scratch,
                                                 std::size_t numel) {
  if (scratch == nullptr) {
    scratch = std::make_shared<std::vector<float>>();
  }
  if (scratch->size() < numel) {
    scratch->resize(numel);
  }
  return scratch;
}

runtime::Blob floatView(std::shared_ptr<std::vector<float>> scratch, std::size_t numel) {
  runtime::Blob view;
  view.data = reinterpret_cast<const std::byte*>(scratch->data());
  view.bytes = numel * sizeof(float);
  view.dtype = runtime::DType::kFloat32;
  view.keepAlive = std::move(scratch);
  return view;
}

runtime::Blob byteView(std::shared_ptr<std::vector<std::byte>> scratch, std::size_t bytes) {
  runtime::Blob view;
  view.data = scratch->data();
  view.bytes = bytes;
  view.dtype = runtime::DType::kUInt8;
  view.keepAlive = std::move(scratch);
  return view;
}

}  // namespace detail

std::string_view codecName(CodecId id) {
  switch (id) {
    case CodecId::kRaw:
      return "raw";
    case CodecId::kFp16:
      return "fp16";
    case CodecId::kBf16:
      return "bf16";
    case CodecId::kLossless:
      return "lossless";
    case CodecId::kLbgm:
      return "lbgm";
    case CodecId::kLhc:
      return "lhc";
  }
  return "unknown";
}

std::string knownCodecNames() {
  return "raw, fp16, bf16, lossless";
}

CodecId codecFromName(std::string_view name) {
  for (CodecId id : {CodecId::kRaw,
                     CodecId::kFp16,
                     CodecId::kBf16,
                     CodecId::kLossless,
                     CodecId::kLbgm,
                     CodecId::kLhc}) {
    if (name == codecName(id)) {
      return id;
    }
  }
  MURMUR_THROW(kInvalidArgument, "unknown codec '", name, "' (known: ", knownCodecNames(), ")");
}

const Codec& codecFor(CodecId id) {
  switch (id) {
    case CodecId::kRaw:
      return detail::rawCodec();
    case CodecId::kFp16:
      return detail::fp16Codec();
    case CodecId::kBf16:
      return detail::bf16Codec();
    case CodecId::kLossless:
      return detail::losslessCodec();
    case CodecId::kLbgm:
    case CodecId::kLhc:
      break;  // stateful or sparse: compression::LbgmPublicCopy, compression::LhcCodec
  }
  MURMUR_THROW(kProtocol, "unknown codec id ", static_cast<int>(id));
}

}  // namespace murmur::compression
