// murmur run: one peer of a swarm.
#include <cstdio>
#include <fstream>

#include "peer/embedded_peer.h"
#include "runtime/error.h"
#include "runtime/log.h"
#include "tools/murmur/cli_layers.h"
#include "tools/murmur/commands.h"
#include "tools/murmur/signals.h"
#include "tools/murmur/training_options.h"

namespace murmur::tools {

int runCommand(const std::vector<std::string>& args) {
  TrainingFlags flags;
  std::string peersSpec;
  std::string summaryJson;
  bool progressJson = false;
  CLI::App app(
      "Runs one peer: trains its shard, gossips with its neighbours (A²CiD²), and at the end "
      "averages exactly with every live peer and evaluates that model.\n\n"
      "Example (two machines):\n"
      "  printf 'tcp://10.0.0.1:7000 a\\ntcp://10.0.0.2:7000 b\\n' > peers.txt\n"
      "  murmur run --peers peers.txt --name a --bind tcp://0.0.0.0:7000   # on 10.0.0.1\n"
      "  murmur run --peers peers.txt --name b --bind tcp://0.0.0.0:7000   # on 10.0.0.2\n\n"
      "Joining a running swarm (any member's address; settings and model come from it):\n"
      "  murmur run --join tcp://10.0.0.1:7000 --name c --bind tcp://10.0.0.3:7000",
      "murmur run");
  configureApp(app);
  app.add_option("--peers",
                 peersSpec,
                 "Peer list, identical on every peer: a file with one `tcp://HOST:PORT [NAME]` "
                 "per line ('#' comments), or comma-separated addresses");
  std::string joinSpec;
  app.add_option("--join",
                 joinSpec,
                 "Join a running swarm instead: comma-separated tcp:// addresses of members to ask "
                 "(the first that answers sends the run settings, the member list and its model; "
                 "needs --bind with an address they can reach)");
  app.add_option("--join-timeout",
                 flags.node.joinTimeoutSeconds,
                 "Seconds to wait for a member to admit us")
      ->capture_default_str();
  app.add_option("--join-as-version",
                 flags.node.joinVersion,
                 "Protocol version our JOIN claims (testing the refusal; 0: ours)")
      ->group("");
  app.add_option("--name",
                 flags.node.name,
                 "This peer's name in the list (default: the entry whose address is --bind)");
  app.add_option(
      "--bind", flags.node.bind, "Address to listen on (default: this peer's address in the list)");
  app.add_option("--summary-json", summaryJson, "Write this peer's run summary (JSON) here");
  app.add_flag("--progress-json",
               progressJson,
               "Print one JSON progress record per second on stdout (murmur swarm reads them)");
  app.add_option("--start-time",
                 flags.node.startUnixSeconds,
                 "Unix time that reported times count from (default: this peer's start)");
  app.add_option("--control",
                 flags.node.control,
                 "HTTP control endpoint HOST:PORT (/status, /members, /metrics, POST /leave) or "
                 "'off' (default: 127.0.0.1 at the data port + 1)");
  app.add_option("--control-token",
                 flags.node.controlToken,
                 "Token clients must send; required when --control is not a loopback address "
                 "(or MURMUR_CONTROL_TOKEN)");
  app.add_option("--swarm-key",
                 flags.node.swarmKeyFile,
                 "Swarm key file (murmur keygen): encrypt and authenticate every connection; "
                 "peers without it can neither join nor send anything")
      ->check(CLI::ExistingFile);
  app.add_option("--checkpoint-dir",
                 flags.node.checkpointDir,
                 "Write checkpoints of this peer's model here: on leave, at the end, and every "
                 "--checkpoint-every seconds (atomic, checksummed; the 3 newest are kept)");
  app.add_option("--checkpoint-every",
                 flags.node.checkpointEverySeconds,
                 "Seconds between periodic checkpoints (0: only on leave and at the end)")
      ->capture_default_str();
  app.add_flag("--resume",
               flags.node.resume,
               "Start from the newest valid checkpoint of this peer in --checkpoint-dir (a corrupt "
               "one is reported and the previous one used)");
  addTrainingOptions(app, flags);
  if (std::optional<int> code = parseCommandLine(app, args)) {
    return *code;
  }
  try {
    finishTrainingOptions(flags);
    MURMUR_REQUIRE(peersSpec.empty() != joinSpec.empty(),
                   "give either --peers (start a swarm) or --join (join a running one)");
    if (!peersSpec.empty()) {
      flags.node.peers = peer::parsePeerList(peersSpec);
    }
    for (std::size_t at = 0; !joinSpec.empty() && at != std::string::npos;) {
      std::size_t comma = joinSpec.find(',', at);
      std::string seed = joinSpec.substr(at, comma == std::string::npos ? comma : comma - at);
      MURMUR_REQUIRE(
          seed.rfind("tcp://", 0) == 0, "--join takes tcp://HOST:PORT addresses, got '", seed, "'");
      flags.node.join.push_back(seed);
      at = comma == std::string::npos ? comma : comma + 1;
    }
    if (progressJson) {
      flags.node.onProgress = [](const std::string& line) {
        std::fprintf(stdout, "%s\n", line.c_str());
        std::fflush(stdout);
      };
    }
    peer::EmbeddedPeer node(flags.node);
    StopOnSignal stop([&](int signal) {
      if (signal == kFinishSignal) {
        MURMUR_LOG(kInfo, "peer", "finishing training now and joining the final average");
        node.finishTraining();
      } else {
        MURMUR_LOG(kInfo, "peer", "leaving the swarm on request (again to quit at once)");
        node.leave();
      }
    });
    node.start();
    peer::PeerSummary summary = node.wait();
    if (!summaryJson.empty()) {
      std::ofstream out(summaryJson);
      out << peer::summaryToJson(summary) << "\n";
      if (!out) {
        MURMUR_THROW(kInvalidArgument, "cannot write --summary-json ", summaryJson);
      }
    }
    if (summary.left) {
      return kExitOk;
    }
    if (!summary.averaged) {
      MURMUR_LOG(kError, "peer", "no exact average: {}", summary.finalProblem);
      return kExitFailure;
    }
    return kExitOk;
  } catch (const runtime::Error& e) {
    std::fprintf(stderr,
                 "murmur run: %s: %s\n",
                 std::string(runtime::errorKindName(e.kind())).c_str(),
                 e.what());
    if (e.kind() == runtime::ErrorKind::kRefused) {
      return kExitRefused;
    }
    return e.kind() == runtime::ErrorKind::kInvalidArgument ? kExitUsage : kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "murmur run: failed: %s\n", e.what());
    return kExitFailure;
  }
}

}  // namespace murmur::tools
