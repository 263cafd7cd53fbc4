// Entry points of the murmur subcommands. Each returns the process exit code:
// 0 success, 1 failure, 2 bad usage or input (flags, files, data), 4 refused by the swarm
// (another protocol version or model, a name taken), 130 interrupted twice.
#pragma once

#include <string>
#include <vector>

namespace murmur::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRefused = 4;
inline constexpr int kExitInterrupted = 130;

int runCommand(const std::vector<std::string>& args);
int swarmCommand(const std::vector<std::string>& args, const std::string& selfExe);
int statusCommand(const std::vector<std::string>& args);
int membersCommand(const std::vector<std::string>& args);
int topCommand(const std::vector<std::string>& args);
int leaveCommand(const std::vector<std::string>& args);
int keygenCommand(const std::vector<std::string>& args);
int reportCommand(const std::vector<std::string>& args);

}  // namespace murmur::tools
