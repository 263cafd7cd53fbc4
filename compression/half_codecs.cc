// fp16 and bf16: two bytes per parameter, lossy (relative error ≤ 2^−11 and 2^−8), opt-in.
#include <cstring>

#include "compression/half_float.h"
#include "compression/internal/dense_codecs.h"
#include "runtime/error.h"

namespace murmur::compression::detail {
namespace {

using ToHalf = bool (*)(const float*, std::size_t, std::uint16_t*);
using FromHalf = bool (*)(const std::uint16_t*, std::size_t, float*);

class HalfCodec final : public Codec {
 public:
  HalfCodec(CodecId id, ToHalf toHalf, FromHalf fromHalf)
      : id_(id), toHalf_(toHalf), fromHalf_(fromHalf) {}

  CodecId id() const override { return id_; }

  bool exact() const override { return false; }

  runtime::Blob encode(runtime::Blob source,
                       std::shared_ptr<std::vector<std::byte>> scratch) const override {
    MURMUR_CHECK(source.dtype == runtime::DType::kFloat32, codecName(id_), " encodes float32");
    const std::size_t numel = source.numel();
    if (scratch == nullptr) {
      scratch = std::make_shared<std::vector<std::byte>>();
    }
    scratch->resize(numel * sizeof(std::uint16_t));
    if (!toHalf_(source.as<float>(), numel, reinterpret_cast<std::uint16_t*>(scratch->data()))) {
      MURMUR_THROW(kInvalidArgument,
                   "a value is non-finite or beyond the range of ",
                   codecName(id_),
                   " (fp16: ±",
                   kFp16Max,
                   ")");
    }
    runtime::Blob encoded = byteView(std::move(scratch), numel * sizeof(std::uint16_t));
    encoded.dtype = id_ == CodecId::kFp16 ? runtime::DType::kFloat16 : runtime::DType::kBFloat16;
    return encoded;
  }

  runtime::Blob decode(const runtime::Blob& payload,
                       std::size_t numel,
                       std::shared_ptr<std::vector<float>> scratch) const override {
    if (payload.bytes != numel * sizeof(std::uint16_t)) {
      MURMUR_THROW(kProtocol,
                   codecName(id_),
                   " payload has ",
                   payload.bytes,
                   " bytes, expected ",
                   numel * sizeof(std::uint16_t),
                   " (",
                   numel,
                   " parameters)");
    }
    if (reinterpret_cast<std::uintptr_t>(payload.data) % alignof(std::uint16_t) != 0) {
      MURMUR_THROW(kProtocol, codecName(id_), " payload is not aligned");
    }
    scratch = floatScratch(std::move(scratch), numel);
    if (!fromHalf_(payload.as<std::uint16_t>(), numel, scratch->data())) {
      MURMUR_THROW(kProtocol, codecName(id_), " payload holds a non-finite value");
    }
    return floatView(std::move(scratch), numel);
  }

 private:
  CodecId id_;
  ToHalf toHalf_;
  FromHalf fromHalf_;
};

}  // namespace

const Codec& fp16Codec() {
  static const HalfCodec codec(CodecId::kFp16, floatsToFp16, fp16ToFloats);
  return codec;
}

const Codec& bf16Codec() {
  static const HalfCodec codec(CodecId::kBf16, floatsToBf16, bf16ToFloats);
  return codec;
}

}  // namespace murmur::compression::detail
