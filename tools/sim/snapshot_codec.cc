#include "tools/sim/snapshot_codec.h"

#include "runtime/blob.h"
#include "runtime/error.h"

namespace murmur::sim {

SnapshotCodec::SnapshotCodec(const std::string& name) : id_(compression::codecFromName(name)) {
  MURMUR_REQUIRE(id_ == compression::CodecId::kRaw || id_ == compression::CodecId::kFp16 ||
                     id_ == compression::CodecId::kBf16 || id_ == compression::CodecId::kLossless,
                 "--codec ",
                 name,
                 " is not a per-value codec (raw, fp16, bf16 or lossless)");
}

SnapshotCodec::Encoded SnapshotCodec::encode(const std::vector<double>& x) {
  values_->assign(x.begin(), x.end());
  const compression::Codec* codec = &compression::codecFor(id_);
  runtime::Blob payload;
  try {
    payload = codec->encode(runtime::floatBlob(values_), scratch_);
  } catch (const runtime::Error& e) {
    if (e.kind() != runtime::ErrorKind::kInvalidArgument) {
      throw;
    }
    ++fallbacks_;  // beyond fp16's range: this snapshot goes raw
    codec = &compression::codecFor(compression::CodecId::kRaw);
    payload = codec->encode(runtime::floatBlob(values_), nullptr);
  }
  Encoded out;
  out.wireBytes = payload.bytes;
  const runtime::Blob decoded = codec->decode(payload, x.size(), decoded_);
  const float* values = decoded.as<float>();
  out.view = std::make_shared<const std::vector<double>>(values, values + x.size());
  return out;
}

}  // namespace murmur::sim
