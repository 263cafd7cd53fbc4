#include "tools/sim/sim_report.h"

#include <sstream>

#include "tools/common/plot_file.h"

#include <nlohmann/json.hpp>

namespace murmur::sim {
namespace {

nlohmann::json optional(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

std::string variantName(const SimOptions& o) {
  std::ostringstream name;
  if (!o.gossip) {
    return "no gossip";
  }
  name << (o.momentum ? "A2CiD2" : "baseline") << " r=" << o.rate;
  return name.str();
}

std::string resultJson(const SimOptions& o, const SimResult& r, double wallSeconds) {
  nlohmann::json j;
  j["consensus_distance"] = r.consensusDistance;
  j["consensus_distance_mean"] = r.consensusDistanceMean;
  j["bytes_total"] = r.bytesTotal;
  j["loss"] = optional(r.loss);
  j["loss_mean"] = optional(r.lossMean);
  j["accuracy"] = optional(r.accuracy);
  j["exchanges"] = r.exchanges;
  j["gradient_steps"] = r.gradientSteps;
  j["steps_per_peer"] = r.stepsPerPeer;
  j["realised_rate"] = r.realisedRate;
  j["realised_rate_min"] = r.realisedRateMin;
  j["realised_rate_max"] = r.realisedRateMax;
  j["busy"] = r.busy;
  j["timeouts"] = r.timeouts;
  j["retransmissions"] = r.retransmissions;
  j["crashed"] = r.crashed;
  j["left"] = r.left;
  j["joined"] = r.joined;
  j["syncs"] = r.syncs;
  j["sync_bytes"] = r.syncBytes;
  j["state_bytes"] = r.stateBytes;
  if (o.sync != "none") {
    j["sync_retries"] = r.syncRetries;
  }
  if (o.sync == "fda") {
    j["proposal_bytes"] = r.proposalBytes;
  }
  j["codec"] = o.codec;
  if (o.codec == "fp16" || o.codec == "bf16") {
    j["codec_fallbacks"] = r.codecFallbacks;
  }
  if (r.lbgm) {
    j["lbgm_units"] = {{"skip", r.lbgm->skip},
                       {"scalar", r.lbgm->scalar},
                       {"full", r.lbgm->full},
                       {"reset", r.lbgm->reset}};
  }
  j["sync"] = o.sync;
  j["membership"] = o.membership;
  if (r.swim) {
    j["swim"] = {{"bytes", r.swim->bytes},
                 {"probe_messages", r.swim->messages},
                 {"deaths", r.swim->deaths},
                 {"false_deaths", r.swim->falseDeaths},
                 {"detection_seconds_mean", r.swim->detectionSecondsMean},
                 {"detection_seconds_max", r.swim->detectionSecondsMax}};
  }
  j["events"] = r.events;
  j["eta"] = r.eta;
  j["alpha_tilde"] = r.alphaTilde;
  j["wall_seconds"] = wallSeconds;
  j["peers"] = o.peers;
  j["topology"] = o.topology;
  j["rate"] = o.rate;
  j["momentum"] = o.momentum;
  j["gossip"] = o.gossip;
  j["workload"] = o.workload;
  j["until"] = o.until;
  j["burn_in"] = o.burnIn;
  j["seed"] = o.seed;
  return j.dump();
}

std::string samplesCsv(const SimResult& r) {
  std::ostringstream csv;
  csv.precision(10);
  csv << "time,consensus_distance,loss,accuracy,bytes,exchanges\n";
  for (const SimSample& s : r.samples) {
    csv << s.time << ',' << s.consensusDistance << ',';
    if (s.loss) {
      csv << *s.loss;
    }
    csv << ',';
    if (s.accuracy) {
      csv << *s.accuracy;
    }
    csv << ',' << s.bytes << ',' << s.exchanges << '\n';
  }
  return csv.str();
}

std::string resultPlot(const std::string& path, const SimOptions& o, const SimResult& r) {
  tools::PlotSeries overTime{variantName(o), {}, true};
  tools::PlotSeries overBytes{variantName(o), {}, true};
  tools::PlotSeries loss{variantName(o), {}, true};
  for (const SimSample& s : r.samples) {
    overTime.points.emplace_back(s.time, s.consensusDistance);
    overBytes.points.emplace_back(static_cast<double>(s.bytes) / 1e6, s.consensusDistance);
    if (s.loss) {
      loss.points.emplace_back(s.time, *s.loss);
    }
  }
  std::vector<tools::PlotPanel> panels = {{"consensus distance over time",
                                           "time (mean gradient intervals)",
                                           "(1/n) sum |x_i - mean|^2",
                                           true,
                                           {overTime}},
                                          {"consensus distance over bytes",
                                           "MB sent (all peers)",
                                           "(1/n) sum |x_i - mean|^2",
                                           true,
                                           {overBytes}}};
  if (!loss.points.empty()) {
    panels.push_back({"loss over time", "time (mean gradient intervals)", "loss", true, {loss}});
  }
  std::ostringstream title;
  title << "murmur-sim: " << o.peers << " peers, " << o.topology << ", " << o.workload << ", "
        << variantName(o);
  return tools::renderPlotFile(path, title.str(), panels);
}

}  // namespace murmur::sim
