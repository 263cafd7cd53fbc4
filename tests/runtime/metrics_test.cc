#include "runtime/metrics.h"

#include <thread>

#include <gtest/gtest.h>

#include "runtime/error.h"

namespace murmur::runtime {
namespace {

TEST(MetricsRegistry, RendersPrometheusTextWithPrefix) {
  MetricsRegistry metrics;
  metrics.counter("exchanges_total{result=\"applied\"}", "exchanges by result").add(3);
  metrics.counter("exchanges_total{result=\"busy\"}").add();
  metrics.gauge("loss", "training loss").set(0.25);
  std::string text = metrics.renderPrometheus();
  EXPECT_NE(text.find("# TYPE murmur_exchanges_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("murmur_exchanges_total{result=\"applied\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("murmur_exchanges_total{result=\"busy\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE murmur_loss gauge\nmurmur_loss 0.25\n"), std::string::npos);
  EXPECT_EQ(text.find("# TYPE murmur_exchanges_total counter", text.find("busy")),
            std::string::npos);  // one TYPE line per family
  EXPECT_EQ(metrics.read("exchanges_total{result=\"applied\"}"), 3.0);
  EXPECT_EQ(metrics.read("absent"), 0.0);
  EXPECT_THROW(metrics.gauge("loss_total_mismatch"); metrics.counter("loss_total_mismatch"), Error);
}

TEST(MetricsRegistry, ReadsAFamilyByLabelValue) {
  MetricsRegistry metrics;
  metrics.counter("bytes_sent_total{kind=\"model\"}").add(40);
  metrics.counter("bytes_sent_total{kind=\"control\"}").add(2);
  metrics.counter("bytes_sent_totally_else{kind=\"x\"}").add(9);
  metrics.counter("bytes_sent_total_more").add(7);
  std::map<std::string, double> family = metrics.byLabel("bytes_sent_total");
  EXPECT_EQ(family, (std::map<std::string, double>{{"control", 2.0}, {"model", 40.0}}));
  EXPECT_TRUE(metrics.byLabel("absent").empty());
}

TEST(MetricsRegistry, CountersAreSafeAcrossThreads) {
  MetricsRegistry metrics;
  Counter& c = metrics.counter("steps_total");
  std::thread a([&] {
    for (int i = 0; i < 10000; ++i) {
      c.add();
    }
  });
  std::thread b([&] {
    for (int i = 0; i < 10000; ++i) {
      metrics.counter("steps_total").add();
    }
  });
  a.join();
  b.join();
  EXPECT_EQ(c.value(), 20000U);
}

}  // namespace
}  // namespace murmur::runtime
