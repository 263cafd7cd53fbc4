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
  e.receiverName = "peer1";
  e.incarnation = 1700000000123ULL;
  e.seq = 42;
  e.runHash = 0x0123456789abcdefULL;
  e.step = 777;
  e.senderName = "peer3";
  e.payloads.push_back(PayloadInfo{runtime::DType::kFloat32, 61706, 0, 1});
  e.target = "peer2";
  e.updates.push_back(wire::WireUpdate{
      "peer2", "tcp://10.0.0.2:7000", "", gossip::MemberState::kSuspect, 9, "peer3"});
  e.updates.push_back(wire::WireUpdate{
      "peer0", "tcp://10.0.0.1:7000", "10.0.0.1:7001", gossip::MemberState::kLeft, 5, ""});
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
  hello.address = "tcp://127.0.0.1:7000";
  std::vector<std::byte> small = encodeEnvelope(hello);
  EXPECT_EQ(decodeEnvelope(small.data(), small.size()), hello);
}

TEST(Envelope, JoinTrafficRoundTrips) {
  Envelope join;
  join.type = MessageType::kJoin;
  join.senderName = "late";
  join.address = "tcp://127.0.0.1:7010";
  join.control = "127.0.0.1:7011";
  join.modelName = "lenet5";
  join.modelSignature = 0xfeedULL;
  std::vector<std::byte> bytes = encodeEnvelope(join);
  EXPECT_EQ(decodeEnvelope(bytes.data(), bytes.size()), join);
  Envelope accept;
  accept.type = MessageType::kJoinAccept;
  accept.senderName = "peer0";
  accept.receiverName = "late";
  accept.config = R"({"topology":"ring","rate":1})";
  for (int i = 0; i < 300; ++i) {
    accept.members.push_back(WireUpdate{"peer" + std::to_string(i),
                                        "tcp://10.0.0.1:" + std::to_string(7000 + i),
                                        "",
                                        gossip::MemberState::kAlive,
                                        static_cast<std::uint64_t>(i),
                                        ""});
  }
  accept.payloads.push_back(PayloadInfo{runtime::DType::kFloat32, 61706, 0, 1});
  bytes = encodeEnvelope(accept);
  EXPECT_EQ(decodeEnvelope(bytes.data(), bytes.size()), accept);
  accept.members.resize(kMaxMembers + 1);
  EXPECT_THROW(encodeEnvelope(accept), runtime::Error);
}

// A ring chunk and a sync proposal (wire v4).
Envelope chunkSample() {
  Envelope e;
  e.type = MessageType::kRingChunk;
  e.senderName = "peer1";
  e.receiverName = "peer2";
  e.runHash = 0x0123456789abcdefULL;
  e.epoch = 6;
  e.sync.epoch = 7;
  e.sync.attempt = 1;
  e.sync.viewDigest = 0xfedcba9876543210ULL;
  e.sync.phase = 1;
  e.sync.ringStep = 2;
  e.sync.segment = 3;
  e.payloads.push_back(PayloadInfo{runtime::DType::kFloat32, 15427, 0, 1});
  return e;
}

Envelope lbgmSample() {
  Envelope e = sample();
  e.updates.clear();
  e.payloads[0].numel = 2520;
  e.payloads[0].codec = 4;
  e.lbgm.present = true;
  e.lbgm.heldSeq = 17;
  e.lbgm.seq = 9;
  e.lbgm.modes = {0, 1, 2, 1, 3};
  e.lbgm.rhos = {0.0F, 0.5F, 0.0F, -1.25F, 0.0F};
  e.lbgm.copyDigest = 0x0123456789abcdefULL;
  return e;
}

TEST(Envelope, LbgmFieldsRoundTrip) {
  const Envelope e = lbgmSample();
  std::vector<std::byte> bytes = encodeEnvelope(e);
  EXPECT_EQ(decodeEnvelope(bytes.data(), bytes.size()), e);
  Envelope propose;
  propose.type = MessageType::kPropose;
  propose.senderName = "peer0";
  propose.lbgm.present = true;
  propose.lbgm.heldSeq = 3;
  bytes = encodeEnvelope(propose);
  EXPECT_EQ(decodeEnvelope(bytes.data(), bytes.size()), propose);
  Envelope lopsided = e;
  lopsided.lbgm.rhos.pop_back();
  EXPECT_THROW(encodeEnvelope(lopsided), runtime::Error);
}

TEST(Envelope, SyncTrafficRoundTrips) {
  Envelope chunk = chunkSample();
  std::vector<std::byte> bytes = encodeEnvelope(chunk);
  EXPECT_EQ(decodeEnvelope(bytes.data(), bytes.size()), chunk);
  Envelope propose;
  propose.type = MessageType::kSyncPropose;
  propose.senderName = "peer0";
  propose.epoch = 4;
  propose.sync.epoch = 5;
  propose.sync.view = {"peer0", "peer1", "late"};
  bytes = encodeEnvelope(propose);
  EXPECT_EQ(decodeEnvelope(bytes.data(), bytes.size()), propose);
  Envelope notice = propose;
  notice.sync.view.clear();
  notice.sync.synced = true;
  bytes = encodeEnvelope(notice);
  EXPECT_EQ(decodeEnvelope(bytes.data(), bytes.size()), notice);
  Envelope state;
  state.type = MessageType::kFdaState;
  state.senderName = "peer3";
  state.epoch = 2;
  state.step = 912;
  state.fda = FdaWire{1, 0.125, -0.5, 2.4};
  bytes = encodeEnvelope(state);
  EXPECT_EQ(decodeEnvelope(bytes.data(), bytes.size()), state);
  // The sync fields travel only on the messages that use them.
  Envelope hello = state;
  hello.type = MessageType::kHello;
  bytes = encodeEnvelope(hello);
  EXPECT_EQ(decodeEnvelope(bytes.data(), bytes.size()).fda, FdaWire{});
}

// Protocol version 5 on the wire, bit for bit: a change here breaks every deployed peer.
constexpr const char* kGoldenV5 =
    "00000000380000000000000008000d00050002000000000000000000000000007b68e5cf8b0100002a00000000"
    "000000efcdab896745230109030000000000000000000000000000000000000000000031000000320000003100"
    "00001700000039000000770000000000000000000000a100000032000000a10000003200000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000007065657233000000040000000200000000000000010000000af1000000000000080000000300040000"
    "0000000100000009000000000000000000000000000000290000003200000029000000a2000000310000000a00"
    "000031000000320000000000000003000000050000000000000000000000000000002500000032000000250000"
    "00a20000002d00000072000000310000000a00000070656572320000007463703a2f2f31302e302e302e323a37"
    "30303000000000000000000000000000706565723300000070656572300000007463703a2f2f31302e302e302e"
    "313a37303030000000000031302e302e302e313a37303031000000000000000000000070656572310000007065"
    "657232000000";

constexpr const char* kGoldenV5Chunk =
    "00000000210000000000000008000d000500100000000000000000000000000000000000000000000000000000"
    "000000efcdab896745230100000000000000000000000000000000060000000000000031000000320000003100"
    "000017000000390000000700000000000000000000003500000032000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000001c0000000400010000000000"
    "00000000706565723100000004000000020000000000000001000000433c000000000000000000000300040070"
    "65657232000000070000000000000001000000010000001032547698badcfe0200000003000000000000000000"
    "0000";

// v5 plus the LBGM copy digest (an added field: older v5 peers read it as absent).
constexpr const char* kGoldenV5Lbgm =
    "00000000260000000000000008000d00050002000000000000000000000000007b68e5cf8b0100002a00000000"
    "000000efcdab896745230109030000000000000000000000000000000000000000000031000000320000003100"
    "000017000000390000000700000000000000000000003500000032000000350000003200000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000001c000000"
    "03000200706565723300000004000000020000000000040001000000d809000000000000000000000300040070"
    "65657231000000706565723200000011000000000000000900000000000000efcdab8967452301050000002a00"
    "0000050000002c0000000001020103000000000000000000003f000000000000a0bf0000000000000000";

TEST(Envelope, GoldenBytesOfVersion5) {
  EXPECT_EQ(hex(encodeEnvelope(sample())), kGoldenV5);
  EXPECT_EQ(hex(encodeEnvelope(chunkSample())), kGoldenV5Chunk);
  EXPECT_EQ(hex(encodeEnvelope(lbgmSample())), kGoldenV5Lbgm);
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
