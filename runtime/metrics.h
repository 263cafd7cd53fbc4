// Counters and gauges for a peer, rendered as Prometheus text or read directly for reports.
// Thread: any; updates are lock-free atomics, registration takes a lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace murmur::runtime {

// A monotonically increasing count.
class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }

  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }

  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Owns every metric of one peer. Names are Prometheus names without the `murmur_` prefix;
// labels are written `name{key="value"}`. Returned references live as long as the registry.
class MetricsRegistry {
 public:
  Counter& counter(const std::string& name, const std::string& help = "");
  Gauge& gauge(const std::string& name, const std::string& help = "");

  // Prometheus text exposition format, every series prefixed `murmur_`.
  std::string renderPrometheus() const;

  // Current value of a counter or gauge by full name (with labels), or 0 if absent.
  double read(const std::string& name) const;

  // The series of one single-label family, by label value: byLabel("bytes_sent_total") gives
  // {"model": …, "control": …} for bytes_sent_total{kind="model"},
  // bytes_sent_total{kind="control"}.
  std::map<std::string, double> byLabel(const std::string& family) const;

 private:
  struct Entry {
    std::string help;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
  };

  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace murmur::runtime
