#include "runtime/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>

#include "runtime/error.h"

namespace murmur::runtime {
namespace {

struct LogSettings {
  std::mutex mu;  // serialises writes so lines from threads never interleave
  LogLevel defaultLevel = LogLevel::kInfo;
  std::map<std::string, LogLevel, std::less<>> perSubsystem;
  std::string name;
  bool json = false;
};

// Process-wide by nature (stderr is); written only from main() before threads start.
LogSettings& settings() {
  static LogSettings instance;
  return instance;
}

LogLevel parseLevel(std::string_view text) {
  if (text == "debug") {
    return LogLevel::kDebug;
  }
  if (text == "info") {
    return LogLevel::kInfo;
  }
  if (text == "warn") {
    return LogLevel::kWarn;
  }
  if (text == "error") {
    return LogLevel::kError;
  }
  if (text == "off") {
    return LogLevel::kOff;
  }
  MURMUR_THROW(kInvalidArgument,
               "unknown log level '",
               text,
               "' (expected debug, info, warn, error or off)");
}

const char* levelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "?";
}

std::string jsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

void configureLogging(std::string_view spec) {
  LogSettings& s = settings();
  std::lock_guard<std::mutex> lock(s.mu);
  s.perSubsystem.clear();
  std::size_t start = 0;
  while (start <= spec.size()) {
    std::size_t end = spec.find(',', start);
    if (end == std::string_view::npos) {
      end = spec.size();
    }
    std::string_view part = spec.substr(start, end - start);
    if (!part.empty()) {
      std::size_t colon = part.find(':');
      if (colon == std::string_view::npos) {
        s.defaultLevel = parseLevel(part);
      } else {
        s.perSubsystem[std::string(part.substr(0, colon))] = parseLevel(part.substr(colon + 1));
      }
    }
    start = end + 1;
  }
}

void setLogName(std::string name) {
  LogSettings& s = settings();
  std::lock_guard<std::mutex> lock(s.mu);
  s.name = std::move(name);
}

void setLogJson(bool json) {
  LogSettings& s = settings();
  std::lock_guard<std::mutex> lock(s.mu);
  s.json = json;
}

bool logEnabled(LogLevel level, std::string_view subsystem) {
  LogSettings& s = settings();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.perSubsystem.find(subsystem);
  LogLevel threshold = it == s.perSubsystem.end() ? s.defaultLevel : it->second;
  return level >= threshold && level != LogLevel::kOff;
}

void logLine(LogLevel level, std::string_view subsystem, const std::string& message) {
  using Clock = std::chrono::system_clock;
  auto now = Clock::now();
  std::time_t seconds = Clock::to_time_t(now);
  int millis = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%H:%M:%S", &local);

  LogSettings& s = settings();
  std::lock_guard<std::mutex> lock(s.mu);
  std::string line;
  if (s.json) {
    line = fmt::format(
        "{{\"time\":\"{}.{:03d}\",\"level\":\"{}\",\"peer\":\"{}\",\"subsystem\":\"{}\","
        "\"message\":\"{}\"}}\n",
        stamp,
        millis,
        levelName(level),
        jsonEscape(s.name),
        jsonEscape(subsystem),
        jsonEscape(message));
  } else {
    line = fmt::format("{}.{:03d} {:<5} [{}] {}: {}\n",
                       stamp,
                       millis,
                       levelName(level),
                       s.name.empty() ? "-" : s.name,
                       subsystem,
                       message);
  }
  std::fputs(line.c_str(), stderr);
}

}  // namespace murmur::runtime
