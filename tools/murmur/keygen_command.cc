// murmur keygen: a swarm key for --swarm-key (CurveZMQ on every connection).
#include <cstdio>
#include <filesystem>

#include "peer/transport/swarm_key.h"
#include "runtime/error.h"
#include "tools/murmur/cli_layers.h"
#include "tools/murmur/commands.h"

namespace murmur::tools {

int keygenCommand(const std::vector<std::string>& args) {
  std::string out;
  bool force = false;
  CLI::App app(
      "Writes a swarm key (a CurveZMQ key pair, file mode 0600) to DIR/swarm.key. Give the same "
      "file to every member with --swarm-key: their connections are then encrypted and "
      "authenticated, and a peer without it can neither join nor send anything.\n\n"
      "Example: murmur keygen --out keys && murmur run --swarm-key keys/swarm.key ...",
      "murmur keygen");
  configureApp(app);
  app.add_option("--out", out, "Directory for swarm.key (created if needed)")->required();
  app.add_flag("--force", force, "Replace an existing key (members with the old one are cut off)");
  if (std::optional<int> code = parseCommandLine(app, args)) {
    return *code;
  }
  try {
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    const std::string path = out + "/swarm.key";
    peer::transport::writeSwarmKey(path, peer::transport::generateSwarmKey(), force);
    std::printf("wrote %s (keep it secret; every member needs it: --swarm-key %s)\n",
                path.c_str(),
                path.c_str());
    return kExitOk;
  } catch (const runtime::Error& e) {
    std::fprintf(stderr, "murmur keygen: %s\n", e.what());
    return kExitUsage;
  }
}

}  // namespace murmur::tools
