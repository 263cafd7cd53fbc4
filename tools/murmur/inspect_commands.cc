// murmur status | members | top | leave: a person's (or a script's) view of a running swarm,
// through each peer's control endpoint (peer/control/control_server.h).
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "peer/control/control_client.h"
#include "runtime/error.h"
#include "tools/murmur/cli_layers.h"
#include "tools/murmur/commands.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace murmur::tools {
namespace {

using nlohmann::json;

struct InspectFlags {
  std::string control;
  std::string token;
  bool json = false;
  double timeoutSeconds = 3;
};

void addInspectOptions(CLI::App& app, InspectFlags& flags, bool withJson) {
  app.add_option("--control",
                 flags.control,
                 "A peer's control endpoint HOST:PORT (murmur swarm prints them; a peer's default "
                 "is 127.0.0.1 at its data port + 1)")
      ->required();
  app.add_option("--control-token",
                 flags.token,
                 "Token of an endpoint bound off localhost (or MURMUR_CONTROL_TOKEN)");
  app.add_option("--timeout", flags.timeoutSeconds, "Seconds to wait for an answer")
      ->capture_default_str();
  if (withJson) {
    app.add_flag("--json", flags.json, "Print the endpoint's JSON as is (for scripts)");
  }
}

std::chrono::milliseconds deadline(const InspectFlags& flags) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(flags.timeoutSeconds * 1000));
}

// GET/POST with the endpoint's error explained; throws runtime::Error.
std::string call(const InspectFlags& flags,
                 const std::string& control,
                 const std::string& method,
                 const std::string& path) {
  peer::control::HttpReply reply =
      peer::control::httpRequest(control, method, path, flags.token, deadline(flags));
  if (reply.status < 200 || reply.status >= 300) {
    std::string why = reply.body;
    try {
      why = json::parse(reply.body).value("error", reply.body);
    } catch (const json::exception&) {
    }
    MURMUR_THROW(kProtocol, method, " ", path, " on ", control, ": HTTP ", reply.status, ": ", why);
  }
  return reply.body;
}

json callJson(const InspectFlags& flags, const std::string& control, const std::string& path) {
  std::string body = call(flags, control, "GET", path);
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    MURMUR_THROW(kProtocol, "GET ", path, " on ", control, " is not JSON: ", e.what());
  }
}

std::string megabytes(double bytes) {
  return fmt::format("{:.1f} MB", bytes / 1e6);
}

std::string number(const json& value, const char* format = "{:.3f}") {
  if (!value.is_number()) {
    return "-";
  }
  return fmt::format(fmt::runtime(format), value.get<double>());
}

double sum(const json& object) {
  double total = 0;
  for (const auto& [key, value] : object.items()) {
    total += value.get<double>();
  }
  return total;
}

std::string listed(const json& object, const std::function<std::string(double)>& show) {
  std::string out;
  for (const auto& [key, value] : object.items()) {
    out += (out.empty() ? "" : ", ") + key + " " + show(value.get<double>());
  }
  return out.empty() ? "none" : out;
}

std::string renderStatus(const json& s) {
  const json& set = s["settings"];
  std::string out = fmt::format("{} ({}), {}: step {}/{}, loss {}, test accuracy {}\n",
                                s["name"].get<std::string>(),
                                s["address"].get<std::string>(),
                                s["phase"].get<std::string>(),
                                s["step"].get<std::int64_t>(),
                                s["steps"].get<std::int64_t>(),
                                number(s["loss"]),
                                number(s["test_accuracy"]));
  auto count = [](double v) { return fmt::format("{:.0f}", v); };
  auto bytes = [](double v) { return megabytes(v); };
  out += "exchanges:      " + listed(s["exchanges"], count) + "\n";
  out += "bytes sent:     " + listed(s["bytes_sent"], bytes) + "\n";
  out += "bytes received: " + listed(s["bytes_received"], bytes) + "\n";
  const json& last = s["last_exchange"];
  out += "last exchange:  " +
         (last.is_null() ? std::string("none yet")
                         : fmt::format("with {}, {:.1f} s ago",
                                       last["partner"].get<std::string>(),
                                       last["age_seconds"].get<double>())) +
         "\n";
  out += fmt::format("compute wait:   {:.2f} s waiting on comm\n",
                     s["compute_wait_seconds"].get<double>());
  out += fmt::format(
      "settings:       model {} ({} parameters), topology {}, rate {}, {}, seed {}, "
      "protocol {}, up {:.0f} s\n",
      set["model"].get<std::string>(),
      set["parameters"].get<std::int64_t>(),
      set["topology"].get<std::string>(),
      set["rate"].get<double>(),
      !set["gossip"].get<bool>()    ? std::string("gossip off")
      : set["momentum"].get<bool>() ? fmt::format("A²CiD² η={:.4f} α̃={:.4f}",
                                                  set["eta"].get<double>(),
                                                  set["alpha_tilde"].get<double>())
                                    : std::string("baseline gossip (no momentum)"),
      set["seed"].get<std::uint64_t>(),
      set["protocol_version"].get<int>(),
      s["uptime_seconds"].get<double>());
  return out;
}

std::string renderMembers(const json& m) {
  std::string out = fmt::format("{:<16} {:<8} {:>8} {:>11} {:<26} {:<22} {}\n",
                                "NAME",
                                "STATE",
                                "STEP",
                                "LAST HEARD",
                                "ADDRESS",
                                "CONTROL",
                                "INCARNATION");
  for (const json& row : m["members"]) {
    out += fmt::format(
        "{:<16} {:<8} {:>8} {:>11} {:<26} {:<22} {}\n",
        row["name"].get<std::string>(),
        row["state"].get<std::string>(),
        row["step"].get<std::uint64_t>(),
        row["last_heard_seconds"].is_null() ? std::string("never")
                                            : number(row["last_heard_seconds"], "{:.1f} s"),
        row["address"].get<std::string>(),
        row["control"].get<std::string>().empty() ? std::string("?")
                                                  : row["control"].get<std::string>(),
        row["incarnation"].get<std::uint64_t>());
  }
  return out;
}

int report(const char* command, const std::exception& e) {
  std::fprintf(stderr, "murmur %s: %s\n", command, e.what());
  const auto* error = dynamic_cast<const runtime::Error*>(&e);
  return error != nullptr && error->kind() == runtime::ErrorKind::kInvalidArgument ? kExitUsage
                                                                                   : kExitFailure;
}

}  // namespace

int statusCommand(const std::vector<std::string>& args) {
  InspectFlags flags;
  CLI::App app(
      "Shows one peer: progress, exchanges by result, bytes by kind, its last exchange, "
      "compute time lost waiting on comm, and its settings.\n\n"
      "Example: murmur status --control 127.0.0.1:7001",
      "murmur status");
  configureApp(app);
  addInspectOptions(app, flags, true);
  if (std::optional<int> code = parseCommandLine(app, args)) {
    return *code;
  }
  try {
    json s = callJson(flags, flags.control, "/status");
    std::fputs(flags.json ? (s.dump(2) + "\n").c_str() : renderStatus(s).c_str(), stdout);
    return kExitOk;
  } catch (const std::exception& e) {
    return report("status", e);
  }
}

int membersCommand(const std::vector<std::string>& args) {
  InspectFlags flags;
  CLI::App app(
      "Lists the swarm as one peer sees it: every member's state (alive, suspect, dead, "
      "left), incarnation, when it was last heard from, its step and addresses.\n\n"
      "Example: murmur members --control 127.0.0.1:7001",
      "murmur members");
  configureApp(app);
  addInspectOptions(app, flags, true);
  if (std::optional<int> code = parseCommandLine(app, args)) {
    return *code;
  }
  try {
    json m = callJson(flags, flags.control, "/members");
    std::fputs(flags.json ? (m.dump(2) + "\n").c_str() : renderMembers(m).c_str(), stdout);
    return kExitOk;
  } catch (const std::exception& e) {
    return report("members", e);
  }
}

int leaveCommand(const std::vector<std::string>& args) {
  InspectFlags flags;
  CLI::App app(
      "Asks a peer to leave the swarm gracefully: it finishes (or aborts) the exchange in "
      "flight, announces LEFT to every member and exits 0.\n\n"
      "Example: murmur leave --control 127.0.0.1:7001",
      "murmur leave");
  configureApp(app);
  addInspectOptions(app, flags, false);
  if (std::optional<int> code = parseCommandLine(app, args)) {
    return *code;
  }
  try {
    call(flags, flags.control, "POST", "/leave");
    std::printf("the peer at %s is leaving the swarm\n", flags.control.c_str());
    return kExitOk;
  } catch (const std::exception& e) {
    return report("leave", e);
  }
}

int topCommand(const std::vector<std::string>& args) {
  InspectFlags flags;
  double interval = 1;
  int iterations = 0;
  CLI::App app(
      "A live table of every member of the swarm: asks one peer for the member list, then "
      "each member's own endpoint for its status. Ctrl-C quits.\n\n"
      "Example: murmur top --control 127.0.0.1:7001",
      "murmur top");
  configureApp(app);
  addInspectOptions(app, flags, false);
  app.add_option("--interval", interval, "Seconds between refreshes")->capture_default_str();
  app.add_option("--iterations", iterations, "Refreshes before exiting (0: until Ctrl-C)")
      ->capture_default_str();
  if (std::optional<int> code = parseCommandLine(app, args)) {
    return *code;
  }
  const bool tty = isatty(STDOUT_FILENO) != 0;
  std::map<std::string, double> lastApplied;
  auto lastTime = std::chrono::steady_clock::now();
  for (int i = 0; iterations == 0 || i < iterations; ++i) {
    if (i > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(interval));
    }
    json members;
    try {
      members = callJson(flags, flags.control, "/members");
    } catch (const std::exception& e) {
      return report("top", e);
    }
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - lastTime).count();
    lastTime = now;
    std::string table = fmt::format("{:<16} {:<8} {:>13} {:>7} {:>6} {:>7} {:>10} {:<12} {:>7}\n",
                                    "NAME",
                                    "STATE",
                                    "STEP",
                                    "LOSS",
                                    "ACC",
                                    "EXCH/s",
                                    "SENT",
                                    "LAST WITH",
                                    "WAIT s");
    for (const json& row : members["members"]) {
      const std::string name = row["name"].get<std::string>();
      const std::string state = row["state"].get<std::string>();
      const std::string control = row["control"].get<std::string>();
      if (control.empty() || state == "dead" || state == "left") {
        table +=
            fmt::format("{:<16} {:<8} {:>13}\n", name, state, row["step"].get<std::uint64_t>());
        continue;
      }
      try {
        json s = callJson(flags, control, "/status");
        const double applied = s["exchanges"].value("applied", 0.0);
        double rate = 0;
        if (auto it = lastApplied.find(name); it != lastApplied.end() && elapsed > 0) {
          rate = (applied - it->second) / elapsed;
        }
        lastApplied[name] = applied;
        const json& last = s["last_exchange"];
        table += fmt::format(
            "{:<16} {:<8} {:>13} {:>7} {:>6} {:>7.1f} {:>10} {:<12} {:>7.2f}\n",
            name,
            state,
            fmt::format("{}/{}", s["step"].get<std::int64_t>(), s["steps"].get<std::int64_t>()),
            number(s["loss"]),
            number(s["test_accuracy"]),
            rate,
            megabytes(sum(s["bytes_sent"])),
            last.is_null() ? std::string("-") : last["partner"].get<std::string>(),
            s["compute_wait_seconds"].get<double>());
      } catch (const std::exception& e) {
        table +=
            fmt::format("{:<16} {:<8} (no answer from {}: {})\n", name, state, control, e.what());
      }
    }
    std::fputs(tty ? ("\033[H\033[2J" + table).c_str() : (table + "\n").c_str(), stdout);
    std::fflush(stdout);
  }
  return kExitOk;
}

}  // namespace murmur::tools
