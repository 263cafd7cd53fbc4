// Exchange codecs between two in-memory peers: whatever the codec, both ends of an exchange mix
// with the same two vectors (so the swarm's mean stays exact), and an LBGM publish that cannot be
// applied is refused without touching the receiver's copy, then recovered from by a RESET.
#include "peer/exchange_codec.h"

#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "runtime/error.h"

#include <fmt/format.h>

namespace murmur::peer {
namespace {

const std::vector<std::size_t> kTensors = {150, 6, 2400, 16, 4000, 120};
constexpr std::size_t kNumel = 150 + 6 + 2400 + 16 + 4000 + 120;

const runtime::PeerId kAlice{0};
const runtime::PeerId kBob{1};

// A peer's side: its parameters (drifting like SGD) and its codec.
struct Side {
  Side(compression::CodecId codec,
       std::uint64_t seed,
       double topk = 0,
       double gamma = 0.5,
       double delta = 0.5,
       bool sign = false)
      : pool(kNumel),
        codec(ExchangeCodecOptions{codec, delta, kTensors, 16, topk, gamma, sign},
              kNumel,
              pool,
              metrics),
        rng(seed),
        x(kNumel),
        direction(kNumel) {
    std::normal_distribution<float> normal(0.0F, 0.1F);
    for (std::size_t i = 0; i < kNumel; ++i) {
      x[i] = normal(rng);
      direction[i] = normal(rng) * 0.01F;
    }
  }

  std::shared_ptr<BufferPool::Buffer> snapshot() {
    std::normal_distribution<float> noise(0.0F, 0.0005F);
    for (std::size_t i = 0; i < kNumel; ++i) {
      x[i] += direction[i] + noise(rng);
    }
    std::shared_ptr<BufferPool::Buffer> s = pool.acquire();
    std::memcpy(s->data(), x.data(), kNumel * sizeof(float));
    return s;
  }

  BufferPool pool;
  runtime::MetricsRegistry metrics;
  ExchangeCodec codec;
  std::mt19937_64 rng;
  std::vector<float> x;
  std::vector<float> direction;
};

void expectSameValues(const float* a, const float* b, const char* what) {
  ASSERT_EQ(std::memcmp(a, b, kNumel * sizeof(float)), 0) << what;
}

// One exchange, alice initiating: bob's ACCEPT publish (built on what alice's PROPOSE said she
// holds), then alice's PARAMS publish (built on what bob's ACCEPT said).
void exchange(Side& alice, Side& bob) {
  EncodedSnapshot accept = bob.codec.encode(kAlice, alice.codec.heldSeq(kBob), bob.snapshot());
  runtime::Blob bobAtAlice = alice.codec.decode(kBob, accept.info, accept.lbgm, accept.payload);
  EncodedSnapshot params = alice.codec.encode(kBob, bob.codec.heldSeq(kAlice), alice.snapshot());
  runtime::Blob aliceAtBob = bob.codec.decode(kAlice, params.info, params.lbgm, params.payload);
  expectSameValues(bobAtAlice.as<float>(), accept.selfView->data(), "bob's view");
  expectSameValues(aliceAtBob.as<float>(), params.selfView->data(), "alice's view");
}

TEST(ExchangeCodec, BothEndsMixWithTheSameVectorsUnderEveryCodec) {
  for (compression::CodecId id : {compression::CodecId::kRaw,
                                  compression::CodecId::kFp16,
                                  compression::CodecId::kBf16,
                                  compression::CodecId::kLossless,
                                  compression::CodecId::kLbgm}) {
    SCOPED_TRACE(std::string(compression::codecName(id)));
    Side alice(id, 1);
    Side bob(id, 2);
    for (int t = 0; t < 200; ++t) {
      exchange(alice, bob);
      if (::testing::Test::HasFatalFailure()) {
        return;
      }
    }
    const double in =
        alice.metrics.read(fmt::format("codec_bytes_in_total{{codec=\"{}\"}}", codecName(id)));
    const double out =
        alice.metrics.read(fmt::format("codec_bytes_out_total{{codec=\"{}\"}}", codecName(id)));
    EXPECT_EQ(in, 200.0 * kNumel * sizeof(float));
    if (id == compression::CodecId::kFp16 || id == compression::CodecId::kBf16) {
      EXPECT_EQ(out, in / 2);
    }
    if (id == compression::CodecId::kLbgm) {
      EXPECT_LT(out, in) << "a steady drift is what LBGM reuses";
      EXPECT_EQ(alice.metrics.read("lbgm_publishes_total{kind=\"reset\"}"), 1.0);
      EXPECT_GT(alice.metrics.read("lbgm_unit_total{unit=\"3\",mode=\"scalar\"}"), 0.0);
    }
  }
}

// Top-k stacked under LBGM: sparse publishes, the same identical views at both ends, and the
// bytes of index/value pairs.
TEST(ExchangeCodec, TopkLbgmPublishesSparseUpdatesBothEndsHoldAlike) {
  Side alice(compression::CodecId::kLbgm, 21, 0.05, 0.25);
  Side bob(compression::CodecId::kLbgm, 22, 0.05, 0.25);
  for (int t = 0; t < 200; ++t) {
    exchange(alice, bob);
    if (::testing::Test::HasFatalFailure()) {
      return;
    }
  }
  // γ = ¼: both ends turn the same two copies into the same two views, roles swapped.
  EncodedSnapshot accept = bob.codec.encode(kAlice, alice.codec.heldSeq(kBob), bob.snapshot());
  runtime::Blob bobAtAlice = alice.codec.decode(kBob, accept.info, accept.lbgm, accept.payload);
  EncodedSnapshot params = alice.codec.encode(kBob, bob.codec.heldSeq(kAlice), alice.snapshot());
  runtime::Blob aliceAtBob = bob.codec.decode(kAlice, params.info, params.lbgm, params.payload);
  std::shared_ptr<const BufferPool::Buffer> aliceSelf = params.selfView;
  std::shared_ptr<const BufferPool::Buffer> bobSelf = accept.selfView;
  alice.codec.consensusViews(bobAtAlice, aliceSelf);
  bob.codec.consensusViews(aliceAtBob, bobSelf);
  EXPECT_NE(aliceSelf, params.selfView);
  expectSameValues(aliceSelf->data(), aliceAtBob.as<float>(), "alice's view");
  expectSameValues(bobSelf->data(), bobAtAlice.as<float>(), "bob's view");
  const double in = alice.metrics.read("codec_bytes_in_total{codec=\"lbgm\"}");
  const double out = alice.metrics.read("codec_bytes_out_total{codec=\"lbgm\"}");
  // After the first RESET every publish sends at most 5% of the entries, at 8 bytes each.
  EXPECT_LT(out, in / 200 + in * 0.11);
  EXPECT_GT(alice.metrics.read("lbgm_unit_total{unit=\"3\",mode=\"sparse\"}"), 0.0);
  EXPECT_EQ(alice.metrics.read("lbgm_unit_total{unit=\"3\",mode=\"full\"}"), 0.0);
}

// specs/lbgm.md acceptance 6: when every unit goes FULL (δ so small nothing is reused), the public
// copies are the snapshots up to the rounding of x̂ + D, so the exchange is plain A²CiD².
TEST(ExchangeCodec, AllFullLbgmMixesWithTheSnapshotsThemselves) {
  Side alice(compression::CodecId::kLbgm, 41, 0, 0.5, 1e-12);
  Side bob(compression::CodecId::kLbgm, 42, 0, 0.5, 1e-12);
  double worst = 0;
  for (int t = 0; t < 100; ++t) {
    std::shared_ptr<BufferPool::Buffer> bobSnapshot = bob.snapshot();
    EncodedSnapshot accept = bob.codec.encode(kAlice, alice.codec.heldSeq(kBob), bobSnapshot);
    runtime::Blob view = alice.codec.decode(kBob, accept.info, accept.lbgm, accept.payload);
    EncodedSnapshot params = alice.codec.encode(kBob, bob.codec.heldSeq(kAlice), alice.snapshot());
    bob.codec.decode(kAlice, params.info, params.lbgm, params.payload);
    float scale = 0;
    for (std::size_t i = 0; i < kNumel; ++i) {
      scale = std::max(scale, std::fabs((*bobSnapshot)[i]));
      worst = std::max<double>(worst, std::fabs(view.as<float>()[i] - (*bobSnapshot)[i]));
    }
    ASSERT_LE(worst, 1e-6 * scale) << t;
  }
  double scalars = 0;
  for (int u = 0; u < 5; ++u) {
    scalars += bob.metrics.read(fmt::format("lbgm_unit_total{{unit=\"{}\",mode=\"scalar\"}}", u));
  }
  EXPECT_EQ(scalars, 0.0);
}

// Sign stacked under LBGM: one bit per entry after the first RESET, identical views at both ends.
TEST(ExchangeCodec, SignLbgmPublishesABitPerEntryBothEndsHoldAlike) {
  Side alice(compression::CodecId::kLbgm, 51, 0, 0.25, 0.2, true);
  Side bob(compression::CodecId::kLbgm, 52, 0, 0.25, 0.2, true);
  for (int t = 0; t < 100; ++t) {
    exchange(alice, bob);
    if (::testing::Test::HasFatalFailure()) {
      return;
    }
  }
  const double in = alice.metrics.read("codec_bytes_in_total{codec=\"lbgm\"}");
  const double out = alice.metrics.read("codec_bytes_out_total{codec=\"lbgm\"}");
  EXPECT_LT(out, in / 100 + in / 25);  // a RESET, then at most 1/32 of the bytes and headers
  EXPECT_GT(alice.metrics.read("lbgm_unit_total{unit=\"3\",mode=\"sign\"}"), 0.0);
}

TEST(ExchangeCodec, AnLbgmPublishThatIsLostCostsOneResetNotAMismatch) {
  Side alice(compression::CodecId::kLbgm, 3);
  Side bob(compression::CodecId::kLbgm, 4);
  for (int t = 0; t < 20; ++t) {
    exchange(alice, bob);
  }
  // Alice's PARAMS never arrives: her copy moved on, bob's did not.
  alice.codec.encode(kBob, bob.codec.heldSeq(kAlice), alice.snapshot());
  exchange(alice, bob);
  EXPECT_EQ(alice.metrics.read("lbgm_publishes_total{kind=\"reset\"}"), 2.0);
  for (int t = 0; t < 5; ++t) {
    exchange(alice, bob);
  }
  EXPECT_EQ(alice.metrics.read("lbgm_publishes_total{kind=\"reset\"}"), 2.0);
}

// specs/lbgm.md acceptance 8: a publish altered in a way every other check accepts (a value, or a
// coefficient, still finite) is caught by the copy digest that every 8th publish carries; the
// receiver drops its copy and the sender's next publish is a RESET, after which both agree again.
TEST(ExchangeCodec, ACopyThatDriftedApartIsCaughtByItsDigestAndReset) {
  Side alice(compression::CodecId::kLbgm, 31);
  Side bob(compression::CodecId::kLbgm, 32);
  exchange(alice, bob);
  for (int t = 0; t < 40; ++t) {
    EncodedSnapshot params = alice.codec.encode(kBob, bob.codec.heldSeq(kAlice), alice.snapshot());
    if (params.lbgm.copyDigest == 0) {
      bob.codec.decode(kAlice, params.info, params.lbgm, params.payload);
      continue;
    }
    if (params.payload.bytes > 0) {
      auto words = std::make_shared<std::vector<float>>(params.payload.bytes / sizeof(float));
      std::memcpy(words->data(), params.payload.data, params.payload.bytes);
      words->back() = words->back() * 1.5F + 1e-3F;  // the last word is always a value
      params.payload = runtime::floatBlob(words);
    } else {
      std::size_t u = 0;
      while (params.lbgm.modes[u] != static_cast<std::uint8_t>(compression::LbgmMode::kScalar)) {
        ++u;
      }
      params.lbgm.rhos[u] = params.lbgm.rhos[u] * 1.5F + 1e-3F;
    }
    EXPECT_THROW(bob.codec.decode(kAlice, params.info, params.lbgm, params.payload),
                 runtime::Error);
    EXPECT_EQ(bob.metrics.read("lbgm_digest_mismatches_total"), 1.0);
    EXPECT_EQ(bob.codec.heldSeq(kAlice), 0U);
    const double resets = alice.metrics.read("lbgm_publishes_total{kind=\"reset\"}");
    for (int k = 0; k < 20; ++k) {
      exchange(alice, bob);  // the views agree again
    }
    EXPECT_EQ(alice.metrics.read("lbgm_publishes_total{kind=\"reset\"}"), resets + 1);
    EXPECT_EQ(bob.metrics.read("lbgm_digest_mismatches_total"), 1.0);
    return;
  }
  FAIL() << "no publish in 40 carried a digest";
}

TEST(ExchangeCodec, MalformedPublishesAreRefusedAndChangeNothing) {
  Side alice(compression::CodecId::kLbgm, 5);
  Side bob(compression::CodecId::kLbgm, 6);
  exchange(alice, bob);
  const std::uint64_t held = bob.codec.heldSeq(kAlice);
  EncodedSnapshot params = alice.codec.encode(kBob, held, alice.snapshot());

  EncodedSnapshot bad = params;
  bad.lbgm.modes.pop_back();
  bad.lbgm.rhos.pop_back();
  EXPECT_THROW(bob.codec.decode(kAlice, bad.info, bad.lbgm, bad.payload), runtime::Error);
  bad = params;
  bad.lbgm.seq += 7;  // built on a copy bob never had
  EXPECT_THROW(bob.codec.decode(kAlice, bad.info, bad.lbgm, bad.payload), runtime::Error);
  bad = params;
  bad.info.numel += 1;
  EXPECT_THROW(bob.codec.decode(kAlice, bad.info, bad.lbgm, bad.payload), runtime::Error);
  EXPECT_EQ(bob.codec.heldSeq(kAlice), held);

  runtime::Blob view = bob.codec.decode(kAlice, params.info, params.lbgm, params.payload);
  expectSameValues(view.as<float>(), params.selfView->data(), "after the refusals");

  // A run without LBGM refuses LBGM publishes; an unknown codec id is refused.
  Side plain(compression::CodecId::kRaw, 7);
  EXPECT_THROW(plain.codec.decode(kAlice, params.info, params.lbgm, params.payload),
               runtime::Error);
  wire::PayloadInfo unknown = params.info;
  unknown.codec = 77;
  unknown.numel = kNumel;
  EXPECT_THROW(plain.codec.decode(kAlice, unknown, {}, params.payload), runtime::Error);
}

// A bounded cache of neighbours' copies (large swarms, random pairs): the least recently used is
// evicted, and its next exchange simply starts over with a RESET.
TEST(ExchangeCodec, EvictedNeighboursStartOverWithAReset) {
  Side alice(compression::CodecId::kLbgm, 11);
  BufferPool pool(kNumel);
  runtime::MetricsRegistry metrics;
  ExchangeCodec small(
      ExchangeCodecOptions{compression::CodecId::kLbgm, 0.5, kTensors, 2}, kNumel, pool, metrics);
  std::shared_ptr<BufferPool::Buffer> s = alice.snapshot();
  auto resets = [&] { return metrics.read("lbgm_publishes_total{kind=\"reset\"}"); };
  small.encode(runtime::PeerId{5}, 0, s);
  small.encode(runtime::PeerId{6}, 0, s);
  small.encode(runtime::PeerId{5}, 1, s);  // 5 is now the most recent
  small.encode(runtime::PeerId{7}, 0, s);  // evicts 6
  EXPECT_EQ(metrics.read("lbgm_evictions_total"), 1.0);
  EXPECT_EQ(resets(), 3.0);
  small.encode(runtime::PeerId{5}, 2, s);  // still held: a delta
  EXPECT_EQ(resets(), 3.0);
  small.encode(runtime::PeerId{6}, 1, s);  // evicted: starts over
  EXPECT_EQ(resets(), 4.0);
}

TEST(ExchangeCodec, ValuesAHalfCannotCarryGoRaw) {
  Side alice(compression::CodecId::kFp16, 8);
  std::shared_ptr<BufferPool::Buffer> s = alice.snapshot();
  (*s)[10] = 1e6F;
  EncodedSnapshot encoded = alice.codec.encode(kBob, 0, s);
  EXPECT_EQ(encoded.info.codec, static_cast<std::uint8_t>(compression::CodecId::kRaw));
  EXPECT_EQ(encoded.selfView->data(), s->data());
  EXPECT_EQ(alice.metrics.read("codec_fallbacks_total"), 1.0);
}

TEST(ExchangeCodec, NoModelSizedAllocationOnceWarm) {
  Side alice(compression::CodecId::kLbgm, 9);
  Side bob(compression::CodecId::kLbgm, 10);
  for (int t = 0; t < 5; ++t) {
    exchange(alice, bob);
  }
  const std::size_t allocated = alice.pool.allocated() + bob.pool.allocated();
  for (int t = 0; t < 50; ++t) {
    exchange(alice, bob);
  }
  EXPECT_EQ(alice.pool.allocated() + bob.pool.allocated(), allocated);
}

}  // namespace
}  // namespace murmur::peer
