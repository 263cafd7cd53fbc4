// How a peer compresses the snapshots of its gossip exchanges (--codec), and what each side mixes
// with. The rule that keeps the swarm's mean exact under any codec: both ends of an exchange mix
// with the same two vectors. With a lossy cast (fp16, bf16) we mix with our own snapshot as the
// partner decodes it, not with the snapshot itself; with LBGM both ends mix with the public copies
// (specs/lbgm.md §5), which stay bit-identical.
//
// LBGM keeps, per neighbour, our copy as it holds it (out) and its copy as we hold it (in). PROPOSE
// and ACCEPT tell the partner which of its publishes our in-copy holds (heldSeq); a publisher
// whose out-copy does not match sends a RESET (x itself), so every publish is applicable where it
// lands: a lost message costs one full model, never a mismatched pair. Members that leave take
// their copies with them.
// Thread: comm.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "compression/codec.h"
#include "compression/lbgm.h"
#include "peer/buffer_pool.h"
#include "peer/wire/envelope.h"
#include "runtime/blob.h"
#include "runtime/ids.h"
#include "runtime/metrics.h"

namespace murmur::peer {

struct ExchangeCodecOptions {
  compression::CodecId codec = compression::CodecId::kRaw;
  double lbgmDelta = compression::kLbgmDefaultDelta;  // --lbgm-delta
  std::vector<std::size_t> tensorSizes;  // LBGM units: the model's parameter tensors, flat order
  // LBGM keeps the copies of at most this many neighbours (least recently exchanged with go
  // first; specs/lbgm.md §5.5): an evicted neighbour's next exchange starts with a RESET.
  std::size_t lbgmMaxEdges = 16;
  double lbgmTopk = 0;     // --lbgm-topk (0: dense publishes)
  double lbgmGamma = 0.5;  // --lbgm-gamma: the consensus step (½: a plain midpoint exchange)
  bool lbgmSign = false;   // --lbgm-sign: publishes of a·sign(D)
};

// One side of an exchange, ready to send.
struct EncodedSnapshot {
  runtime::Blob payload;
  wire::PayloadInfo info;  // frame set by the sender
  wire::LbgmWire lbgm;     // present under LBGM
  // What we mix with: our snapshot as the partner will see it (pooled, or the snapshot itself).
  std::shared_ptr<const BufferPool::Buffer> selfView;
};

// LBGM's reuse rate from the lbgm_unit_total counters: per unit and overall, scalar publishes over
// scalar + full + sparse + sign ones (0 where a unit has sent none).
struct LbgmReuse {
  std::vector<double> perUnit;
  double overall = 0;
};

LbgmReuse lbgmReuse(const runtime::MetricsRegistry& metrics, std::size_t units);

class ExchangeCodec {
 public:
  // `pool` hands out model-sized buffers (numel floats) for decoded views and copies.
  ExchangeCodec(ExchangeCodecOptions options,
                std::size_t numel,
                BufferPool& pool,
                runtime::MetricsRegistry& metrics);

  compression::CodecId codec() const { return options_.codec; }

  // PROPOSE and ACCEPT: the last publish of `peer` our in-copy holds (0: none).
  std::uint64_t heldSeq(runtime::PeerId peer) const;

  // Encodes our snapshot for `peer`, which holds our publishes up to `theirHeldSeq`. A value a
  // lossy cast cannot carry (beyond fp16's range) falls back to raw for this message.
  EncodedSnapshot encode(runtime::PeerId peer,
                         std::uint64_t theirHeldSeq,
                         std::shared_ptr<BufferPool::Buffer> snapshot);

  // Decodes the snapshot `peer` sent into what we mix with. Throws Error(kProtocol) naming what is
  // wrong (size, codec, a non-finite value, an LBGM publish that does not apply); our state is
  // then unchanged, except that a copy whose digest differs from the sender's is dropped (the
  // sender's next publish is a RESET).
  runtime::Blob decode(runtime::PeerId peer,
                       const wire::PayloadInfo& info,
                       const wire::LbgmWire& lbgm,
                       const runtime::Blob& frame);

  // What both ends mix with, given the partner's decoded view and ours: the views themselves, or
  // under LBGM with γ < ½ the pair pulled towards each other by ½ − γ (pooled copies; see
  // compression::lbgmConsensusViews), so the exchange moves each model by γ·(x̂_j − x̂_i).
  void consensusViews(runtime::Blob& partner, std::shared_ptr<const BufferPool::Buffer>& self);

  // `peer` left or was declared dead (or came back as a new process): drop its copies.
  void forget(runtime::PeerId peer);

  // LBGM: the units publishes are made of (empty under other codecs). What each publish chose
  // per unit is counted in lbgm_unit_total{unit="U",mode="skip|scalar|full|reset|sparse|sign"}.
  const std::vector<compression::LbgmUnit>& units() const { return units_; }

 private:
  struct Edge {
    compression::LbgmPublicCopy out;  // our parameters, as the neighbour holds them
    compression::LbgmPublicCopy in;   // the neighbour's, as we hold them
    std::uint64_t lastUsed = 0;
  };

  Edge& edge(runtime::PeerId peer);
  std::shared_ptr<BufferPool::Buffer> copyOf(const float* values);
  void countBytes(compression::CodecId codec, std::size_t rawBytes, std::size_t wireBytes);

  ExchangeCodecOptions options_;
  std::size_t numel_;
  BufferPool& pool_;
  runtime::MetricsRegistry& metrics_;
  std::vector<compression::LbgmUnit> units_;
  std::map<std::uint32_t, std::unique_ptr<Edge>> edges_;
  std::uint64_t uses_ = 0;
  compression::LbgmMessage message_;  // reused by every publish and apply
  compression::LbgmOptions lbgmOptions_;
  std::vector<std::array<runtime::Counter*, compression::kLbgmModes>> unitCounters_;  // by unit
  std::vector<std::shared_ptr<std::vector<std::byte>>> encodeBuffers_;  // ring of scratch
  std::size_t nextEncodeBuffer_ = 0;
};

}  // namespace murmur::peer
