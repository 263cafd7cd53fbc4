#include "peer/lhc_ring_codec.h"

#include <algorithm>
#include <array>
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

void putPadded(std::vector<std::byte>& out, const void* data, std::size_t bytes) {
  put(out, data, bytes);
  const std::array<std::byte, 8> zeros{};
  put(out, zeros.data(), (8 - bytes % 8) % 8);
}

bool readPadded(Reader& in, void* out, std::size_t bytes) {
  std::array<std::byte, 8> pad{};
  return in.read(out, bytes) && in.read(pad.data(), (8 - bytes % 8) % 8) &&
         std::all_of(pad.begin(), pad.end(), [](std::byte b) { return b == std::byte{0}; });
}

}  // namespace

void serializeChunkSums(const std::vector<compression::ChunkSum>& sums,
                        std::vector<std::byte>& out) {
  out.clear();
  for (const compression::ChunkSum& s : sums) {
    const std::array<std::uint8_t, 4> form{static_cast<std::uint8_t>(s.form), 0, 0, 0};
    put(out, form.data(), 4);
    const auto count = static_cast<std::uint32_t>(s.contributors.size());
    put(out, &count, 4);
    putPadded(out, s.contributors.data(), 4 * s.contributors.size());
    switch (s.form) {
      case compression::SumForm::kZero:
        break;
      case compression::SumForm::kList: {
        const std::uint64_t n = s.positions.size();
        put(out, &n, 8);
        put(out, &s.checksum, 8);
        putPadded(out, s.positions.data(), 4 * n);
        put(out, s.values.data(), 8 * n);
        break;
      }
      case compression::SumForm::kTable:
        put(out, &s.table.nnzUpper, 8);
        put(out, &s.table.checksum, 8);
        put(out, s.table.bitmap.data(), 8 * s.table.bitmap.size());
        put(out, s.table.cells.data(), 8 * s.table.cells.size());
        break;
      case compression::SumForm::kDense:
        putPadded(out, s.dense.data(), 4 * s.dense.size());
        break;
    }
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

std::vector<compression::ChunkSummer>& LhcRingCodec::summersFor(std::uint32_t segment,
                                                                std::size_t n) {
  if (summers_.size() <= segment) {
    summers_.resize(segment + 1);
  }
  std::vector<compression::ChunkSummer>& summers = summers_[segment];
  if (summers.empty()) {
    for (std::size_t start = 0, c = 0; start < n; start += compression::kLhcChunkPositions, ++c) {
      compression::LhcGeometry g;
      g.runSeed = runSeed_;
      g.tensorId = segment;
      g.chunkId = static_cast<std::uint32_t>(c);
      g.positions = static_cast<std::uint32_t>(
          std::min<std::size_t>(compression::kLhcChunkPositions, n - start));
      const std::uint64_t capacity = chunkCapacity(capacity_, g.positions);
      g.subtableCells = compression::lhcSubtableCells(capacity);
      g.scaleExp = scaleExp_;
      summers.emplace_back(g, capacity);
    }
  }
  return summers;
}

bool LhcRingCodec::failed(std::uint32_t segment, std::size_t chunk, compression::LhcStatus status) {
  const std::string_view reason = compression::lhcStatusName(status);
  metrics_.counter(fmt::format("lhc_failed_total{{reason=\"{}\"}}", reason)).add();
  failure_ = fmt::format("segment {} chunk {}: {}", segment, chunk, reason);
  return false;
}

bool LhcRingCodec::parse(const std::vector<std::byte>& bytes,
                         const std::vector<compression::ChunkSummer>& summers,
                         std::vector<compression::ChunkSum>& sums) const {
  Reader in(bytes);
  sums.resize(summers.size());
  for (std::size_t c = 0; c < summers.size(); ++c) {
    compression::ChunkSum& s = sums[c];
    const compression::ChunkSummer& summer = summers[c];
    std::array<std::uint8_t, 4> form{};
    std::uint32_t count = 0;
    if (!in.read(form.data(), 4) || form[0] >= compression::kSumForms || form[1] != 0 ||
        form[2] != 0 || form[3] != 0 || !in.read(&count, 4) || count == 0 || count > 4096) {
      return false;
    }
    s.form = static_cast<compression::SumForm>(form[0]);
    s.contributors.resize(count);
    if (!readPadded(in, s.contributors.data(), 4 * std::size_t{count})) {
      return false;
    }
    bool ok = true;
    switch (s.form) {
      case compression::SumForm::kZero:
        break;
      case compression::SumForm::kList: {
        std::uint64_t n = 0;
        ok = in.read(&n, 8) && n <= summer.positions() && in.read(&s.checksum, 8);
        if (ok) {
          s.positions.resize(n);
          s.values.resize(n);
          ok = readPadded(in, s.positions.data(), 4 * n) && in.read(s.values.data(), 8 * n);
        }
        break;
      }
      case compression::SumForm::kTable: {
        const compression::LhcGeometry& g = summer.codec().geometry();
        s.table.geometry = g;
        s.table.contributors = s.contributors;
        s.table.bitmap.resize((std::size_t{g.positions} + 63) / 64);
        s.table.cells.resize(std::size_t{compression::kLhcHashes} * g.subtableCells);
        ok = in.read(&s.table.nnzUpper, 8) && in.read(&s.table.checksum, 8) &&
             in.read(s.table.bitmap.data(), 8 * s.table.bitmap.size()) &&
             in.read(s.table.cells.data(), 8 * s.table.cells.size());
        break;
      }
      case compression::SumForm::kDense:
        s.dense.resize(summer.positions());
        ok = readPadded(in, s.dense.data(), 4 * s.dense.size());
        break;
    }
    if (!ok || summer.validate(s) != compression::LhcStatus::kOk) {
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
  std::vector<compression::ChunkSummer>& summers = summersFor(segment, n);
  MURMUR_CHECK(offset + n <= reference_->size(), "an LHC segment beyond the reference");
  drift_.resize(n);
  const float* ref = reference_->data() + offset;
  for (std::size_t i = 0; i < n; ++i) {
    drift_[i] = values[i] - ref[i];
  }
  if (partial.empty()) {
    sums_.assign(summers.size(), compression::ChunkSum{});
  } else if (!parse(partial, summers, sums_)) {
    return failed(segment, 0, compression::LhcStatus::kMalformed);
  }
  for (std::size_t c = 0; c < summers.size(); ++c) {
    const compression::LhcStatus status =
        summers[c].add(drift_.data() + c * compression::kLhcChunkPositions, rank_, sums_[c]);
    if (status != compression::LhcStatus::kOk) {
      return failed(segment, c, status);
    }
  }
  serializeChunkSums(sums_, partial);
  return true;
}

bool LhcRingCodec::finish(std::uint32_t segment,
                          std::size_t offset,
                          const std::vector<std::byte>& sum,
                          std::size_t members,
                          float* mean,
                          std::size_t n) {
  std::vector<compression::ChunkSummer>& summers = summersFor(segment, n);
  if (!parse(sum, summers, sums_)) {
    return failed(segment, 0, compression::LhcStatus::kMalformed);
  }
  // Every chunk is finished into scratch first: never a partial mean.
  mean_.resize(n);
  const float* ref = reference_->data() + offset;
  const auto divisor = static_cast<double>(members);
  for (std::size_t c = 0; c < summers.size(); ++c) {
    const std::size_t base = c * compression::kLhcChunkPositions;
    const compression::LhcStatus status =
        summers[c].finish(sums_[c], ref + base, divisor, mean_.data() + base);
    if (status != compression::LhcStatus::kOk) {
      failed(segment, c, status);
      if (status == compression::LhcStatus::kStalled) {
        const std::vector<std::uint32_t>& left = summers[c].unresolved();
        metrics_.counter("lhc_unresolved_positions_total").add(static_cast<double>(left.size()));
        failure_ += fmt::format(
            ", {} positions unresolved (first {})", left.size(), left.empty() ? 0 : base + left[0]);
      }
      return false;
    }
  }
  std::copy(mean_.begin(), mean_.end(), mean);
  for (const compression::ChunkSum& s : sums_) {
    metrics_
        .counter(
            fmt::format("lhc_sum_chunks_total{{form=\"{}\"}}", compression::sumFormName(s.form)))
        .add();
  }
  metrics_.counter("lhc_decoded_total").add(static_cast<double>(summers.size()));
  return true;
}

}  // namespace murmur::peer
