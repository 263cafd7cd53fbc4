// The message envelope as a plain value, and its Cap'n Proto encoding (frame 0 of every message).
// Only peer/wire sees Cap'n Proto; everything else uses this struct.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gossip/membership.h"
#include "runtime/blob.h"

namespace murmur::peer::wire {

// Bumped on any incompatible change; peers with another version refuse each other's messages.
// Version 2: SWIM membership (ping/ack/pingReq/leave, piggybacked updates).
// Version 3: members named instead of numbered, so peers can join (join/joinAccept/joinRefused).
// Version 4: sync epochs on every message; FDA states, sync proposals and ring chunks (issue 4).
// Version 5: codecs on exchange payloads; LBGM public-copy fields (issue 5).
inline constexpr std::uint16_t kProtocolVersion = 5;

// Bounds a decoder enforces before trusting anything.
inline constexpr std::size_t kMaxPayloads = 16;
inline constexpr std::size_t kMaxUpdates = 16;
inline constexpr std::size_t kMaxMembers = 4096;   // in a JOIN_ACCEPT
inline constexpr std::size_t kMaxNameBytes = 255;  // names and addresses
inline constexpr std::size_t kMaxConfigBytes = 65536;
inline constexpr std::size_t kMaxEnvelopeBytes = 4 << 20;
inline constexpr std::size_t kMaxLbgmUnits = 65536;

enum class MessageType : std::uint8_t {
  kHello = 0,
  kPropose = 1,
  kAccept = 2,
  kBusy = 3,
  kParams = 4,
  kDone = 5,
  kFinal = 6,
  kPing = 7,
  kAck = 8,
  kPingReq = 9,
  kLeave = 10,
  kJoin = 11,
  kJoinAccept = 12,
  kJoinRefused = 13,
  kFdaState = 14,
  kSyncPropose = 15,
  kRingChunk = 16,
};

std::string_view messageTypeName(MessageType type);

struct PayloadInfo {
  runtime::DType dtype = runtime::DType::kFloat32;
  std::uint64_t numel = 0;
  std::uint8_t codec = 0;
  std::uint32_t frame = 0;

  friend bool operator==(const PayloadInfo& a, const PayloadInfo& b) {
    return a.dtype == b.dtype && a.numel == b.numel && a.codec == b.codec && a.frame == b.frame;
  }
};

// A membership claim as it travels: members by name, with where to reach them.
struct WireUpdate {
  std::string name;
  std::string address;
  std::string control;
  gossip::MemberState state = gossip::MemberState::kAlive;
  std::uint64_t incarnation = 0;
  std::string origin;  // SUSPECT: who suspects

  friend bool operator==(const WireUpdate& a, const WireUpdate& b) {
    return a.name == b.name && a.address == b.address && a.control == b.control &&
           a.state == b.state && a.incarnation == b.incarnation && a.origin == b.origin;
  }
};

// FDA_STATE's fields (the sketch travels in frame 1).
struct FdaWire {
  std::uint8_t variant = 0;
  double a = 0;
  double b = 0;
  double theta = 0;

  friend bool operator==(const FdaWire& x, const FdaWire& y) {
    return x.variant == y.variant && x.a == y.a && x.b == y.b && x.theta == y.theta;
  }
};

// SYNC_PROPOSE's and RING_CHUNK's fields (a chunk's data travels in frame 1).
struct SyncWire {
  std::uint64_t epoch = 0;  // the epoch the sync creates
  std::uint32_t attempt = 0;
  std::vector<std::string> view;  // propose: member names
  std::uint64_t viewDigest = 0;   // chunk
  std::uint8_t phase = 0;         // chunk: 0 reduce-scatter, 1 all-gather
  std::uint32_t ringStep = 0;
  std::uint32_t segment = 0;
  bool synced = false;  // propose: the sender synced `epoch` already (a notice, not a proposal)

  friend bool operator==(const SyncWire& x, const SyncWire& y) {
    return x.epoch == y.epoch && x.attempt == y.attempt && x.view == y.view &&
           x.viewDigest == y.viewDigest && x.phase == y.phase && x.ringStep == y.ringStep &&
           x.segment == y.segment && x.synced == y.synced;
  }
};

// The LBGM fields of PROPOSE/ACCEPT/PARAMS.
struct LbgmWire {
  bool present = false;
  std::uint64_t heldSeq = 0;
  std::uint64_t seq = 0;
  std::vector<std::uint8_t> modes;
  std::vector<float> rhos;
  std::uint64_t copyDigest = 0;  // 0: not sent

  friend bool operator==(const LbgmWire& x, const LbgmWire& y) {
    return x.present == y.present && x.heldSeq == y.heldSeq && x.seq == y.seq &&
           x.modes == y.modes && x.rhos == y.rhos && x.copyDigest == y.copyDigest;
  }
};

struct Envelope {
  std::uint16_t version = kProtocolVersion;
  MessageType type = MessageType::kHello;
  std::uint64_t incarnation = 0;
  std::uint64_t seq = 0;
  std::uint64_t runHash = 0;
  std::uint64_t step = 0;
  std::string senderName;
  std::string receiverName;
  std::vector<PayloadInfo> payloads;
  std::string target;  // probes: the member probed
  std::vector<WireUpdate> updates;
  std::string control;  // the sender's control endpoint, on probe and join traffic ("" if none)
  std::string address;  // the sender's data address, on probe and join traffic
  std::uint64_t modelSignature = 0;  // JOIN
  std::string modelName;             // JOIN
  std::string config;                // JOIN_ACCEPT: run settings (JSON); JOIN_REFUSED: why
  std::vector<WireUpdate> members;   // JOIN_ACCEPT
  std::uint64_t epoch = 0;           // the sender's sync epoch (ACCEPT/PARAMS: the snapshot's)
  FdaWire fda;                       // FDA_STATE
  SyncWire sync;                     // SYNC_PROPOSE, RING_CHUNK
  LbgmWire lbgm;                     // PROPOSE/ACCEPT/PARAMS under --codec lbgm

  friend bool operator==(const Envelope& a, const Envelope& b) {
    return a.version == b.version && a.type == b.type && a.incarnation == b.incarnation &&
           a.seq == b.seq && a.runHash == b.runHash && a.step == b.step &&
           a.senderName == b.senderName && a.receiverName == b.receiverName &&
           a.payloads == b.payloads && a.target == b.target && a.updates == b.updates &&
           a.control == b.control && a.address == b.address &&
           a.modelSignature == b.modelSignature && a.modelName == b.modelName &&
           a.config == b.config && a.members == b.members && a.epoch == b.epoch && a.fda == b.fda &&
           a.sync == b.sync && a.lbgm == b.lbgm;
  }
};

// Cap'n Proto flat-array bytes of the envelope (word-aligned size).
std::vector<std::byte> encodeEnvelope(const Envelope& envelope);

// Decodes and validates frame 0 (any alignment). Throws Error(kProtocol) naming the problem for
// anything malformed: bad size, truncation, unknown enum values, too many payloads or updates, an
// overlong name, payload frames out of order. Version and run-hash checks are the caller's (it
// knows ours).
Envelope decodeEnvelope(const std::byte* data, std::size_t size);

}  // namespace murmur::peer::wire
