#include "runtime/metrics.h"

#include "runtime/error.h"

#include <fmt/format.h>

namespace murmur::runtime {
namespace {

std::string baseName(const std::string& name) {
  return name.substr(0, name.find('{'));
}

}  // namespace

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& entry = entries_[name];
  MURMUR_CHECK(entry.gauge == nullptr, "metric ", name, " is a gauge");
  if (!entry.counter) {
    entry.counter = std::make_unique<Counter>();
    entry.help = help;
  }
  return *entry.counter;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& entry = entries_[name];
  MURMUR_CHECK(entry.counter == nullptr, "metric ", name, " is a counter");
  if (!entry.gauge) {
    entry.gauge = std::make_unique<Gauge>();
    entry.help = help;
  }
  return *entry.gauge;
}

std::string MetricsRegistry::renderPrometheus() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  std::string lastBase;
  for (const auto& [name, entry] : entries_) {
    std::string base = baseName(name);
    if (base != lastBase) {
      if (!entry.help.empty()) {
        out += fmt::format("# HELP murmur_{} {}\n", base, entry.help);
      }
      out += fmt::format("# TYPE murmur_{} {}\n", base, entry.counter ? "counter" : "gauge");
      lastBase = base;
    }
    if (entry.counter) {
      out += fmt::format("murmur_{} {}\n", name, entry.counter->value());
    } else {
      out += fmt::format("murmur_{} {}\n", name, entry.gauge->value());
    }
  }
  return out;
}

double MetricsRegistry::read(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    return 0.0;
  }
  return it->second.counter ? static_cast<double>(it->second.counter->value())
                            : it->second.gauge->value();
}

std::map<std::string, double> MetricsRegistry::byLabel(const std::string& family) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, double> out;
  for (auto it = entries_.lower_bound(family + "{"); it != entries_.end(); ++it) {
    const std::string& name = it->first;
    if (name.compare(0, family.size() + 1, family + "{") != 0) {
      break;
    }
    std::size_t open = name.find('"');
    std::size_t close = name.rfind('"');
    if (open == std::string::npos || close <= open) {
      continue;
    }
    const Entry& entry = it->second;
    out[name.substr(open + 1, close - open - 1)] =
        entry.counter ? static_cast<double>(entry.counter->value()) : entry.gauge->value();
  }
  return out;
}

}  // namespace murmur::runtime
