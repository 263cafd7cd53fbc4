// What murmur swarm shows: the live table built from the peers' progress records, and the final
// report aggregated from their summaries.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace murmur::tools {

// The latest progress record of one peer (see peer::NodeOptions::onProgress).
struct PeerProgress {
  std::string name;
  std::string phase = "starting";
  std::int64_t step = 0;
  std::int64_t steps = 0;
  double loss = 0;
  double testAccuracy = -1;
  std::uint64_t exchanges = 0;
  std::uint64_t bytesSent = 0;
  double exchangesPerSecond = 0;
  double t = 0;

  // Applies one JSON line; lines that are not progress records are ignored.
  void update(const std::string& line);
};

// Redraws in place on a terminal; prints a plain line every 10 s otherwise.
class LiveTable {
 public:
  explicit LiveTable(bool terminal) : terminal_(terminal) {}

  void draw(const std::vector<PeerProgress>& rows, double elapsed);

 private:
  bool terminal_;
  int linesDrawn_ = 0;
  double lastPlain_ = -1e9;
};

struct SwarmReport {
  int peers = 0;
  int failedPeers = 0;
  double testAccuracyAvgModel = -1;  // the exact average (as most peers computed it)
  bool averageAgreed = true;         // every averaged peer got the same accuracy
  std::vector<double> testAccuracyPerPeer;
  std::vector<std::string> names;
  std::vector<std::int64_t> stepsPerPeer;
  std::vector<std::uint64_t> bytesSentPerPeer;
  std::vector<std::uint64_t> exchangesPerPeer;
  std::uint64_t bytesSentTotal = 0;
  std::uint64_t exchangesTotal = 0;  // pairwise exchanges (each counted once)
  std::uint64_t exchangeTimeouts = 0;
  double wallSeconds = 0;
  double consensusDistanceFinal = 0;
  double realisedRate = 0;  // mean exchanges per step per peer
  double eta = 0;
  double alphaTilde = 0.5;
  std::vector<std::pair<double, double>> accuracyTimeline;  // (seconds, mean local accuracy)
  double secondsTo85 = -1;
  double secondsTo88 = -1;
  std::string syncMode = "none";  // global syncs (--sync)
  std::vector<std::uint64_t> syncsPerPeer;
  std::uint64_t syncBytesTotal = 0;  // FDA states and ring chunks, all peers
};

// Aggregates per-peer summary JSON texts (empty for a peer that wrote none).
SwarmReport buildSwarmReport(const std::vector<std::string>& peerSummaries,
                             const std::vector<int>& exitCodes,
                             double wallSeconds,
                             double evalIntervalSeconds);

// The human report.
std::string renderSwarmReport(const SwarmReport& report);

// The --summary-json document.
std::string swarmReportJson(const SwarmReport& report);

}  // namespace murmur::tools
