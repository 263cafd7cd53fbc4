#include "peer/status_board.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace murmur::peer {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

StatusSettings settings() {
  StatusSettings s;
  s.name = "peer0";
  s.address = "tcp://127.0.0.1:7000";
  s.control = "127.0.0.1:7001";
  s.model = "lenet5";
  s.parameters = 61706;
  s.steps = 2000;
  s.topology = "ring";
  s.rate = 1;
  s.eta = 0.5;
  s.alphaTilde = 0.6;
  s.seed = 9;
  s.protocolVersion = 2;
  return s;
}

TEST(StatusBoard, StatusCarriesProgressExchangesBytesAndSettings) {
  runtime::ManualClock clock;
  runtime::MetricsRegistry metrics;
  metrics.counter("exchanges_total{result=\"applied\"}").add(7);
  metrics.counter("exchanges_total{result=\"timeout\"}").add(1);
  metrics.counter("bytes_sent_total{kind=\"model\"}").add(1000);
  metrics.counter("bytes_received_total{kind=\"control\"}").add(10);
  StatusBoard board(settings(), metrics, clock);
  nlohmann::json before = nlohmann::json::parse(board.statusJson());
  EXPECT_TRUE(before["last_exchange"].is_null());
  EXPECT_TRUE(before["test_accuracy"].is_null()) << "no evaluation yet";

  board.postProgress(StatusProgress{"training", 120, 0.5, 0.81, 0.25});
  board.postExchange("peer1", clock.now());
  clock.advanceBy(milliseconds(1500));
  nlohmann::json s = nlohmann::json::parse(board.statusJson());
  EXPECT_EQ(s["name"], "peer0");
  EXPECT_EQ(s["address"], "tcp://127.0.0.1:7000");
  EXPECT_EQ(s["control"], "127.0.0.1:7001");
  EXPECT_EQ(s["phase"], "training");
  EXPECT_EQ(s["step"], 120);
  EXPECT_EQ(s["steps"], 2000);
  EXPECT_DOUBLE_EQ(s["loss"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(s["test_accuracy"].get<double>(), 0.81);
  EXPECT_EQ(s["exchanges"], (nlohmann::json{{"applied", 7}, {"timeout", 1}}));
  EXPECT_EQ(s["bytes_sent"], (nlohmann::json{{"model", 1000}}));
  EXPECT_EQ(s["bytes_received"], (nlohmann::json{{"control", 10}}));
  EXPECT_EQ(s["last_exchange"]["partner"], "peer1");
  EXPECT_DOUBLE_EQ(s["last_exchange"]["age_seconds"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(s["compute_wait_seconds"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(s["uptime_seconds"].get<double>(), 1.5);
  const nlohmann::json& set = s["settings"];
  EXPECT_EQ(set["model"], "lenet5");
  EXPECT_EQ(set["parameters"], 61706);
  EXPECT_EQ(set["topology"], "ring");
  EXPECT_EQ(set["protocol_version"], 2);
  EXPECT_EQ(set["seed"], 9);
  EXPECT_DOUBLE_EQ(set["alpha_tilde"].get<double>(), 0.6);
  EXPECT_FALSE(s.contains("sync")) << "no global syncs in this run";
}

TEST(StatusBoard, StatusShowsGlobalSyncsWhenTheRunHasThem) {
  runtime::ManualClock clock;
  runtime::MetricsRegistry metrics;
  metrics.counter("syncs_total").add(3);
  metrics.gauge("sync_epoch").set(4);
  metrics.gauge("fda_estimate").set(1.25);
  metrics.gauge("fda_theta").set(2.5);
  metrics.counter("sync_codec_rings_total{codec=\"lhc\"}").add(2);
  metrics.counter("sync_codec_fallbacks_total{codec=\"lhc\"}").add(1);
  metrics.counter("lhc_failed_total{reason=\"stalled\"}").add(1);
  StatusSettings fda = settings();
  fda.sync = "fda";
  fda.fdaVariant = "linear";
  fda.syncCodec = "lhc";
  StatusBoard board(fda, metrics, clock);
  nlohmann::json s = nlohmann::json::parse(board.statusJson());
  EXPECT_EQ(s["sync"]["mode"], "fda");
  EXPECT_EQ(s["sync"]["fda_variant"], "linear");
  EXPECT_EQ(s["sync"]["syncs"], 3);
  EXPECT_EQ(s["sync"]["epoch"], 4);
  EXPECT_DOUBLE_EQ(s["sync"]["fda_estimate"].get<double>(), 1.25);
  EXPECT_DOUBLE_EQ(s["sync"]["fda_theta"].get<double>(), 2.5);
  EXPECT_EQ(s["sync"]["codec"], "lhc");
  EXPECT_EQ(s["sync"]["codec_rings"], 2);
  EXPECT_EQ(s["sync"]["codec_fallbacks"], 1);
  EXPECT_EQ(s["sync"]["lhc_failed"]["stalled"], 1);
}

TEST(StatusBoard, StatusShowsTheCodecAndLbgmReusePerUnit) {
  runtime::ManualClock clock;
  runtime::MetricsRegistry metrics;
  metrics.counter("codec_bytes_in_total{codec=\"lbgm\"}").add(1000);
  metrics.counter("codec_bytes_out_total{codec=\"lbgm\"}").add(400);
  metrics.counter("lbgm_unit_total{unit=\"0\",mode=\"scalar\"}").add(3);
  metrics.counter("lbgm_unit_total{unit=\"0\",mode=\"full\"}").add(1);
  metrics.counter("lbgm_unit_total{unit=\"1\",mode=\"full\"}").add(4);
  metrics.counter("lbgm_publishes_total{kind=\"reset\"}").add(2);
  StatusSettings lbgm = settings();
  lbgm.codec = "lbgm";
  lbgm.lbgmDelta = 0.5;
  lbgm.lbgmUnits = 2;
  StatusBoard board(lbgm, metrics, clock);
  nlohmann::json s = nlohmann::json::parse(board.statusJson());
  EXPECT_EQ(s["codec"]["name"], "lbgm");
  EXPECT_EQ(s["codec"]["bytes_in"]["lbgm"], 1000);
  EXPECT_EQ(s["codec"]["bytes_out"]["lbgm"], 400);
  EXPECT_EQ(s["codec"]["lbgm_reuse_per_unit"], nlohmann::json({0.75, 0.0}));
  EXPECT_DOUBLE_EQ(s["codec"]["lbgm_reuse"].get<double>(), 3.0 / 8.0);
  EXPECT_EQ(s["codec"]["lbgm_resets"], 2);
}

TEST(StatusBoard, MembersListEveryRowWithAgesFromTheClock) {
  runtime::ManualClock clock;
  runtime::MetricsRegistry metrics;
  StatusBoard board(settings(), metrics, clock);
  const runtime::TimePoint heard = clock.now();
  board.postMembers({MemberRow{"peer0", "tcp://a:1", "a:2", "self", 5, heard, 10},
                     MemberRow{"peer1", "tcp://b:1", "", "suspect", 7, heard, 8},
                     MemberRow{"peer2", "tcp://c:1", "", "pending", 0, std::nullopt, 0}});
  clock.advanceBy(seconds(2));
  nlohmann::json m = nlohmann::json::parse(board.membersJson());
  EXPECT_EQ(m["self"], "peer0");
  ASSERT_EQ(m["members"].size(), 3U);
  const nlohmann::json& suspect = m["members"][1];
  EXPECT_EQ(suspect["name"], "peer1");
  EXPECT_EQ(suspect["address"], "tcp://b:1");
  EXPECT_EQ(suspect["control"], "");
  EXPECT_EQ(suspect["state"], "suspect");
  EXPECT_EQ(suspect["incarnation"], 7);
  EXPECT_EQ(suspect["step"], 8);
  EXPECT_DOUBLE_EQ(suspect["last_heard_seconds"].get<double>(), 2.0);
  EXPECT_TRUE(m["members"][2]["last_heard_seconds"].is_null());
}

}  // namespace
}  // namespace murmur::peer
