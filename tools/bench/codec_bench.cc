#include "tools/bench/codec_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>

#include "compression/codec.h"
#include "compression/lhc.h"
#include "runtime/blob.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace murmur::bench {
namespace {

using Clock = std::chrono::steady_clock;

template <typename Fn>
double bestSeconds(int repeats, Fn&& pass) {
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    pass();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

// Weights of a trained-looking model: normal, σ = 0.05.
std::shared_ptr<std::vector<float>> denseModel(std::size_t d) {
  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal(0.0F, 0.05F);
  auto x = std::make_shared<std::vector<float>>(d);
  for (float& v : *x) {
    v = normal(rng);
  }
  return x;
}

// K sparse updates at `density`, independent supports.
std::vector<std::vector<float>> sparseUpdates(std::size_t d, double density, int k) {
  std::mt19937_64 rng(2);
  std::normal_distribution<float> normal(0.0F, 0.01F);
  std::bernoulli_distribution keep(density);
  std::vector<std::vector<float>> xs(static_cast<std::size_t>(k), std::vector<float>(d, 0.0F));
  for (auto& x : xs) {
    for (float& v : x) {
      if (keep(rng)) {
        v = normal(rng);
      }
    }
  }
  return xs;
}

struct LhcRow {
  double density = 0;
  int k = 0;
  double encodeSeconds = 0;     // one contributor
  double aggregateSeconds = 0;  // K − 1 adds
  double decodeSeconds = 0;     // one decode of the sum
  double decodeSumEncodeSeconds = 0;
  double bytesRatio = 0;        // LHC payload / 4d
  double cooRatio = 0;          // index/value list of one contribution / 4d
  double unionPackedRatio = 0;  // bitmap + union values (two rounds) / 4d
  int failures = 0;
};

LhcRow lhcRow(std::size_t d, double density, int k, int repeats) {
  LhcRow row;
  row.density = density;
  row.k = k;
  const std::vector<std::vector<float>> xs = sparseUpdates(d, density, k);
  double maxAbs = 0;
  std::size_t nnzTotal = 0;
  std::vector<std::uint8_t> inUnion(d, 0);
  for (const auto& x : xs) {
    for (std::size_t p = 0; p < d; ++p) {
      if (x[p] != 0) {
        maxAbs = std::max(maxAbs, std::fabs(static_cast<double>(x[p])));
        ++nnzTotal;
        inUnion[p] = 1;
      }
    }
  }
  const auto unionSize =
      static_cast<double>(std::count(inUnion.begin(), inUnion.end(), std::uint8_t{1}));
  const std::size_t chunks =
      (d + compression::kLhcChunkPositions - 1) / compression::kLhcChunkPositions;
  std::vector<compression::LhcCodec> codecs;
  for (std::size_t c = 0; c < chunks; ++c) {
    compression::LhcGeometry g;
    g.runSeed = 7;
    g.chunkId = static_cast<std::uint32_t>(c);
    g.positions = static_cast<std::uint32_t>(std::min<std::size_t>(
        compression::kLhcChunkPositions, d - c * compression::kLhcChunkPositions));
    // Σ nnz of the contributors over this chunk's share: the pre-round's (over)estimate.
    g.subtableCells = compression::lhcSubtableCells(static_cast<std::uint64_t>(
        std::ceil(static_cast<double>(nnzTotal) * g.positions / static_cast<double>(d))));
    g.scaleExp = compression::lhcScaleExp(maxAbs);
    codecs.emplace_back(g);
  }
  auto encodeAll = [&](const float* x, std::uint32_t id, std::vector<compression::LhcChunk>& out) {
    out.resize(chunks);
    for (std::size_t c = 0; c < chunks; ++c) {
      codecs[c].encode(x + c * compression::kLhcChunkPositions, id, out[c]);
    }
  };
  std::vector<std::vector<compression::LhcChunk>> encoded(static_cast<std::size_t>(k));
  for (int w = 0; w < k; ++w) {
    encodeAll(xs[static_cast<std::size_t>(w)].data(),
              static_cast<std::uint32_t>(w),
              encoded[static_cast<std::size_t>(w)]);
  }
  row.encodeSeconds = bestSeconds(repeats, [&] { encodeAll(xs[0].data(), 0, encoded[0]); });
  std::vector<compression::LhcChunk> sum;
  row.aggregateSeconds = bestSeconds(repeats, [&] {
    sum = encoded[0];  // a relay adds into (a copy of) the first payload
    for (int w = 1; w < k; ++w) {
      for (std::size_t c = 0; c < chunks; ++c) {
        compression::LhcCodec::add(sum[c], encoded[static_cast<std::size_t>(w)][c]);
      }
    }
  });
  compression::LhcDecoded decoded;
  std::vector<float> dense(d);
  row.decodeSeconds = bestSeconds(repeats, [&] {
    row.failures = 0;
    for (std::size_t c = 0; c < chunks; ++c) {
      if (codecs[c].decode(sum[c], decoded) != compression::LhcStatus::kOk) {
        ++row.failures;
        continue;
      }
      codecs[c].toFloat(decoded, 1.0, dense.data() + c * compression::kLhcChunkPositions);
    }
  });
  std::vector<float> total(d);
  std::vector<compression::LhcChunk> reencoded;
  row.decodeSumEncodeSeconds = bestSeconds(repeats, [&] {
    std::fill(total.begin(), total.end(), 0.0F);
    for (int w = 0; w < k; ++w) {
      for (std::size_t c = 0; c < chunks; ++c) {
        if (codecs[c].decode(encoded[static_cast<std::size_t>(w)][c], decoded) !=
            compression::LhcStatus::kOk) {
          continue;
        }
        float* out = total.data() + c * compression::kLhcChunkPositions;
        for (std::size_t r = 0; r < decoded.positions.size(); ++r) {
          out[decoded.positions[r]] += static_cast<float>(
              std::ldexp(static_cast<double>(decoded.values[r]), -codecs[c].geometry().scaleExp));
        }
      }
    }
    encodeAll(total.data(), 0, reencoded);
  });
  std::size_t bytes = 0;
  for (const compression::LhcChunk& c : sum) {
    bytes += c.wireBytes() + 64;  // + header
  }
  const double dense4 = 4.0 * static_cast<double>(d);
  row.bytesRatio = static_cast<double>(bytes) / dense4;
  row.cooRatio = 8.0 * static_cast<double>(nnzTotal) / k / dense4;
  row.unionPackedRatio = (static_cast<double>(d) / 8 + 8 * unionSize) / dense4;
  return row;
}

}  // namespace

int codecCommand(const CodecBenchOptions& o, bool json) {
  const std::size_t d = o.params;
  const double dense4 = 4.0 * static_cast<double>(d);
  const double gb = dense4 / 1e9;
  auto model = denseModel(d);
  std::vector<float> copy(d);
  const double memcpySeconds =
      bestSeconds(o.repeats, [&] { std::memcpy(copy.data(), model->data(), d * sizeof(float)); });
  const double memcpyGbps = gb / memcpySeconds;
  nlohmann::json rows = nlohmann::json::array();
  for (compression::CodecId id : {compression::CodecId::kRaw,
                                  compression::CodecId::kFp16,
                                  compression::CodecId::kBf16,
                                  compression::CodecId::kLossless}) {
    const compression::Codec& codec = compression::codecFor(id);
    auto scratch = std::make_shared<std::vector<std::byte>>();
    auto out = std::make_shared<std::vector<float>>(d);
    runtime::Blob encoded;
    const double encodeSeconds =
        bestSeconds(o.repeats, [&] { encoded = codec.encode(runtime::floatBlob(model), scratch); });
    const double decodeSeconds = bestSeconds(o.repeats, [&] { codec.decode(encoded, d, out); });
    // raw's encode is zero-copy (the snapshot is the payload): nothing to time.
    const bool zeroCopy = id == compression::CodecId::kRaw;
    rows.push_back(
        {{"codec", compression::codecName(id)},
         {"d", d},
         {"encode_gbps", zeroCopy ? nlohmann::json(nullptr) : nlohmann::json(gb / encodeSeconds)},
         {"decode_gbps", gb / decodeSeconds},
         {"memcpy_gbps", memcpyGbps},
         {"encode_vs_memcpy",
          zeroCopy ? nlohmann::json(nullptr) : nlohmann::json(memcpySeconds / encodeSeconds)},
         {"decode_vs_memcpy", memcpySeconds / decodeSeconds},
         {"bytes_ratio", static_cast<double>(encoded.bytes) / dense4}});
  }
  for (double density : o.densities) {
    for (int k : o.contributors) {
      const LhcRow r = lhcRow(d, density, k, o.repeats);
      rows.push_back(
          {{"codec", "lhc"},
           {"d", d},
           {"density", density},
           {"K", k},
           {"domain", "I64"},
           {"threads", 1},
           {"encode_gbps", gb / r.encodeSeconds},
           {"aggregate_gbps", gb * (k - 1) / r.aggregateSeconds},
           {"decode_gbps", gb / r.decodeSeconds},
           {"memcpy_gbps", memcpyGbps},
           {"encode_vs_memcpy", memcpySeconds / r.encodeSeconds},
           {"decode_vs_memcpy", memcpySeconds / r.decodeSeconds},
           {"bytes_ratio", r.bytesRatio},
           {"coo_bytes_ratio", r.cooRatio},
           {"union_packed_bytes_ratio", r.unionPackedRatio},
           {"speedup_vs_decode_sum_encode", r.decodeSumEncodeSeconds / r.aggregateSeconds},
           {"failures", r.failures}});
    }
  }
  if (json) {
    std::puts(
        nlohmann::json{{"params", d}, {"memcpy_gbps", memcpyGbps}, {"rows", rows}}.dump().c_str());
    return 0;
  }
  std::printf("d = %zu float32 (%.0f MB); memcpy %.2f GB/s; dense-equivalent GB/s (4d / time)\n",
              d,
              dense4 / 1e6,
              memcpyGbps);
  auto number = [](const nlohmann::json& v, const char* format) {
    return v.is_null() ? std::string("zero-copy") : fmt::format(format, v.get<double>());
  };
  std::printf("  %-9s %8s %5s %10s %10s %10s %9s %9s %12s %8s\n",
              "codec",
              "density",
              "K",
              "encode",
              "aggregate",
              "decode",
              "enc/mcp",
              "bytes/4d",
              "agg vs d-s-e",
              "failed");
  for (const nlohmann::json& row : rows) {
    std::printf(
        "  %-9s %8s %5s %10s %10s %10.2f %9s %9.4f %12s %8s\n",
        row["codec"].get<std::string>().c_str(),
        row.contains("density") ? fmt::format("{:g}", row["density"].get<double>()).c_str()
                                : "dense",
        row.contains("K") ? fmt::format("{}", row["K"].get<int>()).c_str() : "",
        number(row["encode_gbps"], "{:.2f}").c_str(),
        row.contains("aggregate_gbps")
            ? fmt::format("{:.2f}", row["aggregate_gbps"].get<double>()).c_str()
            : "",
        row["decode_gbps"].get<double>(),
        number(row["encode_vs_memcpy"], "{:.3f}").c_str(),
        row["bytes_ratio"].get<double>(),
        row.contains("speedup_vs_decode_sum_encode")
            ? fmt::format("{:.1f}x", row["speedup_vs_decode_sum_encode"].get<double>()).c_str()
            : "",
        row.contains("failures") ? fmt::format("{}", row["failures"].get<int>()).c_str() : "");
  }
  return 0;
}

}  // namespace murmur::bench
