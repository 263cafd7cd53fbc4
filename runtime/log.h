// Subsystem-tagged logging: one line per event, formatted only when the level is enabled.
// Thread: any. Settings are process-wide and set once by a tool's main() before threads start.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace murmur::runtime {

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarn, kError, kOff };

// Parses "info" or "info,gossip:debug,peer:warn" (default level, then per-subsystem overrides).
// Throws Error(kInvalidArgument) naming the bad part.
void configureLogging(std::string_view spec);

// Every line is prefixed with this name (the peer's name); empty by default.
void setLogName(std::string name);

// Lines go to stderr as text, or as one JSON object per line.
void setLogJson(bool json);

bool logEnabled(LogLevel level, std::string_view subsystem);

void logLine(LogLevel level, std::string_view subsystem, const std::string& message);

}  // namespace murmur::runtime

#define MURMUR_LOG(level, subsystem, ...)                                               \
  do {                                                                                  \
    if (::murmur::runtime::logEnabled(::murmur::runtime::LogLevel::level, subsystem)) { \
      ::murmur::runtime::logLine(                                                       \
          ::murmur::runtime::LogLevel::level, subsystem, ::fmt::format(__VA_ARGS__));   \
    }                                                                                   \
  } while (false)
