// What a peer shows about itself on its control endpoint (ARCHITECTURE.md §7): the compute thread
// posts its progress, the comm thread the member list and the last exchange, and the control
// thread renders /status and /members as JSON from the latest posts and the metrics registry.
// Thread: any; every method takes the board's lock for a copy, never across I/O.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/clock.h"
#include "runtime/metrics.h"

namespace murmur::peer {

// Fixed for the run: what /status reports under "settings" and as identity.
struct StatusSettings {
  std::string name;
  std::string address;  // data (ZeroMQ) address
  std::string control;  // control endpoint host:port ("" when off)
  std::string model;
  std::int64_t parameters = 0;
  std::int64_t steps = 0;  // target
  std::string topology;
  double rate = 0;
  bool momentum = true;
  bool gossip = true;
  double eta = 0;
  double alphaTilde = 0.5;
  std::uint64_t seed = 0;
  std::uint32_t protocolVersion = 0;
  std::string sync = "none";      // --sync mode
  std::string fdaVariant;         // --sync fda: the estimator
  std::string syncCodec = "raw";  // --sync-codec
  std::string codec = "raw";      // --codec
  double lbgmDelta = 0;           // --codec lbgm: δ
  double lbgmTopk = 0;            // --codec lbgm: top-k fraction (0: dense)
  double lbgmGamma = 0.5;         // --codec lbgm: consensus step γ
  bool lbgmSign = false;          // --codec lbgm: on a·sign(update)
  std::size_t lbgmUnits = 0;      // --codec lbgm: units per publish
};

// The compute thread's latest progress.
struct StatusProgress {
  std::string phase = "starting";  // starting | training | averaging | finished | leaving | left
  std::int64_t step = 0;
  double loss = 0;
  double testAccuracy = -1;  // last local evaluation (-1: none yet)
  double computeWaitSeconds = 0;
};

// One row of /members (our own row included, with state "self").
struct MemberRow {
  std::string name;
  std::string address;
  std::string control;  // its control endpoint, when it told us ("" otherwise)
  std::string state;
  std::uint64_t incarnation = 0;
  std::optional<runtime::TimePoint> lastHeard;
  std::uint64_t step = 0;  // the step its last message carried
};

class StatusBoard {
 public:
  StatusBoard(StatusSettings settings,
              const runtime::MetricsRegistry& metrics,
              const runtime::Clock& clock);

  const StatusSettings& settings() const { return settings_; }

  void postProgress(const StatusProgress& progress);
  void postMembers(std::vector<MemberRow> members);
  void postExchange(const std::string& partner, runtime::TimePoint when);

  std::vector<MemberRow> members() const;

  // GET /status: identity, progress, exchanges by result, bytes by kind, last exchange, settings.
  std::string statusJson() const;

  // GET /members: {"self": name, "members": [{name, address, control, state, incarnation,
  // last_heard_seconds, step}]}.
  std::string membersJson() const;

 private:
  const StatusSettings settings_;
  const runtime::MetricsRegistry& metrics_;
  const runtime::Clock& clock_;
  const runtime::TimePoint started_;
  mutable std::mutex mu_;
  StatusProgress progress_;
  std::vector<MemberRow> members_;
  std::string lastPartner_;
  runtime::TimePoint lastExchange_{};
};

}  // namespace murmur::peer
