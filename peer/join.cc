#include "peer/join.h"

#include <cstring>

#include "runtime/error.h"
#include "runtime/log.h"

namespace murmur::peer {
namespace {

// Dealer indices for the seeds, far from the member indices the comm thread will use.
constexpr std::uint32_t kSeedIndexBase = 0xF0000000U;
constexpr runtime::Duration kPatienceLog = std::chrono::seconds(5);
constexpr runtime::Duration kEagerPhase = std::chrono::seconds(1);
constexpr runtime::Duration kEagerRetry = std::chrono::milliseconds(5);

std::string listed(const std::vector<std::string>& seeds) {
  std::string out;
  for (const std::string& s : seeds) {
    out += (out.empty() ? "" : ", ") + s;
  }
  return out;
}

}  // namespace

std::string joinRoutingId(const std::string& name, std::uint64_t incarnation) {
  return "join/" + name + "/" + std::to_string(incarnation);
}

bool isJoinRoutingId(const std::string& routingId, const std::string& name) {
  const std::string prefix = "join/" + name + "/";
  return routingId.size() > prefix.size() && routingId.compare(0, prefix.size(), prefix) == 0;
}

Admission joinSwarm(transport::ZmqTransport& transport,
                    const JoinRequest& request,
                    const std::vector<std::string>& seeds,
                    std::size_t numel,
                    const runtime::Clock& clock,
                    runtime::Duration timeout,
                    runtime::Duration retry) {
  MURMUR_REQUIRE(!seeds.empty(), "--join needs at least one member address");
  for (std::uint32_t k = 0; k < seeds.size(); ++k) {
    transport.connect(
        kSeedIndexBase + k, seeds[k], joinRoutingId(request.name, request.incarnation));
  }

  struct DisconnectSeeds {
    transport::ZmqTransport& transport;
    std::size_t count;

    ~DisconnectSeeds() {
      for (std::uint32_t k = 0; k < count; ++k) {
        transport.disconnect(kSeedIndexBase + k);
      }
    }
  } disconnect{transport, seeds.size()};

  wire::Envelope join;
  join.version = request.version;
  join.type = wire::MessageType::kJoin;
  join.senderName = request.name;
  join.incarnation = request.incarnation;
  join.address = request.address;
  join.control = request.control;
  join.modelName = request.modelName;
  join.modelSignature = request.modelSignature;
  const std::vector<std::byte> frame = wire::encodeEnvelope(join);

  const runtime::TimePoint start = clock.now();
  runtime::TimePoint nextAsk = start;
  runtime::TimePoint nextLog = start + kPatienceLog;
  while (clock.now() < start + timeout) {
    const runtime::TimePoint now = clock.now();
    if (now >= nextAsk) {
      // The first seed alone at first (one model transfer, not one per seed), then all of them.
      // Unconnected seeds refuse the send; each retry reaches the ones that are up by then.
      const bool eager = now - start < kEagerPhase;
      for (std::uint32_t k = 0; k < (eager ? 1 : seeds.size()); ++k) {
        transport.send(kSeedIndexBase + k, frame, {});
      }
      // Connections come up within milliseconds on a LAN (ours to the seed, the seed's back to
      // us): ask often at first, then every `retry`.
      nextAsk = now + (eager ? kEagerRetry : retry);
    }
    if (now >= nextLog) {
      MURMUR_LOG(kInfo, "join", "still waiting for an answer from {}", listed(seeds));
      nextLog = now + kPatienceLog;
    }
    for (const transport::InboundMessage& message : transport.poll(nextAsk - clock.now())) {
      if (message.frames.empty()) {
        continue;
      }
      wire::Envelope reply;
      try {
        reply = wire::decodeEnvelope(message.frames[0].data, message.frames[0].bytes);
      } catch (const runtime::Error&) {
        continue;  // not for us to judge: members will, once we are one
      }
      if (reply.receiverName != request.name || reply.senderName != message.routingId) {
        continue;
      }
      if (reply.type == wire::MessageType::kJoinRefused) {
        MURMUR_THROW(
            kRefused, reply.senderName, " refused to let ", request.name, " in: ", reply.config);
      }
      if (reply.type != wire::MessageType::kJoinAccept) {
        continue;  // members that learnt of us already say hello: they wait for our own
      }
      if (reply.payloads.size() != 1 || message.frames.size() != 2 ||
          reply.payloads[0].dtype != runtime::DType::kFloat32 || reply.payloads[0].numel != numel ||
          message.frames[1].bytes != numel * sizeof(float)) {
        MURMUR_THROW(kProtocol,
                     reply.senderName,
                     " let us in with a model of the wrong size (",
                     message.frames[1].bytes,
                     " bytes; ours has ",
                     numel,
                     " parameters)");
      }
      Admission admission;
      admission.seed = reply.senderName;
      admission.config = reply.config;
      admission.runHash = reply.runHash;
      admission.members = reply.members;
      admission.model.resize(numel);
      std::memcpy(admission.model.data(), message.frames[1].data, numel * sizeof(float));
      return admission;
    }
  }
  MURMUR_THROW(kTimeout,
               "no member answered at ",
               listed(seeds),
               " within ",
               runtime::toSeconds(timeout),
               " s (are they running, and is ",
               request.address,
               " reachable from them? does the swarm use a --swarm-key this peer lacks, or "
               "another one?)");
}

}  // namespace murmur::peer
