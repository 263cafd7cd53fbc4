#include "peer/lhc_ring_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/error.h"

#include <fmt/format.h>

namespace murmur::peer {
namespace {

void put(std::vector<std::byte>& out, const void* data, std::size_t bytes) {
  const auto* b = static_cast<const std::byte*>(data);
  out.insert(out.end(), b, b + bytes);
}

// Reads from a byte range, refusing to run past its end.
class Reader {
 public:
  explicit Reader(const std::vector<std::byte>& bytes) : bytes_(bytes) {}

  bool read(void* out, std::size_t n) {
    if (n > bytes_.size() - at_) {
      return false;
    }
    std::memcpy(out, bytes_.data() + at_, n);
    at_ += n;
    return true;
  }

  bool finished() const { return at_ == bytes_.size(); }

 private:
  const std::vector<std::byte>& bytes_;
  std::size_t at_ = 0;
};

std::uint64_t chunkCapacity(double capacity, std::uint32_t positions) {
  return std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(capacity * static_cast<double>(positions))));
}

}  // namespace

void serializeLhcChunks(const std::vector<compression::LhcChunk>& chunks,
                        std::vector<std::byte>& out) {
  out.clear();
  for (const compression::LhcChunk& c : chunks) {
    put(out, &c.nnzUpper, 8);
    put(out, &c.checksum, 8);
    const auto count = static_cast<std::uint32_t>(c.contributors.size());
    const std::uint32_t pad = 0;
    put(out, &count, 4);
    put(out, &pad, 4);
    put(out, c.contributors.data(), 4 * c.contributors.size());
    if (count % 2 == 1) {
      put(out, &pad, 4);
    }
    put(out, c.bitmap.data(), 8 * c.bitmap.size());
    put(out, c.cells.data(), 8 * c.cells.size());
  }
}

LhcRingCodec::LhcRingCodec(std::shared_ptr<const std::vector<float>> reference,
                           std::uint32_t rank,
                           std::uint64_t runSeed,
                           double capacity,
                           runtime::MetricsRegistry& metrics)
    : reference_(std::move(reference)),
      rank_(rank),
      runSeed_(runSeed),
      capacity_(capacity),
      metrics_(metrics) {
  MURMUR_REQUIRE(reference_ != nullptr, "LHC ring without a reference");
  MURMUR_REQUIRE(capacity_ > 0 && capacity_ <= 1, "--lhc-capacity must be in (0, 1]");
  double largest = 0;
  for (float v : *reference_) {
    largest = std::max(largest, std::fabs(static_cast<double>(v)));
  }
  scaleExp_ = compression::lhcScaleExp(std::max(1.0, 4 * largest));
}

const std::vector<compression::LhcCodec>& LhcRingCodec::codecsFor(std::uint32_t segment,
                                                                  std::size_t n) {
  if (codecs_.size() <= segment) {
    codecs_.resize(segment + 1);
  }
  std::vector<compression::LhcCodec>& codecs = codecs_[segment];
  if (codecs.empty()) {
    for (std::size_t start = 0, c = 0; start < n; start += compression::kLhcChunkPositions, ++c) {
      compression::LhcGeometry g;
      g.runSeed = runSeed_;
      g.tensorId = segment;
      g.chunkId = static_cast<std::uint32_t>(c);
      g.positions = static_cast<std::uint32_t>(
          std::min<std::size_t>(compression::kLhcChunkPositions, n - start));
      g.subtableCells = compression::lhcSubtableCells(chunkCapacity(capacity_, g.positions));
      g.scaleExp = scaleExp_;
      codecs.emplace_back(g);
    }
  }
  return codecs;
}

void LhcRingCodec::failed(const char* reason) {
  metrics_.counter(fmt::format("lhc_failed_total{{reason=\"{}\"}}", reason)).add();
}

bool LhcRingCodec::parse(const std::vector<std::byte>& bytes,
                         const std::vector<compression::LhcCodec>& codecs,
                         std::vector<compression::LhcChunk>& chunks) const {
  Reader in(bytes);
  chunks.resize(codecs.size());
  for (std::size_t c = 0; c < codecs.size(); ++c) {
    compression::LhcChunk& chunk = chunks[c];
    const compression::LhcGeometry& g = codecs[c].geometry();
    std::uint32_t count = 0;
    std::uint32_t pad = 0;
    if (!in.read(&chunk.nnzUpper, 8) || !in.read(&chunk.checksum, 8) || !in.read(&count, 4) ||
        !in.read(&pad, 4) || count == 0 || count > 4096) {
      return false;
    }
    chunk.geometry = g;
    chunk.contributors.resize(count);
    chunk.bitmap.resize((std::size_t{g.positions} + 63) / 64);
    chunk.cells.resize(std::size_t{compression::kLhcHashes} * g.subtableCells);
    if (!in.read(chunk.contributors.data(), 4 * count) || (count % 2 == 1 && !in.read(&pad, 4)) ||
        !in.read(chunk.bitmap.data(), 8 * chunk.bitmap.size()) ||
        !in.read(chunk.cells.data(), 8 * chunk.cells.size()) ||
        codecs[c].validate(chunk) != compression::LhcStatus::kOk) {
      return false;
    }
  }
  return in.finished();
}

bool LhcRingCodec::add(std::uint32_t segment,
                       std::size_t offset,
                       const float* values,
                       std::size_t n,
                       std::vector<std::byte>& partial) {
  const std::vector<compression::LhcCodec>& codecs = codecsFor(segment, n);
  MURMUR_CHECK(offset + n <= reference_->size(), "an LHC segment beyond the reference");
  drift_.resize(n);
  const float* ref = reference_->data() + offset;
  for (std::size_t i = 0; i < n; ++i) {
    drift_[i] = values[i] - ref[i];
  }
  ours_.resize(codecs.size());
  for (std::size_t c = 0; c < codecs.size(); ++c) {
    const compression::LhcStatus status =
        codecs[c].encode(drift_.data() + c * compression::kLhcChunkPositions, rank_, ours_[c]);
    if (status != compression::LhcStatus::kOk) {
      failed(status == compression::LhcStatus::kOverflow ? "overflow" : "nonfinite");
      return false;
    }
    if (ours_[c].nnzUpper > chunkCapacity(capacity_, codecs[c].geometry().positions)) {
      failed("capacity");  // a dense drift: the tables could not peel the sum
      return false;
    }
  }
  if (partial.empty()) {
    serializeLhcChunks(ours_, partial);
    return true;
  }
  if (!parse(partial, codecs, theirs_)) {
    failed("malformed");
    return false;
  }
  for (std::size_t c = 0; c < codecs.size(); ++c) {
    if (compression::LhcCodec::add(theirs_[c], ours_[c]) != compression::LhcStatus::kOk) {
      failed("overlap");
      return false;
    }
  }
  serializeLhcChunks(theirs_, partial);
  return true;
}

bool LhcRingCodec::finish(std::uint32_t segment,
                          std::size_t offset,
                          const std::vector<std::byte>& sum,
                          std::size_t members,
                          float* mean,
                          std::size_t n) {
  const std::vector<compression::LhcCodec>& codecs = codecsFor(segment, n);
  if (!parse(sum, codecs, theirs_)) {
    failed("malformed");
    return false;
  }
  // Every chunk must peel before anything is written: never a partial mean.
  for (std::size_t c = 0; c < codecs.size(); ++c) {
    const compression::LhcStatus status = codecs[c].decode(theirs_[c], decoded_);
    if (status != compression::LhcStatus::kOk) {
      failed(status == compression::LhcStatus::kStalled ? "stalled" : "inconsistent");
      return false;
    }
  }
  const float* ref = reference_->data() + offset;
  std::copy(ref, ref + n, mean);
  const double unit = std::ldexp(1.0, -scaleExp_) / static_cast<double>(members);
  for (std::size_t c = 0; c < codecs.size(); ++c) {
    codecs[c].decode(theirs_[c], decoded_);
    const std::size_t base = c * compression::kLhcChunkPositions;
    for (std::size_t r = 0; r < decoded_.positions.size(); ++r) {
      const std::size_t p = base + decoded_.positions[r];
      mean[p] = static_cast<float>(static_cast<double>(ref[p]) +
                                   static_cast<double>(decoded_.values[r]) * unit);
    }
  }
  metrics_.counter("lhc_decoded_total").add(codecs.size());
  return true;
}

}  // namespace murmur::peer
