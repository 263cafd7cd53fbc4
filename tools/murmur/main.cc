// murmur: the command-line front end. Subcommands: run (one peer), swarm (N local peers), and
// status / members / top / leave (a running peer, through its control endpoint).
#include <cstdio>
#include <string>
#include <vector>

#include "tools/common/malloc_tuning.h"
#include "tools/murmur/commands.h"

#include <unistd.h>

namespace {

constexpr const char* kUsage = R"(murmur: peer-to-peer gossip training with A²CiD² momentum

Usage:
  murmur swarm [--peers N] [run options]   N peers on this machine, live table, final report
  murmur run --peers FILE|ADDR,... --name NAME [options]   one peer of a swarm
  murmur status  --control HOST:PORT       one peer: progress, exchanges, bytes, settings
  murmur members --control HOST:PORT       the swarm as one peer sees it (alive/suspect/dead/left)
  murmur top     --control HOST:PORT       live table of every member
  murmur leave   --control HOST:PORT       ask a peer to leave gracefully
  murmur keygen  --out DIR                 a swarm key for --swarm-key (encrypted, authenticated)
  murmur report  RUN_DIR | peer*.json     the swarm report and its plots (SVG) of a run
  murmur <command> --help                  every option, with its default

Start here:   murmur swarm          (4 peers, LeNet-5 on Fashion-MNIST, about two minutes)
)";

std::string selfExecutable(const char* argv0) {
  std::vector<char> buffer(4096);
  ssize_t n = readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  return n > 0 ? std::string(buffer.data(), static_cast<std::size_t>(n)) : std::string(argv0);
}

}  // namespace

int main(int argc, char** argv) {
  murmur::tools::ensureMallocTuning(argv);

  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? murmur::tools::kExitUsage : murmur::tools::kExitOk;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "run") {
    return murmur::tools::runCommand(args);
  }
  if (command == "swarm") {
    return murmur::tools::swarmCommand(args, selfExecutable(argv[0]));
  }
  if (command == "status") {
    return murmur::tools::statusCommand(args);
  }
  if (command == "members") {
    return murmur::tools::membersCommand(args);
  }
  if (command == "top") {
    return murmur::tools::topCommand(args);
  }
  if (command == "leave") {
    return murmur::tools::leaveCommand(args);
  }
  if (command == "keygen") {
    return murmur::tools::keygenCommand(args);
  }
  if (command == "report") {
    return murmur::tools::reportCommand(args);
  }
  std::fprintf(stderr, "murmur: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return murmur::tools::kExitUsage;
}
