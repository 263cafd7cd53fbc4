#include "peer/wire/envelope.h"

#include <string>

#include <gtest/gtest.h>

#include "runtime/error.h"
#include "runtime/rng.h"

namespace murmur::peer::wire {
namespace {

Envelope sample() {
  Envelope e;
  e.type = MessageType::kAccept;
  e.sender = 3;
  e.receiver = 1;
  e.incarnation = 1700000000123ULL;
  e.seq = 42;
  e.runHash = 0x0123456789abcdefULL;
  e.step = 777;
  e.senderName = "peer3";
  e.payloads.push_back(PayloadInfo{runtime::DType::kFloat32, 61706, 0, 1});
  e.target = 2;
  e.updates.push_back(gossip::MemberUpdate{
      runtime::PeerId{2}, gossip::MemberState::kSuspect, 9, runtime::PeerId{3}});
  e.updates.push_back(
      gossip::MemberUpdate{runtime::PeerId{0}, gossip::MemberState::kLeft, 5, runtime::PeerId{0}});
  return e;
}

std::string hex(const std::vector<std::byte>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::byte b : bytes) {
    auto v = static_cast<unsigned>(b);
    out.push_back(digits[v >> 4]);
    out.push_back(digits[v & 15]);
  }
  return out;
}

TEST(Envelope, RoundTrips) {
  Envelope e = sample();
  std::vector<std::byte> bytes = encodeEnvelope(e);
  EXPECT_EQ(bytes.size() % 8, 0U);
  EXPECT_EQ(decodeEnvelope(bytes.data(), bytes.size()), e);
  Envelope hello;
  hello.senderName = "x";
  hello.control = "127.0.0.1:7001";
  std::vector<std::byte> small = encodeEnvelope(hello);
  EXPECT_EQ(decodeEnvelope(small.data(), small.size()), hello);
}

// Protocol version 2 on the wire, bit for bit (since the control field @12 was added): a change
// here breaks every deployed peer.
constexpr const char* kGoldenV2 =
    "00000000160000000000000006000400020002000300000001000000020000007b68e5cf8b0100002a00000000"
    "000000efcdab896745230109030000000000000d000000320000000d0000001700000015000000370000000000"
    "0000000000007065657233000000040000000200000000000000010000000af1000000000000080000000300000"
    "0020000000100000009000000000000000300000000000000000000000300000005000000000000000000000000"
    "000000";

TEST(Envelope, GoldenBytesOfVersion2) {
  EXPECT_EQ(hex(encodeEnvelope(sample())), kGoldenV2);
}

TEST(Envelope, DecodesFromAnyAlignment) {
  std::vector<std::byte> bytes = encodeEnvelope(sample());
  std::vector<std::byte> shifted(bytes.size() + 1);
  std::copy(bytes.begin(), bytes.end(), shifted.begin() + 1);
  EXPECT_EQ(decodeEnvelope(shifted.data() + 1, bytes.size()), sample());
}

TEST(Envelope, RejectsMalformedInputWithAProtocolError) {
  std::vector<std::byte> bytes = encodeEnvelope(sample());
  auto expectProtocolError = [](const std::byte* data, std::size_t size) {
    try {
      decodeEnvelope(data, size);
      FAIL() << "accepted " << size << " bytes";
    } catch (const runtime::Error& e) {
      EXPECT_EQ(e.kind(), runtime::ErrorKind::kProtocol);
    }
  };
  expectProtocolError(bytes.data(), 0);
  expectProtocolError(bytes.data(), 7);
  expectProtocolError(bytes.data(), bytes.size() - 8);  // truncated
  std::vector<std::byte> huge(kMaxEnvelopeBytes + 8);
  expectProtocolError(huge.data(), huge.size());
}

// Random bytes and single-byte mutations of valid envelopes: every outcome is either a valid
// envelope or Error(kProtocol); nothing else escapes, nothing crashes (ASan/UBSan watch).
TEST(Envelope, RandomAndMutatedFramesNeverCrash) {
  runtime::Rng rng(2024);
  std::vector<std::byte> valid = encodeEnvelope(sample());
  int decoded = 0;
  int refused = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<std::byte> frame;
    if (trial % 2 == 0) {
      frame = valid;
      int flips = 1 + static_cast<int>(rng.below(4));
      for (int f = 0; f < flips; ++f) {
        frame[rng.below(frame.size())] = static_cast<std::byte>(rng.below(256));
      }
      if (rng.below(8) == 0) {
        frame.resize(rng.below(frame.size() + 16));
      }
    } else {
      frame.resize(rng.below(200));
      for (std::byte& b : frame) {
        b = static_cast<std::byte>(rng.below(256));
      }
    }
    try {
      Envelope e = decodeEnvelope(frame.data(), frame.size());
      EXPECT_LE(e.payloads.size(), kMaxPayloads);
      EXPECT_LE(e.senderName.size(), kMaxNameBytes);
      ++decoded;
    } catch (const runtime::Error& e) {
      ASSERT_EQ(e.kind(), runtime::ErrorKind::kProtocol) << e.what();
      ++refused;
    }
  }
  EXPECT_GT(refused, 1000);
  EXPECT_GT(decoded, 100);  // mutations of unused bits still decode
}

TEST(Envelope, EncoderRefusesOversizedFields) {
  Envelope e = sample();
  e.senderName.assign(300, 'x');
  EXPECT_THROW(encodeEnvelope(e), runtime::Error);
  e = sample();
  e.payloads.resize(kMaxPayloads + 1);
  EXPECT_THROW(encodeEnvelope(e), runtime::Error);
}

}  // namespace
}  // namespace murmur::peer::wire
