#include "compression/lhc.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>

#include "runtime/error.h"

namespace murmur::compression {
namespace {

std::size_t bitmapWords(std::uint32_t positions) {
  return (std::size_t{positions} + 63) / 64;
}

// key(j, i) of specs/lhc.md §2: one mixer call per (hash, position).
std::uint64_t key(std::uint64_t chunkSeed, std::uint32_t j, std::uint32_t i) {
  return mix64(chunkSeed ^ ((std::uint64_t{j} << 32) | i));
}

// Wrapping cell arithmetic: cells hold int64 values mod 2⁶⁴, so every order of additions gives
// the same bits. Signed overflow would be undefined; unsigned wraps.
void addSigned(std::uint64_t& cell, std::int64_t sign, std::uint64_t value) {
  cell = sign > 0 ? cell + value : cell - value;
}

}  // namespace

bool sortedUnique(const std::vector<std::uint32_t>& ids) {
  return std::adjacent_find(ids.begin(), ids.end(), [](std::uint32_t a, std::uint32_t b) {
           return a >= b;
         }) == ids.end();
}

std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

bool LhcGeometry::operator==(const LhcGeometry& other) const {
  return runSeed == other.runSeed && tensorId == other.tensorId && chunkId == other.chunkId &&
         positions == other.positions && subtableCells == other.subtableCells &&
         scaleExp == other.scaleExp && guardBits == other.guardBits;
}

double lhcDefaultMargin(std::uint64_t capacity) {
  if (capacity >= 10000) {
    return 1.3;
  }
  return capacity >= 1000 ? 1.5 : 2.0;
}

std::uint32_t lhcSubtableCells(std::uint64_t capacity, double margin) {
  const double c = margin > 0 ? margin : lhcDefaultMargin(capacity);
  const double cells = std::ceil(c * static_cast<double>(capacity) / kLhcHashes);
  MURMUR_REQUIRE(cells < 4.0e9, "LHC capacity ", capacity, " needs too many cells");
  return std::max(kLhcMinSubtableCells, static_cast<std::uint32_t>(cells));
}

std::int32_t lhcScaleExp(double maxAbs, int guardBits) {
  MURMUR_REQUIRE(std::isfinite(maxAbs), "LHC scale of a non-finite bound");
  int exponent = 0;  // maxAbs = m·2^exponent with m in [0.5, 1), so maxAbs < 2^exponent
  if (maxAbs != 0) {
    std::frexp(maxAbs, &exponent);
  }
  return 62 - guardBits - exponent;
}

std::string_view lhcStatusName(LhcStatus status) {
  switch (status) {
    case LhcStatus::kOk:
      return "ok";
    case LhcStatus::kNonFinite:
      return "nonfinite";
    case LhcStatus::kOverflow:
      return "overflow";
    case LhcStatus::kStalled:
      return "stalled";
    case LhcStatus::kInconsistent:
      return "inconsistent";
    case LhcStatus::kGeometryMismatch:
      return "geometry_mismatch";
    case LhcStatus::kOverlap:
      return "overlapping_contributors";
    case LhcStatus::kMalformed:
      return "malformed";
  }
  return "unknown";
}

LhcCodec::LhcCodec(LhcGeometry geometry) : geometry_(geometry) {
  MURMUR_REQUIRE(geometry.positions > 0 && geometry.positions <= kLhcChunkPositions,
                 "LHC chunk of ",
                 geometry.positions,
                 " positions (1 to ",
                 kLhcChunkPositions,
                 ")");
  MURMUR_REQUIRE(geometry.subtableCells >= kLhcMinSubtableCells,
                 "LHC subtable of ",
                 geometry.subtableCells,
                 " cells (at least ",
                 kLhcMinSubtableCells,
                 ")");
  MURMUR_REQUIRE(
      geometry.guardBits >= 0 && geometry.guardBits <= 30, "LHC guard bits ", geometry.guardBits);
  MURMUR_REQUIRE(geometry.scaleExp > -1000 && geometry.scaleExp < 1000,
                 "LHC scale exponent ",
                 geometry.scaleExp);
  chunkSeed_ =
      mix64(geometry.runSeed ^ mix64((std::uint64_t{geometry.tensorId} << 32) | geometry.chunkId));
  scale_ = std::ldexp(1.0, geometry.scaleExp);
  limit_ = std::int64_t{1} << (62 - geometry.guardBits);
}

std::uint32_t LhcCodec::cell(std::uint32_t j, std::uint32_t p) const {
  const std::uint64_t w = geometry_.subtableCells;
  return static_cast<std::uint32_t>(j * w + (((key(chunkSeed_, j, p) >> 32) * w) >> 32));
}

std::int64_t LhcCodec::sign(std::uint32_t j, std::uint32_t p) const {
  return 1 - 2 * static_cast<std::int64_t>(key(chunkSeed_, j, p) & 1);
}

std::uint64_t LhcCodec::checksumWeight(std::uint32_t p) const {
  return key(chunkSeed_, 3, p);
}

std::int64_t LhcCodec::quantize(float x) const {
  return static_cast<std::int64_t>(std::nearbyint(static_cast<double>(x) * scale_));
}

void LhcCodec::clear(LhcChunk& chunk) const {
  chunk.geometry = geometry_;
  chunk.bitmap.assign(bitmapWords(geometry_.positions), 0);
  chunk.cells.assign(std::size_t{kLhcHashes} * geometry_.subtableCells, 0);
  chunk.nnzUpper = 0;
  chunk.checksum = 0;
}

void LhcCodec::scatter(std::uint32_t p, std::uint64_t quantized, LhcChunk& chunk) const {
  chunk.bitmap[p / 64] |= std::uint64_t{1} << (p % 64);
  for (std::uint32_t j = 0; j < kLhcHashes; ++j) {
    addSigned(chunk.cells[cell(j, p)], sign(j, p), quantized);
  }
  chunk.checksum += quantized * checksumWeight(p);
}

LhcStatus LhcCodec::encode(const float* x, std::uint32_t id, LhcChunk& out) const {
  clear(out);
  out.contributors.assign(1, id);
  std::uint64_t nnz = 0;
  const LhcStatus status = forEachQuantized(x, [&](std::uint32_t p, std::int64_t q) {
    scatter(p, static_cast<std::uint64_t>(q), out);
    ++nnz;
  });
  out.nnzUpper = nnz;
  return status;
}

void LhcCodec::insert(const std::uint32_t* positions,
                      const std::int64_t* q,
                      std::size_t n,
                      LhcChunk& chunk) const {
  for (std::size_t i = 0; i < n; ++i) {
    MURMUR_CHECK(positions[i] < geometry_.positions, "an LHC entry beyond its chunk");
    scatter(positions[i], static_cast<std::uint64_t>(q[i]), chunk);
  }
  chunk.nnzUpper += n;
}

LhcStatus LhcCodec::add(LhcChunk& acc, const LhcChunk& in) {
  if (acc.geometry != in.geometry || acc.bitmap.size() != in.bitmap.size() ||
      acc.cells.size() != in.cells.size()) {
    return LhcStatus::kGeometryMismatch;
  }
  std::vector<std::uint32_t> merged;
  merged.reserve(acc.contributors.size() + in.contributors.size());
  std::merge(acc.contributors.begin(),
             acc.contributors.end(),
             in.contributors.begin(),
             in.contributors.end(),
             std::back_inserter(merged));
  if (!sortedUnique(merged)) {
    return LhcStatus::kOverlap;  // addition is not idempotent: a relay must not double-count
  }
  acc.contributors = std::move(merged);
  for (std::size_t w = 0; w < acc.bitmap.size(); ++w) {
    acc.bitmap[w] |= in.bitmap[w];
  }
  for (std::size_t h = 0; h < acc.cells.size(); ++h) {
    acc.cells[h] += in.cells[h];
  }
  acc.checksum += in.checksum;
  acc.nnzUpper += in.nnzUpper;
  return LhcStatus::kOk;
}

LhcStatus LhcCodec::validate(const LhcChunk& chunk) const {
  if (chunk.geometry != geometry_) {
    return LhcStatus::kGeometryMismatch;
  }
  const std::size_t words = bitmapWords(geometry_.positions);
  if (chunk.bitmap.size() != words ||
      chunk.cells.size() != std::size_t{kLhcHashes} * geometry_.subtableCells ||
      chunk.contributors.empty() || !sortedUnique(chunk.contributors)) {
    return LhcStatus::kMalformed;
  }
  const std::uint32_t tail = geometry_.positions % 64;
  if (tail != 0 && (chunk.bitmap[words - 1] >> tail) != 0) {
    return LhcStatus::kMalformed;  // a bit past the end of the chunk
  }
  return LhcStatus::kOk;
}

LhcStatus LhcCodec::decode(const LhcChunk& chunk, LhcDecoded& out) const {
  MURMUR_REQUIRE(validate(chunk) == LhcStatus::kOk,
                 "decoding an LHC chunk that does not validate: ",
                 lhcStatusName(validate(chunk)));
  const std::size_t words = chunk.bitmap.size();
  const std::size_t cellCount = chunk.cells.size();

  // The union U in ascending order, and a popcount prefix so rank(p) is two lookups.
  out.rankPrefix.resize(words + 1);
  out.positions.clear();
  std::uint32_t total = 0;
  for (std::size_t w = 0; w < words; ++w) {
    out.rankPrefix[w] = total;
    for (std::uint64_t bits = chunk.bitmap[w]; bits != 0; bits &= bits - 1) {
      out.positions.push_back(
          static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits))));
    }
    total += static_cast<std::uint32_t>(__builtin_popcountll(chunk.bitmap[w]));
  }
  out.rankPrefix[words] = total;
  const auto rank = [&](std::uint32_t p) {
    const std::uint64_t below = chunk.bitmap[p / 64] & ((std::uint64_t{1} << (p % 64)) - 1);
    return out.rankPrefix[p / 64] + static_cast<std::uint32_t>(__builtin_popcountll(below));
  };

  out.degree.assign(cellCount, 0);
  out.xorPositions.assign(cellCount, 0);
  out.cells.assign(chunk.cells.begin(), chunk.cells.end());
  for (std::uint32_t p : out.positions) {
    for (std::uint32_t j = 0; j < kLhcHashes; ++j) {
      const std::uint32_t h = cell(j, p);
      ++out.degree[h];
      out.xorPositions[h] ^= p;
    }
  }
  out.queue.clear();
  for (std::size_t h = 0; h < cellCount; ++h) {
    if (out.degree[h] == 0 && out.cells[h] != 0) {
      return LhcStatus::kInconsistent;  // a value where no position of U lands
    }
    if (out.degree[h] == 1) {
      out.queue.push_back(static_cast<std::uint32_t>(h));
    }
  }

  // Peel: a cell with one unsolved position left names it (the XOR of one position is itself)
  // and holds its signed value; subtract it from its other cells, which may free them in turn.
  out.values.assign(out.positions.size(), 0);
  out.solved.assign(out.positions.size(), 0);
  std::size_t resolved = 0;
  const std::uint32_t w = geometry_.subtableCells;
  for (std::size_t next = 0; next < out.queue.size(); ++next) {
    const std::uint32_t h = out.queue[next];
    if (out.degree[h] != 1) {
      continue;
    }
    const std::uint32_t p = out.xorPositions[h];
    const std::uint64_t signedValue = sign(h / w, p) > 0 ? out.cells[h] : 0 - out.cells[h];
    const std::uint32_t r = rank(p);
    out.values[r] = static_cast<std::int64_t>(signedValue);
    out.solved[r] = 1;
    ++resolved;
    for (std::uint32_t j = 0; j < kLhcHashes; ++j) {
      const std::uint32_t g = cell(j, p);
      addSigned(out.cells[g], -sign(j, p), signedValue);
      out.xorPositions[g] ^= p;
      if (--out.degree[g] == 1) {
        out.queue.push_back(g);
      }
    }
  }

  out.unresolved.clear();
  if (resolved < out.positions.size()) {
    for (std::size_t r = 0; r < out.positions.size(); ++r) {
      if (out.solved[r] == 0) {
        out.unresolved.push_back(out.positions[r]);
      }
    }
    return LhcStatus::kStalled;
  }
  // The ≈ 0.3·n_u spare cells are parity checks, the checksum a second, independent one.
  if (std::any_of(out.cells.begin(), out.cells.end(), [](std::uint64_t c) { return c != 0; })) {
    return LhcStatus::kInconsistent;
  }
  std::uint64_t checksum = 0;
  for (std::size_t r = 0; r < out.positions.size(); ++r) {
    checksum += static_cast<std::uint64_t>(out.values[r]) * checksumWeight(out.positions[r]);
  }
  return checksum == chunk.checksum ? LhcStatus::kOk : LhcStatus::kInconsistent;
}

void LhcCodec::toFloat(const LhcDecoded& decoded, double divisor, float* dense) const {
  MURMUR_REQUIRE(divisor > 0, "LHC divisor ", divisor);
  std::memset(dense, 0, sizeof(float) * geometry_.positions);
  const double unit = std::ldexp(1.0, -geometry_.scaleExp) / divisor;
  for (std::size_t r = 0; r < decoded.positions.size(); ++r) {
    dense[decoded.positions[r]] = static_cast<float>(static_cast<double>(decoded.values[r]) * unit);
  }
}

}  // namespace murmur::compression
