// The codec instances behind codecFor(), one file each; shared helpers for their decoders.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "compression/codec.h"

namespace murmur::compression::detail {

const Codec& rawCodec();
const Codec& fp16Codec();
const Codec& bf16Codec();
const Codec& losslessCodec();

// Throws Error(kProtocol) when float32 values hold an infinity or NaN: a diverged or hostile peer's
// model is refused before any of it is applied.
void requireFinite(const float* values, std::size_t numel, std::string_view codec);

// `scratch` holding at least numel floats (allocated when null or short).
std::shared_ptr<std::vector<float>> floatScratch(std::shared_ptr<std::vector<float>> scratch,
                                                 std::size_t numel);

// A float32 blob over scratch[0..numel).
runtime::Blob floatView(std::shared_ptr<std::vector<float>> scratch, std::size_t numel);

// A byte blob over scratch[0..bytes).
runtime::Blob byteView(std::shared_ptr<std::vector<std::byte>> scratch, std::size_t bytes);

}  // namespace murmur::compression::detail
