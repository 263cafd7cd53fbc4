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

constexpr int kLastMessageType = static_cast<int>(MessageType::kRingChunk);

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
    case MessageType::kJoin:
      return "JOIN";
    case MessageType::kJoinAccept:
      return "JOIN_ACCEPT";
    case MessageType::kJoinRefused:
      return "JOIN_REFUSED";
    case MessageType::kFdaState:
      return "FDA_STATE";
    case MessageType::kSyncPropose:
      return "SYNC_PROPOSE";
    case MessageType::kRingChunk:
      return "RING_CHUNK";
  }
  return "?";
}

namespace {

void requireText(const std::string& text, std::size_t limit, const char* what) {
  MURMUR_REQUIRE(text.size() <= limit, what, " longer than ", limit, " bytes");
}

template <typename Builder>
void encodeUpdates(Builder list, const std::vector<WireUpdate>& updates) {
  for (unsigned i = 0; i < updates.size(); ++i) {
    const WireUpdate& u = updates[i];
    requireText(u.name, kMaxNameBytes, "member name");
    requireText(u.address, kMaxNameBytes, "member address");
    requireText(u.control, kMaxNameBytes, "member control address");
    requireText(u.origin, kMaxNameBytes, "suspicion origin");
    list[i].setName(u.name);
    list[i].setAddress(u.address);
    list[i].setControl(u.control);
    list[i].setState(toWire(u.state));
    list[i].setIncarnation(u.incarnation);
    list[i].setOriginName(u.origin);
  }
}

// A bounded Text field as a string; throws kProtocol naming `what` when over `limit`.
std::string readText(capnp::Text::Reader text, std::size_t limit, const char* what) {
  if (text.size() > limit) {
    MURMUR_THROW(kProtocol, what, " of ", text.size(), " bytes (at most ", limit, ")");
  }
  return std::string(text.cStr(), text.size());
}

template <typename Reader>
std::vector<WireUpdate> decodeUpdates(Reader list, std::size_t limit, const char* what) {
  if (list.size() > limit) {
    MURMUR_THROW(kProtocol, list.size(), " ", what, " (at most ", limit, ")");
  }
  std::vector<WireUpdate> out;
  out.reserve(list.size());
  for (auto u : list) {
    WireUpdate update;
    update.name = readText(u.getName(), kMaxNameBytes, "member name");
    if (update.name.empty()) {
      MURMUR_THROW(kProtocol, "a member update without a name");
    }
    update.address = readText(u.getAddress(), kMaxNameBytes, "member address");
    update.control = readText(u.getControl(), kMaxNameBytes, "member control address");
    update.state = fromWire(u.getState());
    update.incarnation = u.getIncarnation();
    update.origin = readText(u.getOriginName(), kMaxNameBytes, "suspicion origin");
    out.push_back(std::move(update));
  }
  return out;
}

}  // namespace

std::vector<std::byte> encodeEnvelope(const Envelope& envelope) {
  requireText(envelope.senderName, kMaxNameBytes, "peer name");
  requireText(envelope.receiverName, kMaxNameBytes, "receiver name");
  requireText(envelope.target, kMaxNameBytes, "probe target");
  requireText(envelope.control, kMaxNameBytes, "control address");
  requireText(envelope.address, kMaxNameBytes, "data address");
  requireText(envelope.modelName, kMaxNameBytes, "model name");
  requireText(envelope.config, kMaxConfigBytes, "run configuration");
  MURMUR_REQUIRE(envelope.payloads.size() <= kMaxPayloads, "more than ", kMaxPayloads, " payloads");
  MURMUR_REQUIRE(envelope.updates.size() <= kMaxUpdates, "more than ", kMaxUpdates, " updates");
  MURMUR_REQUIRE(envelope.members.size() <= kMaxMembers, "more than ", kMaxMembers, " members");
  capnp::MallocMessageBuilder message(64);
  auto root = message.initRoot<schema::Envelope>();
  root.setVersion(envelope.version);
  root.setType(static_cast<schema::MessageType>(envelope.type));
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
  encodeUpdates(root.initUpdates(static_cast<unsigned>(envelope.updates.size())), envelope.updates);
  // Empty texts stay null pointers: the common messages carry only what they use.
  auto setIfAny = [](const std::string& text, auto setter) {
    if (!text.empty()) {
      setter(text);
    }
  };
  setIfAny(envelope.control, [&](const std::string& t) { root.setControl(t); });
  setIfAny(envelope.receiverName, [&](const std::string& t) { root.setReceiverName(t); });
  setIfAny(envelope.target, [&](const std::string& t) { root.setTargetName(t); });
  setIfAny(envelope.address, [&](const std::string& t) { root.setAddress(t); });
  setIfAny(envelope.modelName, [&](const std::string& t) { root.setModelName(t); });
  setIfAny(envelope.config, [&](const std::string& t) { root.setConfig(t); });
  root.setModelSignature(envelope.modelSignature);
  if (!envelope.members.empty()) {
    encodeUpdates(root.initMembers(static_cast<unsigned>(envelope.members.size())),
                  envelope.members);
  }
  root.setEpoch(envelope.epoch);
  if (envelope.type == MessageType::kFdaState) {
    auto fda = root.initFda();
    fda.setVariant(envelope.fda.variant);
    fda.setA(envelope.fda.a);
    fda.setB(envelope.fda.b);
    fda.setTheta(envelope.fda.theta);
  }
  if (envelope.type == MessageType::kSyncPropose || envelope.type == MessageType::kRingChunk) {
    MURMUR_REQUIRE(envelope.sync.view.size() <= kMaxMembers, "a view of more than ", kMaxMembers);
    auto sync = root.initSync();
    sync.setEpoch(envelope.sync.epoch);
    sync.setAttempt(envelope.sync.attempt);
    if (!envelope.sync.view.empty()) {
      auto view = sync.initView(static_cast<unsigned>(envelope.sync.view.size()));
      for (unsigned i = 0; i < envelope.sync.view.size(); ++i) {
        requireText(envelope.sync.view[i], kMaxNameBytes, "member name");
        view.set(i, envelope.sync.view[i]);
      }
    }
    sync.setViewDigest(envelope.sync.viewDigest);
    sync.setPhase(envelope.sync.phase);
    sync.setRingStep(envelope.sync.ringStep);
    sync.setSegment(envelope.sync.segment);
    sync.setSynced(envelope.sync.synced);
  }
  if (envelope.lbgm.present) {
    MURMUR_REQUIRE(envelope.lbgm.modes.size() <= kMaxLbgmUnits &&
                       envelope.lbgm.rhos.size() == envelope.lbgm.modes.size(),
                   "LBGM directory of ",
                   envelope.lbgm.modes.size(),
                   " modes and ",
                   envelope.lbgm.rhos.size(),
                   " coefficients");
    auto lbgm = root.initLbgm();
    lbgm.setHeldSeq(envelope.lbgm.heldSeq);
    lbgm.setSeq(envelope.lbgm.seq);
    lbgm.setCopyDigest(envelope.lbgm.copyDigest);
    if (!envelope.lbgm.modes.empty()) {
      lbgm.setModes(kj::arrayPtr(reinterpret_cast<const kj::byte*>(envelope.lbgm.modes.data()),
                                 envelope.lbgm.modes.size()));
      auto rhos = lbgm.initRhos(static_cast<unsigned>(envelope.lbgm.rhos.size()));
      for (unsigned i = 0; i < envelope.lbgm.rhos.size(); ++i) {
        rhos.set(i, envelope.lbgm.rhos[i]);
      }
    }
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
  // Cap'n Proto 0.9 reads words in place: copy to guarantee alignment (frames are small).
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
    out.incarnation = root.getIncarnation();
    out.seq = root.getSeq();
    out.runHash = root.getRunHash();
    out.step = root.getStep();
    out.senderName = readText(root.getSenderName(), kMaxNameBytes, "sender name");
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
    out.updates = decodeUpdates(root.getUpdates(), kMaxUpdates, "membership updates");
    out.control = readText(root.getControl(), kMaxNameBytes, "control address");
    out.receiverName = readText(root.getReceiverName(), kMaxNameBytes, "receiver name");
    out.target = readText(root.getTargetName(), kMaxNameBytes, "probe target");
    out.address = readText(root.getAddress(), kMaxNameBytes, "data address");
    out.modelSignature = root.getModelSignature();
    out.modelName = readText(root.getModelName(), kMaxNameBytes, "model name");
    out.config = readText(root.getConfig(), kMaxConfigBytes, "run configuration");
    out.members = decodeUpdates(root.getMembers(), kMaxMembers, "members");
    out.epoch = root.getEpoch();
    if (out.type == MessageType::kFdaState) {
      auto fda = root.getFda();
      out.fda = FdaWire{fda.getVariant(), fda.getA(), fda.getB(), fda.getTheta()};
    }
    if (out.type == MessageType::kSyncPropose || out.type == MessageType::kRingChunk) {
      auto sync = root.getSync();
      out.sync.epoch = sync.getEpoch();
      out.sync.attempt = sync.getAttempt();
      auto view = sync.getView();
      if (view.size() > kMaxMembers) {
        MURMUR_THROW(kProtocol, "a view of ", view.size(), " members (at most ", kMaxMembers, ")");
      }
      for (auto name : view) {
        out.sync.view.push_back(readText(name, kMaxNameBytes, "member name"));
      }
      out.sync.viewDigest = sync.getViewDigest();
      out.sync.phase = sync.getPhase();
      if (out.sync.phase > 1) {
        MURMUR_THROW(kProtocol, "ring phase ", static_cast<int>(out.sync.phase));
      }
      out.sync.ringStep = sync.getRingStep();
      out.sync.segment = sync.getSegment();
      out.sync.synced = sync.getSynced();
    }
    if (root.hasLbgm()) {
      auto lbgm = root.getLbgm();
      out.lbgm.present = true;
      out.lbgm.heldSeq = lbgm.getHeldSeq();
      out.lbgm.seq = lbgm.getSeq();
      out.lbgm.copyDigest = lbgm.getCopyDigest();
      auto modes = lbgm.getModes();
      auto rhos = lbgm.getRhos();
      if (modes.size() > kMaxLbgmUnits || rhos.size() != modes.size()) {
        MURMUR_THROW(kProtocol,
                     "LBGM directory of ",
                     modes.size(),
                     " modes and ",
                     rhos.size(),
                     " coefficients (at most ",
                     kMaxLbgmUnits,
                     " units, one coefficient each)");
      }
      out.lbgm.modes.assign(reinterpret_cast<const std::uint8_t*>(modes.begin()),
                            reinterpret_cast<const std::uint8_t*>(modes.end()));
      out.lbgm.rhos.reserve(rhos.size());
      for (float rho : rhos) {
        out.lbgm.rhos.push_back(rho);
      }
    }
  } catch (const kj::Exception& e) {
    MURMUR_THROW(kProtocol, "malformed envelope: ", e.getDescription().cStr());
  }
  return out;
}

}  // namespace murmur::peer::wire
