// The CUDA kernels (issue 7) against their CPU implementations on random inputs: the exact paths
// (A²CiD²'s fused mix + apply, LHC encode and add) bit for bit, the double reductions (LBGM's dot
// products, the AMS sketch) within 1e-12 relative. Without a GPU, or in a build without CUDA,
// every test is reported as skipped with the reason, never as passed.
#include <gtest/gtest.h>

#ifdef MURMUR_HAVE_CUDA

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "compression/lbgm_kernels.h"
#include "compression/lhc.h"
#include "compression/lhc_kernels.h"
#include "momentum/acid_constants.h"
#include "momentum/acid_kernels.h"
#include "momentum/acid_state.h"
#include "runtime/cuda_device.h"
#include "sync/ams_sketch.h"
#include "sync/ams_sketch_kernels.h"

namespace murmur {
namespace {

using runtime::cuda::DeviceBuffer;

#define MURMUR_SKIP_WITHOUT_GPU()                                                 \
  if (const std::string why = runtime::cuda::unavailableReason(); !why.empty()) { \
    GTEST_SKIP() << why;                                                          \
  }

std::vector<float> randomFloats(std::size_t n, std::mt19937_64& rng, float scale = 1.0F) {
  std::normal_distribution<float> normal(0.0F, scale);
  std::vector<float> v(n);
  for (float& x : v) {
    x = normal(rng);
  }
  return v;
}

template <typename T>
DeviceBuffer onDevice(const std::vector<T>& host) {
  DeviceBuffer buffer(host.size() * sizeof(T));
  buffer.upload(host.data(), buffer.bytes());
  return buffer;
}

template <typename T>
std::vector<T> fromDevice(const DeviceBuffer& buffer, std::size_t n) {
  std::vector<T> host(n);
  buffer.download(host.data(), n * sizeof(T));
  return host;
}

TEST(CudaKernels, FusedMixAndApplyIsBitIdenticalToTheCpuPass) {
  MURMUR_SKIP_WITHOUT_GPU();
  std::printf("device: %s\n", runtime::cuda::deviceName().c_str());
  constexpr std::size_t kN = 1000003;
  std::mt19937_64 rng(1);
  for (const bool baseline : {false, true}) {
    std::vector<float> x = randomFloats(kN, rng);
    const std::vector<float> peer = randomFloats(kN, rng);
    const std::vector<float> self = randomFloats(kN, rng);
    const momentum::AcidParams params =
        baseline ? momentum::AcidParams{0.0, 0.5} : momentum::AcidParams{0.7, 1.3};
    // The CPU: a state that has drifted a gap, then a fused exchange 0.37 time units later.
    std::vector<float> cpu = x;
    momentum::AcidState state(cpu.data(), kN, params, 0.0);
    state.applyExchange(randomFloats(kN, rng).data(), self.data());  // some gap
    std::vector<float> gap(kN, 0.0F);
    if (!baseline) {
      gap.assign(state.gap(), state.gap() + kN);
    }
    std::vector<float> before = cpu;
    state.mixAndApplyExchange(0.37, peer.data(), self.data());

    DeviceBuffer dx = onDevice(before);
    DeviceBuffer dd = onDevice(gap);
    DeviceBuffer dpeer = onDevice(peer);
    DeviceBuffer dself = onDevice(self);
    momentum::cuda::mixAndApply(dx.as<float>(),
                                baseline ? nullptr : dd.as<float>(),
                                kN,
                                static_cast<float>(momentum::mixingFraction(params.eta, 0.37)),
                                static_cast<float>(std::exp(-2.0 * params.eta * 0.37)),
                                static_cast<float>(params.alphaTilde - 0.5),
                                dpeer.as<float>(),
                                dself.as<float>(),
                                nullptr);
    runtime::cuda::synchronize(nullptr);
    EXPECT_EQ(std::memcmp(fromDevice<float>(dx, kN).data(), cpu.data(), kN * sizeof(float)), 0)
        << (baseline ? "baseline" : "A²CiD²") << ": x differs";
    if (!baseline) {
      EXPECT_EQ(std::memcmp(fromDevice<float>(dd, kN).data(), state.gap(), kN * sizeof(float)), 0)
          << "the gap differs";
    }
  }
}

TEST(CudaKernels, LhcEncodeAndAddGiveTheCpuPayloadByteForByte) {
  MURMUR_SKIP_WITHOUT_GPU();
  std::mt19937_64 rng(2);
  compression::LhcGeometry g;
  g.runSeed = 9;
  g.tensorId = 3;
  g.positions = 300007;
  g.subtableCells = compression::lhcSubtableCells(30000);
  g.scaleExp = compression::lhcScaleExp(8.0);
  const compression::LhcCodec codec(g);
  std::vector<std::vector<float>> xs;
  for (int w = 0; w < 2; ++w) {
    std::vector<float> x(g.positions, 0.0F);
    for (int i = 0; i < 12000; ++i) {
      x[rng() % g.positions] = std::ldexp(static_cast<float>(rng() % 4001) - 2000.0F, -9);
    }
    xs.push_back(x);
  }
  std::vector<compression::LhcChunk> cpu(2);
  for (std::uint32_t w = 0; w < 2; ++w) {
    ASSERT_EQ(codec.encode(xs[w].data(), w, cpu[w]), compression::LhcStatus::kOk);
  }
  const std::size_t words = cpu[0].bitmap.size();
  const std::size_t cells = cpu[0].cells.size();
  std::vector<DeviceBuffer> bitmaps;
  std::vector<DeviceBuffer> tables;
  for (std::uint32_t w = 0; w < 2; ++w) {
    DeviceBuffer dx = onDevice(xs[w]);
    bitmaps.emplace_back(words * 8);
    tables.emplace_back(cells * 8);
    DeviceBuffer totals(sizeof(compression::cuda::LhcEncodeTotals));
    compression::cuda::lhcEncode(codec,
                                 dx.as<float>(),
                                 bitmaps[w].as<std::uint64_t>(),
                                 tables[w].as<std::uint64_t>(),
                                 totals.as<compression::cuda::LhcEncodeTotals>(),
                                 nullptr);
    runtime::cuda::synchronize(nullptr);
    compression::cuda::LhcEncodeTotals t{};
    totals.download(&t, sizeof(t));
    EXPECT_EQ(t.nnz, cpu[w].nnzUpper);
    EXPECT_EQ(t.checksum, cpu[w].checksum);
    EXPECT_EQ(t.nonFinite + t.overflow, 0U);
    EXPECT_EQ(fromDevice<std::uint64_t>(bitmaps[w], words), cpu[w].bitmap);
    EXPECT_EQ(fromDevice<std::uint64_t>(tables[w], cells), cpu[w].cells);
  }
  ASSERT_EQ(compression::LhcCodec::add(cpu[0], cpu[1]), compression::LhcStatus::kOk);
  compression::cuda::lhcAdd(bitmaps[0].as<std::uint64_t>(),
                            bitmaps[1].as<std::uint64_t>(),
                            words,
                            tables[0].as<std::uint64_t>(),
                            tables[1].as<std::uint64_t>(),
                            cells,
                            nullptr);
  runtime::cuda::synchronize(nullptr);
  EXPECT_EQ(fromDevice<std::uint64_t>(bitmaps[0], words), cpu[0].bitmap);
  EXPECT_EQ(fromDevice<std::uint64_t>(tables[0], cells), cpu[0].cells);

  std::vector<float> bad = xs[0];
  bad[17] = std::nanf("");
  bad[18] = 1e9F;
  DeviceBuffer dbad = onDevice(bad);
  DeviceBuffer totals(sizeof(compression::cuda::LhcEncodeTotals));
  compression::cuda::lhcEncode(codec,
                               dbad.as<float>(),
                               bitmaps[1].as<std::uint64_t>(),
                               tables[1].as<std::uint64_t>(),
                               totals.as<compression::cuda::LhcEncodeTotals>(),
                               nullptr);
  runtime::cuda::synchronize(nullptr);
  compression::cuda::LhcEncodeTotals t{};
  totals.download(&t, sizeof(t));
  EXPECT_EQ(t.nonFinite, 1U);
  EXPECT_EQ(t.overflow, 1U);
}

TEST(CudaKernels, DotProductsAgreeWithTheCpuInDouble) {
  MURMUR_SKIP_WITHOUT_GPU();
  std::mt19937_64 rng(3);
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{4000037}}) {
    const std::vector<float> a = randomFloats(n, rng);
    const std::vector<float> b = randomFloats(n, rng);
    double cpu = 0;
    for (std::size_t i = 0; i < n; ++i) {
      cpu += static_cast<double>(a[i]) * static_cast<double>(b[i]);
    }
    DeviceBuffer da = onDevice(a);
    DeviceBuffer db = onDevice(b);
    DeviceBuffer out(sizeof(double));
    compression::cuda::dot64(da.as<float>(), db.as<float>(), n, out.as<double>(), nullptr);
    runtime::cuda::synchronize(nullptr);
    double gpu = 0;
    out.download(&gpu, sizeof(gpu));
    EXPECT_NEAR(gpu, cpu, 1e-12 * std::max(1.0, std::sqrt(static_cast<double>(n)))) << n;
  }
}

TEST(CudaKernels, AmsSketchIsTheCpuSketch) {
  MURMUR_SKIP_WITHOUT_GPU();
  std::mt19937_64 rng(4);
  constexpr std::size_t kN = 500009;
  const std::vector<float> v = randomFloats(kN, rng);
  sync::AmsSketch cpu(sync::SketchShape{5, 250}, 42);
  cpu.add(v.data(), kN, 100);
  DeviceBuffer dv = onDevice(v);
  DeviceBuffer coefficients = onDevice(cpu.coefficients());
  DeviceBuffer cells(cpu.cells().size() * sizeof(double));
  cells.zero();
  sync::cuda::amsSketchAdd(dv.as<float>(),
                           kN,
                           100,
                           cpu.shape(),
                           coefficients.as<std::uint64_t>(),
                           cells.as<double>(),
                           nullptr);
  runtime::cuda::synchronize(nullptr);
  const std::vector<double> gpu = fromDevice<double>(cells, cpu.cells().size());
  for (std::size_t k = 0; k < gpu.size(); ++k) {
    ASSERT_NEAR(gpu[k], cpu.cells()[k], 1e-9 * std::max(1.0, std::fabs(cpu.cells()[k]))) << k;
  }
}

}  // namespace
}  // namespace murmur

#else

TEST(CudaKernels, SkippedInABuildWithoutCuda) {
  GTEST_SKIP() << "built without MURMUR_CUDA (no nvcc at configure time, or a sanitizer build): "
                  "the CUDA kernels were not compiled";
}

#endif
