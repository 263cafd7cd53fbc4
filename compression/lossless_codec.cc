// `lossless`: byte-shuffle float32 into four planes (the sign/exponent plane compresses, mantissa
// planes barely), then zstd at level 1 (specs/lhc.md §8). Exact, not homomorphic; it pays only on
// slow links (the rule of thumb: below ~30 MB/s). Contexts and the shuffle buffer are
// thread-local, so no allocation happens once a thread is warm.
#include <cstring>

#include "compression/internal/dense_codecs.h"
#include "runtime/error.h"

#include <zstd.h>

namespace murmur::compression::detail {
namespace {

constexpr int kZstdLevel = 1;

struct ZstdContexts {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> compress{ZSTD_createCCtx(), ZSTD_freeCCtx};
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> decompress{ZSTD_createDCtx(), ZSTD_freeDCtx};
  std::vector<std::byte> planes;
};

ZstdContexts& contexts() {
  thread_local ZstdContexts perThread;
  return perThread;
}

void shuffle(const std::byte* in, std::size_t numel, std::byte* planes) {
  for (std::size_t i = 0; i < numel; ++i) {
    for (std::size_t b = 0; b < sizeof(float); ++b) {
      planes[b * numel + i] = in[i * sizeof(float) + b];
    }
  }
}

void unshuffle(const std::byte* planes, std::size_t numel, std::byte* out) {
  for (std::size_t b = 0; b < sizeof(float); ++b) {
    for (std::size_t i = 0; i < numel; ++i) {
      out[i * sizeof(float) + b] = planes[b * numel + i];
    }
  }
}

class LosslessCodec final : public Codec {
 public:
  CodecId id() const override { return CodecId::kLossless; }

  bool exact() const override { return true; }

  runtime::Blob encode(runtime::Blob source,
                       std::shared_ptr<std::vector<std::byte>> scratch) const override {
    MURMUR_CHECK(source.dtype == runtime::DType::kFloat32, "lossless codec encodes float32");
    ZstdContexts& z = contexts();
    const std::size_t numel = source.numel();
    z.planes.resize(source.bytes);
    shuffle(source.data, numel, z.planes.data());
    if (scratch == nullptr) {
      scratch = std::make_shared<std::vector<std::byte>>();
    }
    scratch->resize(ZSTD_compressBound(source.bytes));
    const std::size_t written = ZSTD_compressCCtx(z.compress.get(),
                                                  scratch->data(),
                                                  scratch->size(),
                                                  z.planes.data(),
                                                  z.planes.size(),
                                                  kZstdLevel);
    MURMUR_CHECK(ZSTD_isError(written) == 0, "zstd: ", ZSTD_getErrorName(written));
    return byteView(std::move(scratch), written);
  }

  runtime::Blob decode(const runtime::Blob& payload,
                       std::size_t numel,
                       std::shared_ptr<std::vector<float>> scratch) const override {
    const std::size_t bytes = numel * sizeof(float);
    // The declared size is checked before anything is inflated: no zip bombs.
    const unsigned long long declared = ZSTD_getFrameContentSize(payload.data, payload.bytes);
    if (declared != bytes) {
      MURMUR_THROW(kProtocol,
                   "lossless payload of ",
                   payload.bytes,
                   " bytes does not declare ",
                   bytes,
                   " bytes (",
                   numel,
                   " float32 parameters)");
    }
    ZstdContexts& z = contexts();
    z.planes.resize(bytes);
    const std::size_t got = ZSTD_decompressDCtx(
        z.decompress.get(), z.planes.data(), z.planes.size(), payload.data, payload.bytes);
    if (ZSTD_isError(got) != 0 || got != bytes) {
      MURMUR_THROW(kProtocol,
                   "lossless payload does not inflate to ",
                   bytes,
                   " bytes: ",
                   ZSTD_isError(got) != 0 ? ZSTD_getErrorName(got) : "short stream");
    }
    scratch = floatScratch(std::move(scratch), numel);
    unshuffle(z.planes.data(), numel, reinterpret_cast<std::byte*>(scratch->data()));
    requireFinite(scratch->data(), numel, "lossless");
    return floatView(std::move(scratch), numel);
  }
};

}  // namespace

const Codec& losslessCodec() {
  static const LosslessCodec codec;
  return codec;
}

}  // namespace murmur::compression::detail
