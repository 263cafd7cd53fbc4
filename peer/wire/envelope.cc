#include "peer/wire/envelope.h"

#include <cstring>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include "peer/wire/envelope.capnp.h"
#include "runtime/error.h"

namespace murmur::peer::wire {
namespace {

constexpr int kLastMessageType = static_cast<int>(MessageType::kLeave);

// The wire has no PENDING: it is a local verdict, never sent.
schema::MemberState toWire(gossip::MemberState state) {
  switch (state) {
    case gossip::MemberState::kSuspect:
      return schema::MemberState::SUSPECT;
    case gossip::MemberState::kDead:
      return schema::MemberState::DEAD;
    case gossip::MemberState::kLeft:
      return schema::MemberState::LEFT;
    default:
      return schema::MemberState::ALIVE;
  }
}

gossip::MemberState fromWire(schema::MemberState state) {
  switch (state) {
    case schema::MemberState::ALIVE:
      return gossip::MemberState::kAlive;
    case schema::MemberState::SUSPECT:
      return gossip::MemberState::kSuspect;
    case schema::MemberState::DEAD:
      return gossip::MemberState::kDead;
    case schema::MemberState::LEFT:
      return gossip::MemberState::kLeft;
  }
  MURMUR_THROW(kProtocol, "unknown member state ", static_cast<int>(state));
}

constexpr int kLastDType = static_cast<int>(runtime::DType::kUInt8);

}  // namespace

std::string_view messageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kHello:
      return "HELLO";
    case MessageType::kPropose:
      return "PROPOSE";
    case MessageType::kAccept:
      return "ACCEPT";
    case MessageType::kBusy:
      return "BUSY";
    case MessageType::kParams:
      return "PARAMS";
    case MessageType::kDone:
      return "DONE";
    case MessageType::kFinal:
      return "FINAL";
    case MessageType::kPing:
      return "PING";
    case MessageType::kAck:
      return "ACK";
    case MessageType::kPingReq:
      return "PING_REQ";
    case MessageType::kLeave:
      return "LEAVE";
  }
  return "?";
}

std::vector<std::byte> encodeEnvelope(const Envelope& envelope) {
  MURMUR_REQUIRE(envelope.senderName.size() <= kMaxNameBytes,
                 "peer name longer than ",
                 kMaxNameBytes,
                 " bytes");
  MURMUR_REQUIRE(envelope.control.size() <= kMaxNameBytes,
                 "control address longer than ",
                 kMaxNameBytes,
                 " bytes");
  MURMUR_REQUIRE(envelope.payloads.size() <= kMaxPayloads, "more than ", kMaxPayloads, " payloads");
  MURMUR_REQUIRE(envelope.updates.size() <= kMaxUpdates, "more than ", kMaxUpdates, " updates");
  capnp::MallocMessageBuilder message(64);
  auto root = message.initRoot<schema::Envelope>();
  root.setVersion(envelope.version);
  root.setType(static_cast<schema::MessageType>(envelope.type));
  root.setSender(envelope.sender);
  root.setReceiver(envelope.receiver);
  root.setIncarnation(envelope.incarnation);
  root.setSeq(envelope.seq);
  root.setRunHash(envelope.runHash);
  root.setStep(envelope.step);
  root.setSenderName(envelope.senderName);
  auto payloads = root.initPayloads(static_cast<unsigned>(envelope.payloads.size()));
  for (unsigned i = 0; i < envelope.payloads.size(); ++i) {
    const PayloadInfo& info = envelope.payloads[i];
    payloads[i].setDtype(static_cast<schema::DType>(info.dtype));
    payloads[i].setNumel(info.numel);
    payloads[i].setCodec(info.codec);
    payloads[i].setFrame(info.frame);
  }
  root.setTarget(envelope.target);
  auto updates = root.initUpdates(static_cast<unsigned>(envelope.updates.size()));
  for (unsigned i = 0; i < envelope.updates.size(); ++i) {
    const gossip::MemberUpdate& u = envelope.updates[i];
    updates[i].setMember(u.member.value);
    updates[i].setState(toWire(u.state));
    updates[i].setIncarnation(u.incarnation);
    updates[i].setOrigin(u.origin.value);
  }
  if (!envelope.control.empty()) {
    root.setControl(envelope.control);
  }
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  std::vector<std::byte> out(bytes.size());
  std::memcpy(out.data(), bytes.begin(), bytes.size());
  return out;
}

Envelope decodeEnvelope(const std::byte* data, std::size_t size) {
  if (size == 0 || size % sizeof(capnp::word) != 0) {
    MURMUR_THROW(kProtocol, "envelope of ", size, " bytes is not a whole number of words");
  }
  if (size > kMaxEnvelopeBytes) {
    MURMUR_THROW(kProtocol, "envelope of ", size, " bytes exceeds ", kMaxEnvelopeBytes);
  }
  // Cap'n Proto 0.9 reads words in place: copy to guarantee alignment (frames are tiny).
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(size / sizeof(capnp::word));
  std::memcpy(words.begin(), data, size);
  capnp::ReaderOptions options;
  options.traversalLimitInWords = kMaxEnvelopeBytes / sizeof(capnp::word);
  options.nestingLimit = 8;
  Envelope out;
  try {
    capnp::FlatArrayMessageReader reader(words.asPtr(), options);
    auto root = reader.getRoot<schema::Envelope>();
    out.version = root.getVersion();
    auto type = static_cast<int>(root.getType());
    if (type < 0 || type > kLastMessageType) {
      MURMUR_THROW(kProtocol, "unknown message type ", type);
    }
    out.type = static_cast<MessageType>(type);
    out.sender = root.getSender();
    out.receiver = root.getReceiver();
    out.incarnation = root.getIncarnation();
    out.seq = root.getSeq();
    out.runHash = root.getRunHash();
    out.step = root.getStep();
    auto name = root.getSenderName();
    if (name.size() > kMaxNameBytes) {
      MURMUR_THROW(kProtocol, "sender name of ", name.size(), " bytes");
    }
    out.senderName.assign(name.cStr(), name.size());
    auto payloads = root.getPayloads();
    if (payloads.size() > kMaxPayloads) {
      MURMUR_THROW(kProtocol, payloads.size(), " payloads (at most ", kMaxPayloads, ")");
    }
    for (unsigned i = 0; i < payloads.size(); ++i) {
      PayloadInfo info;
      auto dtype = static_cast<int>(payloads[i].getDtype());
      if (dtype < 0 || dtype > kLastDType) {
        MURMUR_THROW(kProtocol, "payload ", i, " has unknown dtype ", dtype);
      }
      info.dtype = static_cast<runtime::DType>(dtype);
      info.numel = payloads[i].getNumel();
      info.codec = payloads[i].getCodec();
      info.frame = payloads[i].getFrame();
      if (info.frame != i + 1) {
        MURMUR_THROW(kProtocol, "payload ", i, " names frame ", info.frame, ", expected ", i + 1);
      }
      out.payloads.push_back(info);
    }
    out.target = root.getTarget();
    auto control = root.getControl();
    if (control.size() > kMaxNameBytes) {
      MURMUR_THROW(kProtocol, "control address of ", control.size(), " bytes");
    }
    out.control.assign(control.cStr(), control.size());
    auto updates = root.getUpdates();
    if (updates.size() > kMaxUpdates) {
      MURMUR_THROW(kProtocol, updates.size(), " membership updates (at most ", kMaxUpdates, ")");
    }
    for (auto u : updates) {
      out.updates.push_back(gossip::MemberUpdate{runtime::PeerId{u.getMember()},
                                                 fromWire(u.getState()),
                                                 u.getIncarnation(),
                                                 runtime::PeerId{u.getOrigin()}});
    }
  } catch (const kj::Exception& e) {
    MURMUR_THROW(kProtocol, "malformed envelope: ", e.getDescription().cStr());
  }
  return out;
}

}  // namespace murmur::peer::wire
