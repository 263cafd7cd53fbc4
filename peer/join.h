// Joining a running swarm (ARCHITECTURE.md §4), the joiner's side: ask the members given with
// --join for admission until one answers. An answer is JOIN_ACCEPT (the run settings, the member
// list and a model snapshot to start from) or JOIN_REFUSED (why). The member's side is in
// Peer::handleJoin.
// A JOIN travels under the routing id "join/NAME/INCARNATION": a ROUTER silently refuses a second
// connection with an identity it already has, so a joiner whose name is taken would never hear why.
// Thread: the caller's, before the comm thread starts (it owns the transport until then).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "peer/transport/zmq_transport.h"
#include "peer/wire/envelope.h"
#include "runtime/clock.h"

namespace murmur::peer {

struct JoinRequest {
  std::string name;
  std::string address;  // our data address, as members must dial it
  std::string control;
  std::string modelName;
  std::uint64_t modelSignature = 0;
  std::uint64_t incarnation = 0;
  std::uint16_t version = wire::kProtocolVersion;  // tests claim another to be refused
};

// The routing id of a JOIN from `name`.
std::string joinRoutingId(const std::string& name, std::uint64_t incarnation);

// Whether `routingId` is that of a JOIN from `name`.
bool isJoinRoutingId(const std::string& routingId, const std::string& name);

struct Admission {
  std::string seed;                       // the member that let us in
  std::string config;                     // run settings (JSON)
  std::uint64_t runHash = 0;              // the swarm's
  std::vector<wire::WireUpdate> members;  // every live member, the seed first
  std::vector<float> model;               // its parameters when it answered
};

// Asks the first of `seeds` (tcp:// addresses) every few ms for a second, then all of them every
// `retry`, until one admits us, for at most `timeout`.
// Throws Error(kRefused) with the member's reason when refused, Error(kTimeout) naming the seeds
// when nobody answers, Error(kProtocol) when an answer is malformed (a model of the wrong size).
Admission joinSwarm(transport::ZmqTransport& transport,
                    const JoinRequest& request,
                    const std::vector<std::string>& seeds,
                    std::size_t numel,
                    const runtime::Clock& clock,
                    runtime::Duration timeout,
                    runtime::Duration retry = std::chrono::milliseconds(250));

}  // namespace murmur::peer
