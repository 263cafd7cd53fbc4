#include "peer/status_board.h"

#include "peer/exchange_codec.h"

#include <nlohmann/json.hpp>

namespace murmur::peer {
namespace {

nlohmann::json family(const runtime::MetricsRegistry& metrics, const std::string& name) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [label, value] : metrics.byLabel(name)) {
    out[label] = static_cast<std::uint64_t>(value);
  }
  return out;
}

}  // namespace

StatusBoard::StatusBoard(StatusSettings settings,
                         const runtime::MetricsRegistry& metrics,
                         const runtime::Clock& clock)
    : settings_(std::move(settings)), metrics_(metrics), clock_(clock), started_(clock.now()) {}

void StatusBoard::postProgress(const StatusProgress& progress) {
  std::lock_guard<std::mutex> lock(mu_);
  progress_ = progress;
}

void StatusBoard::postMembers(std::vector<MemberRow> members) {
  std::lock_guard<std::mutex> lock(mu_);
  members_ = std::move(members);
}

void StatusBoard::postExchange(const std::string& partner, runtime::TimePoint when) {
  std::lock_guard<std::mutex> lock(mu_);
  lastPartner_ = partner;
  lastExchange_ = when;
}

std::vector<MemberRow> StatusBoard::members() const {
  std::lock_guard<std::mutex> lock(mu_);
  return members_;
}

std::string StatusBoard::statusJson() const {
  const runtime::TimePoint now = clock_.now();
  StatusProgress progress;
  nlohmann::json last = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    progress = progress_;
    if (!lastPartner_.empty()) {
      last = {{"partner", lastPartner_}, {"age_seconds", runtime::toSeconds(now - lastExchange_)}};
    }
  }
  const StatusSettings& s = settings_;
  nlohmann::json out = {
      {"name", s.name},
      {"address", s.address},
      {"control", s.control},
      {"phase", progress.phase},
      {"uptime_seconds", runtime::toSeconds(now - started_)},
      {"step", progress.step},
      {"steps", s.steps},
      {"loss", progress.loss},
      {"test_accuracy",
       progress.testAccuracy >= 0 ? nlohmann::json(progress.testAccuracy)
                                  : nlohmann::json(nullptr)},
      {"exchanges", family(metrics_, "exchanges_total")},
      {"bytes_sent", family(metrics_, "bytes_sent_total")},
      {"bytes_received", family(metrics_, "bytes_received_total")},
      {"last_exchange", last},
      {"compute_wait_seconds", progress.computeWaitSeconds},
      {"settings",
       {{"model", s.model},
        {"parameters", s.parameters},
        {"topology", s.topology},
        {"rate", s.rate},
        {"momentum", s.momentum},
        {"gossip", s.gossip},
        {"eta", s.eta},
        {"alpha_tilde", s.alphaTilde},
        {"seed", s.seed},
        {"protocol_version", s.protocolVersion}}},
  };
  if (s.sync != "none") {
    // Global syncs: the last epoch, how many completed, FDA's swarm estimate against Θ.
    out["sync"] = {
        {"mode", s.sync},
        {"fda_variant", s.fdaVariant},
        {"epoch", metrics_.read("sync_epoch")},
        {"syncs", metrics_.read("syncs_total")},
        {"retries", metrics_.read("sync_retries_total")},
        {"fda_estimate", metrics_.read("fda_estimate")},
        {"fda_theta", metrics_.read("fda_theta")},
        {"codec", s.syncCodec},
        {"codec_rings", metrics_.read("sync_codec_rings_total{codec=\"" + s.syncCodec + "\"}")},
        {"codec_fallbacks",
         metrics_.read("sync_codec_fallbacks_total{codec=\"" + s.syncCodec + "\"}")},
        {"lhc_failed", family(metrics_, "lhc_failed_total")}};
  }
  // Exchange compression: bytes handed to the codec and sent, by codec (fallbacks to raw show
  // under raw); LBGM's reuse rate per unit.
  nlohmann::json codec = {{"name", s.codec},
                          {"bytes_in", family(metrics_, "codec_bytes_in_total")},
                          {"bytes_out", family(metrics_, "codec_bytes_out_total")},
                          {"fallbacks", metrics_.read("codec_fallbacks_total")}};
  if (s.codec == "lbgm") {
    const LbgmReuse reuse = lbgmReuse(metrics_, s.lbgmUnits);
    codec["lbgm_delta"] = s.lbgmDelta;
    codec["lbgm_topk"] = s.lbgmTopk;
    codec["lbgm_gamma"] = s.lbgmGamma;
    codec["lbgm_sign"] = s.lbgmSign;
    codec["lbgm_reuse"] = reuse.overall;
    codec["lbgm_reuse_per_unit"] = reuse.perUnit;
    codec["lbgm_resets"] = metrics_.read("lbgm_publishes_total{kind=\"reset\"}");
  }
  out["codec"] = codec;
  return out.dump();
}

std::string StatusBoard::membersJson() const {
  const runtime::TimePoint now = clock_.now();
  nlohmann::json rows = nlohmann::json::array();
  for (const MemberRow& m : members()) {
    rows.push_back({{"name", m.name},
                    {"address", m.address},
                    {"control", m.control},
                    {"state", m.state},
                    {"incarnation", m.incarnation},
                    {"last_heard_seconds",
                     m.lastHeard ? nlohmann::json(runtime::toSeconds(now - *m.lastHeard))
                                 : nlohmann::json(nullptr)},
                    {"step", m.step}});
  }
  return nlohmann::json{{"self", settings_.name}, {"members", rows}}.dump();
}

}  // namespace murmur::peer
