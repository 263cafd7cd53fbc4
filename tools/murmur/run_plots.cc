#include "tools/murmur/run_plots.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace murmur::tools {
namespace {

// One value of every timeline point of a peer, against another.
using Field = double (*)(const nlohmann::json& point);

double number(const nlohmann::json& point, const char* key) {
  const auto it = point.find(key);
  return it != point.end() && it->is_number() ? it->get<double>() : -1;
}

PlotPanel panel(const std::vector<nlohmann::json>& summaries,
                const char* title,
                const char* xLabel,
                const char* yLabel,
                Field x,
                Field y,
                bool logY) {
  PlotPanel out{title, xLabel, yLabel, logY, {}};
  // The mean over peers of their i-th points (the points are taken on a shared cadence).
  std::vector<std::pair<double, double>> sums;
  std::vector<int> counts;
  for (const nlohmann::json& s : summaries) {
    PlotSeries series{s.value("name", std::string("peer")), {}, false};
    std::size_t i = 0;
    for (const nlohmann::json& point : s.value("timeline", nlohmann::json::array())) {
      const double px = x(point);
      const double py = y(point);
      if (px < 0 || (py < 0 && !logY)) {
        continue;
      }
      series.points.emplace_back(px, py);
      if (sums.size() <= i) {
        sums.resize(i + 1);
        counts.resize(i + 1);
      }
      sums[i].first += px;
      sums[i].second += py;
      ++counts[i];
      ++i;
    }
    out.series.push_back(std::move(series));
  }
  PlotSeries mean{"mean of peers", {}, true};
  for (std::size_t i = 0; i < sums.size(); ++i) {
    // Only points every peer has: a mean over fewer would jump.
    if (counts[i] == static_cast<int>(summaries.size())) {
      mean.points.emplace_back(sums[i].first / counts[i], sums[i].second / counts[i]);
    }
  }
  if (summaries.size() > 1) {
    out.series.push_back(std::move(mean));
  }
  return out;
}

}  // namespace

std::vector<PlotPanel> runPanels(const std::vector<nlohmann::json>& all) {
  std::vector<nlohmann::json> summaries;
  std::copy_if(all.begin(), all.end(), std::back_inserter(summaries), [](const nlohmann::json& s) {
    return s.is_object() && s.contains("timeline");
  });
  const Field seconds = [](const nlohmann::json& p) { return number(p, "t"); };
  const Field megabytes = [](const nlohmann::json& p) {
    const double bytes = number(p, "bytes_sent");
    return bytes < 0 ? -1 : bytes / 1e6;
  };
  const Field accuracy = [](const nlohmann::json& p) { return number(p, "accuracy"); };
  const Field loss = [](const nlohmann::json& p) { return number(p, "loss"); };
  const Field distance = [](const nlohmann::json& p) { return number(p, "partner_distance"); };
  std::vector<PlotPanel> panels = {
      panel(summaries,
            "Local test accuracy over time",
            "seconds since start",
            "test accuracy",
            seconds,
            accuracy,
            false),
      panel(summaries,
            "Local test accuracy over bytes sent",
            "MB sent by the peer",
            "test accuracy",
            megabytes,
            accuracy,
            false),
      panel(summaries,
            "Training loss (EMA) over time",
            "seconds since start",
            "loss",
            seconds,
            loss,
            false),
      panel(summaries,
            "Distance to gossip partners",
            "seconds since start",
            "1/2 |x_j - x_i|^2 at an exchange",
            seconds,
            distance,
            true),
  };
  // The consensus distance just before the final average, where it was measured.
  PlotSeries final{"consensus distance at the end", {}, false};
  for (const nlohmann::json& s : summaries) {
    const double cd = number(s, "consensus_distance_final");
    if (cd > 0 && final.points.empty()) {
      final.points.emplace_back(number(s, "wall_seconds"), cd);
    }
  }
  if (!final.points.empty()) {
    panels.back().series.push_back(std::move(final));
  }
  return panels;
}

std::string runPlotTitle(const std::string& runDir) {
  std::filesystem::path path = std::filesystem::path(runDir).lexically_normal();
  if (path.filename().empty()) {
    path = path.parent_path();  // "runs/x/" names x
  }
  return "murmur run " + path.filename().string();
}

bool writeRunPlot(const std::vector<nlohmann::json>& summaries,
                  const std::string& title,
                  const std::string& path) {
  const std::vector<PlotPanel> panels = runPanels(summaries);
  std::ofstream out(path, std::ios::binary);
  out << renderPlotFile(path, title, panels);
  out.close();
  if (!out) {
    std::fprintf(stderr, "murmur: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace murmur::tools
