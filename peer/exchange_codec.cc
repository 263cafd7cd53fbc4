#include "peer/exchange_codec.h"

#include <algorithm>
#include <cstring>

#include "runtime/error.h"

#include <fmt/format.h>

namespace murmur::peer {
namespace {

constexpr std::size_t kMaxEncodeBuffers = 8;
// Every this many publishes on an edge carry the digest of the sender's copy (specs/lbgm.md §5.7
// frame 2, as one number in the envelope): a pass over the model, so not on every one.
constexpr std::uint64_t kLbgmDigestEvery = 8;

std::string unitCounter(std::size_t unit, compression::LbgmMode mode) {
  return fmt::format(
      "lbgm_unit_total{{unit=\"{}\",mode=\"{}\"}}", unit, compression::lbgmModeName(mode));
}

}  // namespace

LbgmReuse lbgmReuse(const runtime::MetricsRegistry& metrics, std::size_t units) {
  LbgmReuse out;
  double scalars = 0;
  double fulls = 0;
  for (std::size_t u = 0; u < units; ++u) {
    const double scalar = metrics.read(unitCounter(u, compression::LbgmMode::kScalar));
    const double full = metrics.read(unitCounter(u, compression::LbgmMode::kFull)) +
                        metrics.read(unitCounter(u, compression::LbgmMode::kSparse)) +
                        metrics.read(unitCounter(u, compression::LbgmMode::kSign));
    out.perUnit.push_back(scalar + full > 0 ? scalar / (scalar + full) : 0);
    scalars += scalar;
    fulls += full;
  }
  out.overall = scalars + fulls > 0 ? scalars / (scalars + fulls) : 0;
  return out;
}

ExchangeCodec::ExchangeCodec(ExchangeCodecOptions options,
                             std::size_t numel,
                             BufferPool& pool,
                             runtime::MetricsRegistry& metrics)
    : options_(std::move(options)), numel_(numel), pool_(pool), metrics_(metrics) {
  if (options_.codec == compression::CodecId::kLbgm) {
    lbgmOptions_ =
        compression::LbgmOptions{options_.lbgmDelta, options_.lbgmTopk, options_.lbgmSign};
    compression::requireLbgmDelta(lbgmOptions_.delta);
    compression::requireLbgmTopk(lbgmOptions_.topk);
    compression::requireLbgmGamma(options_.lbgmGamma);
    units_ = compression::lbgmUnits(options_.tensorSizes);
    std::size_t total = 0;
    for (const compression::LbgmUnit& unit : units_) {
      total += unit.numel;
    }
    MURMUR_REQUIRE(
        total == numel_, "LBGM units cover ", total, " parameters, the model has ", numel_);
    for (std::size_t u = 0; u < units_.size(); ++u) {
      auto& counters = unitCounters_.emplace_back();
      for (std::size_t mode = 0; mode < compression::kLbgmModes; ++mode) {
        counters[mode] =
            &metrics_.counter(unitCounter(u, static_cast<compression::LbgmMode>(mode)));
      }
    }
  } else {
    compression::codecFor(options_.codec);  // throws for an id this build does not know
  }
}

std::uint64_t ExchangeCodec::heldSeq(runtime::PeerId peer) const {
  auto it = edges_.find(peer.value);
  return it != edges_.end() && it->second->in.hasState() ? it->second->in.seq() : 0;
}

ExchangeCodec::Edge& ExchangeCodec::edge(runtime::PeerId peer) {
  if (edges_.count(peer.value) == 0 &&
      edges_.size() >= std::max<std::size_t>(1, options_.lbgmMaxEdges)) {
    auto oldest = std::min_element(edges_.begin(), edges_.end(), [](const auto& a, const auto& b) {
      return a.second->lastUsed < b.second->lastUsed;
    });
    edges_.erase(oldest);  // its next exchange with us starts over with a RESET
    metrics_.counter("lbgm_evictions_total").add();
  }
  std::unique_ptr<Edge>& slot = edges_[peer.value];
  if (!slot) {
    slot = std::make_unique<Edge>(Edge{compression::LbgmPublicCopy(units_, lbgmOptions_),
                                       compression::LbgmPublicCopy(units_, lbgmOptions_),
                                       0});
  }
  slot->lastUsed = ++uses_;
  return *slot;
}

void ExchangeCodec::consensusViews(runtime::Blob& partner,
                                   std::shared_ptr<const BufferPool::Buffer>& self) {
  if (options_.codec != compression::CodecId::kLbgm || options_.lbgmGamma >= 0.5) {
    return;
  }
  MURMUR_CHECK(self && self->size() == numel_ && partner.bytes == numel_ * sizeof(float),
               "consensus views of the wrong size");
  std::shared_ptr<BufferPool::Buffer> selfOut = pool_.acquire();
  std::shared_ptr<BufferPool::Buffer> partnerOut = pool_.acquire();
  compression::lbgmConsensusViews(self->data(),
                                  partner.as<float>(),
                                  selfOut->data(),
                                  partnerOut->data(),
                                  numel_,
                                  static_cast<float>(0.5 - options_.lbgmGamma));
  self = std::move(selfOut);
  partner = runtime::floatBlob(std::move(partnerOut));
}

void ExchangeCodec::forget(runtime::PeerId peer) {
  edges_.erase(peer.value);
}

std::shared_ptr<BufferPool::Buffer> ExchangeCodec::copyOf(const float* values) {
  std::shared_ptr<BufferPool::Buffer> buffer = pool_.acquire();
  std::memcpy(buffer->data(), values, numel_ * sizeof(float));
  return buffer;
}

void ExchangeCodec::countBytes(compression::CodecId codec,
                               std::size_t rawBytes,
                               std::size_t wireBytes) {
  const std::string_view name = compression::codecName(codec);
  metrics_.counter(fmt::format("codec_bytes_in_total{{codec=\"{}\"}}", name)).add(rawBytes);
  metrics_.counter(fmt::format("codec_bytes_out_total{{codec=\"{}\"}}", name)).add(wireBytes);
}

EncodedSnapshot ExchangeCodec::encode(runtime::PeerId peer,
                                      std::uint64_t theirHeldSeq,
                                      std::shared_ptr<BufferPool::Buffer> snapshot) {
  MURMUR_CHECK(snapshot && snapshot->size() == numel_, "snapshot of the wrong size");
  EncodedSnapshot out;
  out.info.dtype = runtime::DType::kFloat32;
  out.info.numel = numel_;
  const std::size_t rawBytes = numel_ * sizeof(float);

  if (options_.codec == compression::CodecId::kLbgm) {
    Edge& e = edge(peer);
    // A delta applies only on the copy it was built against: anything else gets a RESET.
    const bool reset = !e.out.hasState() || theirHeldSeq != e.out.seq();
    e.out.publish(snapshot->data(), reset, message_);
    out.lbgm.present = true;
    out.lbgm.heldSeq = heldSeq(peer);
    out.lbgm.seq = message_.seq;
    if (message_.seq % kLbgmDigestEvery == 0) {
      out.lbgm.copyDigest = e.out.digest();
    }
    out.lbgm.modes.resize(message_.units.size());
    out.lbgm.rhos.resize(message_.units.size());
    for (std::size_t u = 0; u < message_.units.size(); ++u) {
      out.lbgm.modes[u] = static_cast<std::uint8_t>(message_.units[u].mode);
      out.lbgm.rhos[u] = message_.units[u].rho;
      unitCounters_[u][static_cast<std::size_t>(message_.units[u].mode)]->add();
    }
    metrics_
        .counter(reset ? "lbgm_publishes_total{kind=\"reset\"}"
                       : "lbgm_publishes_total{kind=\"delta\"}")
        .add();
    // The values travel zero-copy from a pooled buffer (message_ is reused at once).
    std::shared_ptr<BufferPool::Buffer> values = pool_.acquire();
    std::memcpy(values->data(), message_.payload.data(), message_.payload.size() * sizeof(float));
    out.payload = runtime::floatBlob(values);
    out.payload.bytes = message_.payload.size() * sizeof(float);
    out.info.numel = message_.payload.size();
    out.info.codec = static_cast<std::uint8_t>(compression::CodecId::kLbgm);
    out.selfView = copyOf(e.out.values());
    countBytes(options_.codec, rawBytes, out.payload.bytes + 5 * message_.units.size() + 16);
    return out;
  }

  compression::CodecId codec = options_.codec;
  const compression::Codec* chosen = &compression::codecFor(codec);
  std::shared_ptr<std::vector<std::byte>> scratch;
  if (codec != compression::CodecId::kRaw) {
    for (std::size_t i = 0; i < encodeBuffers_.size() && !scratch; ++i) {
      const std::size_t k = (nextEncodeBuffer_ + i) % encodeBuffers_.size();
      if (encodeBuffers_[k].use_count() == 1) {  // not in flight any more
        scratch = encodeBuffers_[k];
        nextEncodeBuffer_ = k + 1;
      }
    }
    if (!scratch) {
      scratch = std::make_shared<std::vector<std::byte>>();
      if (encodeBuffers_.size() < kMaxEncodeBuffers) {
        encodeBuffers_.push_back(scratch);
      }
    }
  }
  try {
    out.payload = chosen->encode(runtime::floatBlob(snapshot), scratch);
  } catch (const runtime::Error& e) {
    if (e.kind() != runtime::ErrorKind::kInvalidArgument) {
      throw;
    }
    // A value the cast cannot carry: this snapshot goes raw.
    metrics_.counter("codec_fallbacks_total").add();
    codec = compression::CodecId::kRaw;
    chosen = &compression::codecFor(codec);
    out.payload = chosen->encode(runtime::floatBlob(snapshot), nullptr);
  }
  out.info.codec = static_cast<std::uint8_t>(codec);
  out.info.dtype = out.payload.dtype;
  countBytes(codec, rawBytes, out.payload.bytes);
  if (chosen->exact()) {
    out.selfView = std::move(snapshot);
  } else {
    // Mix with what the partner decodes, so both ends use the same two vectors.
    runtime::Blob decoded = chosen->decode(out.payload, numel_, pool_.acquire());
    out.selfView = std::static_pointer_cast<const BufferPool::Buffer>(decoded.keepAlive);
  }
  return out;
}

runtime::Blob ExchangeCodec::decode(runtime::PeerId peer,
                                    const wire::PayloadInfo& info,
                                    const wire::LbgmWire& lbgm,
                                    const runtime::Blob& frame) {
  const auto codec = static_cast<compression::CodecId>(info.codec);
  if (codec == compression::CodecId::kLbgm) {
    if (options_.codec != compression::CodecId::kLbgm || !lbgm.present) {
      MURMUR_THROW(kProtocol, "an LBGM publish, and this run does not use LBGM");
    }
    if (lbgm.modes.size() != units_.size() || frame.bytes != info.numel * sizeof(float) ||
        info.numel > numel_ || info.dtype != runtime::DType::kFloat32) {
      MURMUR_THROW(kProtocol,
                   "LBGM publish of ",
                   lbgm.modes.size(),
                   " units and ",
                   info.numel,
                   " values in ",
                   frame.bytes,
                   " bytes; the model has ",
                   units_.size(),
                   " units");
    }
    message_.seq = lbgm.seq;
    message_.units.resize(units_.size());
    for (std::size_t u = 0; u < units_.size(); ++u) {
      message_.units[u] = compression::LbgmUnitHeader{
          static_cast<compression::LbgmMode>(lbgm.modes[u]), lbgm.rhos[u]};
    }
    message_.payload.resize(info.numel);
    std::memcpy(message_.payload.data(), frame.data, frame.bytes);  // any alignment
    Edge& e = edge(peer);
    const compression::LbgmApplied applied = e.in.apply(message_);
    if (applied != compression::LbgmApplied::kApplied) {
      MURMUR_THROW(kProtocol,
                   "LBGM publish ",
                   lbgm.seq,
                   " does not apply (",
                   compression::lbgmAppliedName(applied),
                   "; our copy holds publish ",
                   e.in.seq(),
                   ")");
    }
    if (lbgm.copyDigest != 0 && e.in.digest() != lbgm.copyDigest) {
      // Both checks passed and still the copies differ: start the edge over (our next heldSeq
      // is 0, so the sender's next publish is a RESET).
      e.in.clear();
      metrics_.counter("lbgm_digest_mismatches_total").add();
      MURMUR_THROW(kProtocol,
                   "LBGM copy after publish ",
                   lbgm.seq,
                   " differs from the sender's (digest mismatch): asking for a RESET");
    }
    return runtime::floatBlob(copyOf(e.in.values()));
  }
  if (info.numel != numel_) {
    MURMUR_THROW(kProtocol, "payload of ", info.numel, " elements, the model has ", numel_);
  }
  const compression::Codec& chosen = compression::codecFor(codec);  // throws for unknown ids
  std::shared_ptr<BufferPool::Buffer> scratch;
  if (codec != compression::CodecId::kRaw) {
    scratch = pool_.acquire();
  }
  return chosen.decode(frame, numel_, std::move(scratch));
}

}  // namespace murmur::peer
