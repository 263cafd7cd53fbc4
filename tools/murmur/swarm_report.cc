#include "tools/murmur/swarm_report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace murmur::tools {
namespace {

double megabytes(std::uint64_t bytes) {
  return static_cast<double>(bytes) / 1e6;
}

// A number field, or `fallback` when absent or not a number (NaN is written as null).
template <typename T>
T numberOr(const nlohmann::json& record, const char* key, T fallback) {
  auto it = record.find(key);
  return it != record.end() && it->is_number() ? it->get<T>() : fallback;
}

std::string accuracyText(double accuracy) {
  return accuracy < 0 ? std::string("   -  ") : fmt::format("{:.4f}", accuracy);
}

}  // namespace

void PeerProgress::update(const std::string& line) {
  nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object() || record.value("event", "") != "progress") {
    return;
  }
  double newT = numberOr(record, "t", t);
  std::uint64_t newExchanges = numberOr(record, "exchanges", exchanges);
  if (newT > t + 0.5) {
    exchangesPerSecond =
        static_cast<double>(newExchanges - std::min(newExchanges, exchanges)) / (newT - t);
    t = newT;
    exchanges = newExchanges;
  } else if (t == 0) {
    t = newT;
    exchanges = newExchanges;
  }
  phase = record.value("phase", phase);
  step = numberOr(record, "step", step);
  steps = numberOr(record, "steps", steps);
  loss = numberOr(record, "loss", loss);
  testAccuracy = numberOr(record, "test_accuracy", testAccuracy);
  bytesSent = numberOr(record, "bytes_sent", bytesSent);
}

void LiveTable::draw(const std::vector<PeerProgress>& rows, double elapsed) {
  if (!terminal_) {
    if (elapsed - lastPlain_ < 10) {
      return;
    }
    lastPlain_ = elapsed;
    std::string line = fmt::format("[{:6.1f}s]", elapsed);
    for (const PeerProgress& p : rows) {
      line +=
          fmt::format(" {} {}/{} acc {}", p.name, p.step, p.steps, accuracyText(p.testAccuracy));
    }
    std::puts(line.c_str());
    std::fflush(stdout);
    return;
  }
  std::string out;
  if (linesDrawn_ > 0) {
    out += fmt::format("\033[{}A\033[J", linesDrawn_);
  }
  out += fmt::format("{:<10} {:<12} {:>13} {:>8} {:>9} {:>8} {:>9}   elapsed {:.0f} s\n",
                     "peer",
                     "phase",
                     "step",
                     "loss",
                     "test acc",
                     "exch/s",
                     "MB sent",
                     elapsed);
  for (const PeerProgress& p : rows) {
    out += fmt::format("{:<10} {:<12} {:>6}/{:<6} {:>8.4f} {:>9} {:>8.1f} {:>9.1f}\n",
                       p.name,
                       p.phase,
                       p.step,
                       p.steps,
                       p.loss,
                       accuracyText(p.testAccuracy),
                       p.exchangesPerSecond,
                       megabytes(p.bytesSent));
  }
  linesDrawn_ = static_cast<int>(rows.size()) + 1;
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

SwarmReport buildSwarmReport(const std::vector<std::string>& peerSummaries,
                             const std::vector<int>& exitCodes,
                             double wallSeconds,
                             double evalIntervalSeconds) {
  SwarmReport r;
  r.peers = static_cast<int>(peerSummaries.size());
  r.wallSeconds = wallSeconds;
  std::map<long long, int> averageVotes;  // accuracy in 1e-6 units → peers
  std::map<long long, std::vector<std::pair<double, double>>> buckets;
  double rateSum = 0;
  int rated = 0;
  for (std::size_t i = 0; i < peerSummaries.size(); ++i) {
    nlohmann::json s = nlohmann::json::parse(peerSummaries[i], nullptr, false);
    if (exitCodes[i] != 0) {
      ++r.failedPeers;
    }
    if (!s.is_object()) {
      r.names.push_back("peer" + std::to_string(i));
      r.testAccuracyPerPeer.push_back(-1);
      r.stepsPerPeer.push_back(0);
      r.bytesSentPerPeer.push_back(0);
      r.exchangesPerPeer.push_back(0);
      continue;
    }
    r.names.push_back(s.value("name", "peer" + std::to_string(i)));
    r.testAccuracyPerPeer.push_back(numberOr(s, "test_accuracy_local", -1.0));
    r.stepsPerPeer.push_back(s.value("steps", std::int64_t{0}));
    r.bytesSentPerPeer.push_back(s.value("bytes_sent", std::uint64_t{0}));
    r.exchangesPerPeer.push_back(s.value("exchanges_applied", std::uint64_t{0}));
    r.bytesSentTotal += s.value("bytes_sent", std::uint64_t{0});
    r.exchangesTotal += s.value("exchanges_initiated", std::uint64_t{0});
    r.exchangeTimeouts += s.value("exchanges_timed_out", std::uint64_t{0});
    r.syncMode = s.value("sync", std::string("none"));
    r.syncsPerPeer.push_back(s.value("syncs", std::uint64_t{0}));
    for (const char* kind : {"sync_state", "sync_sketch", "sync_model"}) {
      r.syncBytesTotal +=
          s.value("bytes_sent_by_kind", nlohmann::json::object()).value(kind, std::uint64_t{0});
    }
    r.eta = s.value("eta", 0.0);
    r.alphaTilde = s.value("alpha_tilde", 0.5);
    rateSum += numberOr(s, "realised_rate", 0.0);
    ++rated;
    if (s.value("averaged", false)) {
      double acc = numberOr(s, "test_accuracy_avg_model", -1.0);
      ++averageVotes[std::llround(acc * 1e6)];
      r.consensusDistanceFinal = numberOr(s, "consensus_distance_final", 0.0);
    }
    for (const auto& point : s.value("accuracy_timeline", nlohmann::json::array())) {
      if (!point.is_array() || point.size() != 2 || !point[0].is_number() ||
          !point[1].is_number()) {
        continue;
      }
      double t = point[0].get<double>();
      long long bucket = evalIntervalSeconds > 0 ? std::llround(t / evalIntervalSeconds) : 0;
      buckets[bucket].emplace_back(t, point[1].get<double>());
    }
  }
  r.realisedRate = rated > 0 ? rateSum / rated : 0;
  r.averageAgreed = averageVotes.size() <= 1;
  int bestVotes = 0;
  for (const auto& [acc, votes] : averageVotes) {
    if (votes > bestVotes) {
      bestVotes = votes;
      r.testAccuracyAvgModel = static_cast<double>(acc) / 1e6;
    }
  }
  for (const auto& [bucket, points] : buckets) {
    double tSum = 0;
    double accSum = 0;
    for (const auto& [t, acc] : points) {
      tSum += t;
      accSum += acc;
    }
    double t = tSum / static_cast<double>(points.size());
    double acc = accSum / static_cast<double>(points.size());
    r.accuracyTimeline.emplace_back(t, acc);
    if (r.secondsTo85 < 0 && acc >= 0.85) {
      r.secondsTo85 = t;
    }
    if (r.secondsTo88 < 0 && acc >= 0.88) {
      r.secondsTo88 = t;
    }
  }
  return r;
}

std::string renderSwarmReport(const SwarmReport& r) {
  std::string out = "\n=== murmur swarm report ===\n";
  out += fmt::format(
      "{:<10} {:>8} {:>12} {:>10} {:>9}\n", "peer", "steps", "local acc", "exchanges", "MB sent");
  for (std::size_t i = 0; i < r.names.size(); ++i) {
    out += fmt::format("{:<10} {:>8} {:>12} {:>10} {:>9.1f}\n",
                       r.names[i],
                       r.stepsPerPeer[i],
                       accuracyText(r.testAccuracyPerPeer[i]),
                       r.exchangesPerPeer[i],
                       megabytes(r.bytesSentPerPeer[i]));
  }
  out += fmt::format("averaged model test accuracy  {}{}\n",
                     accuracyText(r.testAccuracyAvgModel),
                     r.averageAgreed ? "" : "  (peers averaged different member sets)");
  out += fmt::format("pairwise exchanges            {} ({:.2f} per step per peer, {} timed out)\n",
                     r.exchangesTotal,
                     r.realisedRate,
                     r.exchangeTimeouts);
  if (r.syncMode != "none") {
    auto [fewest, most] = std::minmax_element(r.syncsPerPeer.begin(), r.syncsPerPeer.end());
    out += fmt::format("{:<30}{}{} per peer, {:.1f} MB\n",
                       "global syncs (" + r.syncMode + ")",
                       r.syncsPerPeer.empty() ? 0 : *fewest,
                       r.syncsPerPeer.empty() || *fewest == *most ? "" : fmt::format("–{}", *most),
                       megabytes(r.syncBytesTotal));
  }
  out += fmt::format("bytes sent                    {:.1f} MB\n", megabytes(r.bytesSentTotal));
  out += fmt::format("consensus distance at end     {:.3g}\n", r.consensusDistanceFinal);
  out += fmt::format("A²CiD²                        η = {:.4f}, α̃ = {:.4f}{}\n",
                     r.eta,
                     r.alphaTilde,
                     r.alphaTilde == 0.5 ? " (baseline)" : "");
  auto reached = [](double s) {
    return s < 0 ? std::string("not reached") : fmt::format("{:.1f} s", s);
  };
  out += fmt::format("mean local test acc ≥ 0.85    {}\n", reached(r.secondsTo85));
  out += fmt::format("mean local test acc ≥ 0.88    {}\n", reached(r.secondsTo88));
  out += fmt::format("wall time                     {:.1f} s\n", r.wallSeconds);
  if (r.failedPeers > 0) {
    out += fmt::format("FAILED peers                  {}\n", r.failedPeers);
  }
  return out;
}

std::string swarmReportJson(const SwarmReport& r) {
  nlohmann::json timeline = nlohmann::json::array();
  for (const auto& [t, acc] : r.accuracyTimeline) {
    timeline.push_back({t, acc});
  }
  nlohmann::json out = {
      {"peers", r.peers},
      {"failed_peers", r.failedPeers},
      {"test_accuracy_avg_model", r.testAccuracyAvgModel},
      {"average_agreed", r.averageAgreed},
      {"test_accuracy_per_peer", r.testAccuracyPerPeer},
      {"names", r.names},
      {"bytes_sent_total", r.bytesSentTotal},
      {"bytes_sent_per_peer", r.bytesSentPerPeer},
      {"exchanges_total", r.exchangesTotal},
      {"exchange_timeouts", r.exchangeTimeouts},
      {"steps_per_peer", r.stepsPerPeer},
      {"wall_seconds", r.wallSeconds},
      {"consensus_distance_final", r.consensusDistanceFinal},
      {"realised_rate", r.realisedRate},
      {"eta", r.eta},
      {"alpha_tilde", r.alphaTilde},
      {"seconds_to_0.85", r.secondsTo85},
      {"seconds_to_0.88", r.secondsTo88},
      {"sync", r.syncMode},
      {"syncs_per_peer", r.syncsPerPeer},
      {"sync_bytes_total", r.syncBytesTotal},
      {"accuracy_timeline", timeline},
  };
  return out.dump(2);
}

}  // namespace murmur::tools
