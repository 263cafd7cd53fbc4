// murmur swarm: N `murmur run` peers on this machine, a live table, and the final report.
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "peer/dataset.h"
#include "runtime/error.h"
#include "tools/murmur/cli_layers.h"
#include "tools/murmur/commands.h"
#include "tools/murmur/run_plots.h"
#include "tools/murmur/signals.h"
#include "tools/murmur/swarm_report.h"
#include "tools/murmur/training_options.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace murmur::tools {
namespace {

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Free TCP ports on `host`: all bound at once (so they differ), then released for the peers.
std::vector<int> freePorts(const std::string& host, int count) {
  std::vector<int> sockets;
  std::vector<int> ports;
  for (int i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    MURMUR_CHECK(fd >= 0, "socket: ", std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    MURMUR_REQUIRE(inet_pton(AF_INET, host.c_str(), &addr.sin_addr) == 1,
                   "--host ",
                   host,
                   " is not an IPv4 address");
    MURMUR_REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0,
                   "cannot bind a port on ",
                   host,
                   ": ",
                   std::strerror(errno));
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    sockets.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : sockets) {
    close(fd);
  }
  return ports;
}

std::string defaultRunDir() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &local);
  return std::string("runs/swarm-") + stamp;
}

struct Child {
  std::string name;
  pid_t pid = -1;
  int stdoutFd = -1;
  std::string pending;  // partial line
  bool exited = false;
  int exitCode = -1;
  PeerProgress progress;
};

pid_t spawn(const std::vector<std::string>& argv, const std::string& logPath, int& stdoutFd) {
  int pipeFds[2];
  MURMUR_CHECK(pipe2(pipeFds, O_CLOEXEC) == 0, "pipe: ", std::strerror(errno));
  const pid_t parent = getpid();
  pid_t pid = fork();
  MURMUR_CHECK(pid >= 0, "fork: ", std::strerror(errno));
  if (pid == 0) {
    // Own process group: a terminal Ctrl-C reaches only the swarm, which forwards it once.
    setpgid(0, 0);
    // A swarm killed outright (kill -9, a test's deadline) takes its peers with it: they get
    // SIGTERM, finish as after Ctrl-C, and exit instead of training on as orphans.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
      _exit(1);  // the swarm died before prctl took effect
    }
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    int log = open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(pipeFds[1], STDOUT_FILENO);
    if (log >= 0) {
      dup2(log, STDERR_FILENO);
    }
    std::vector<char*> raw;
    for (const std::string& arg : argv) {
      raw.push_back(const_cast<char*>(arg.c_str()));
    }
    raw.push_back(nullptr);
    execv(raw[0], raw.data());
    std::fprintf(stderr, "cannot start %s: %s\n", raw[0], std::strerror(errno));
    _exit(127);
  }
  close(pipeFds[1]);
  // Non-blocking: the loop drains what is there and goes back to poll (a blocking read would sit
  // on one chatty peer until it exits, deaf to Ctrl-C and to the others).
  fcntl(pipeFds[0], F_SETFL, fcntl(pipeFds[0], F_GETFL) | O_NONBLOCK);
  stdoutFd = pipeFds[0];
  return pid;
}

std::string tailOfFile(const std::string& path, std::size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) {
    all.push_back(line);
  }
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += "      " + all[i] + "\n";
  }
  return out;
}

}  // namespace

int swarmCommand(const std::vector<std::string>& args, const std::string& selfExe) {
  TrainingFlags flags;
  int peers = 4;
  std::string host = "127.0.0.1";
  std::string runDir;
  std::string summaryJson;
  bool noTable = false;
  CLI::App app(
      "Runs a whole swarm on this machine: N `murmur run` peers on loopback, each training its "
      "shard and gossiping with A²CiD², a live table, then the exact average of all models and "
      "a report (accuracy of the averaged model and of each peer, bytes, exchanges, wall time, "
      "time to accuracy). Ctrl-C ends training early and still reports; twice kills the peers.",
      "murmur swarm");
  configureApp(app);
  app.add_option("--peers", peers, "Number of peers to launch")
      ->capture_default_str()
      ->check(CLI::Range(2, 256));
  app.add_option("--host", host, "IPv4 address the peers bind on")->capture_default_str();
  app.add_option("--run-dir",
                 runDir,
                 "Directory for the peer list, each peer's log and summary (default: "
                 "runs/swarm-<time>)");
  app.add_option("--summary-json", summaryJson, "Write the swarm summary (JSON) here");
  app.add_flag("--no-table", noTable, "Print progress lines instead of the live table");
  addTrainingOptions(app, flags);
  if (std::optional<int> code = parseCommandLine(app, args)) {
    return *code;
  }

  std::vector<Child> children;
  double start = unixNow();
  try {
    finishTrainingOptions(flags);
    if (!flags.node.syntheticData && flags.node.model != "bagrec") {
      peer::datasetFormat(flags.node.dataDir);  // fail here, once, rather than in every peer
    }
    if (runDir.empty()) {
      runDir = defaultRunDir();
    }
    std::filesystem::create_directories(runDir);
    // Data and control ports for every peer, all free at once (so they differ).
    std::vector<int> ports = freePorts(host, 2 * peers);
    std::string peersFile = runDir + "/peers.txt";
    {
      std::ofstream out(peersFile);
      out << "# written by murmur swarm\n";
      for (int i = 0; i < peers; ++i) {
        out << "tcp://" << host << ":" << ports[static_cast<std::size_t>(i)] << " peer" << i
            << "\n";
      }
    }
    std::vector<std::string> forwarded = forwardTrainingOptions(app);
    sigset_t set = StopOnSignal::blockedSet();
    sigaddset(&set, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    int signals = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    MURMUR_CHECK(signals >= 0, "signalfd: ", std::strerror(errno));
    std::fprintf(stderr,
                 "murmur swarm: %d peers, run directory %s (logs: peerN.log)\n",
                 peers,
                 runDir.c_str());
    auto controlOf = [&](int i) {
      return "127.0.0.1:" + std::to_string(ports[static_cast<std::size_t>(peers + i)]);
    };
    for (int i = 0; i < peers; ++i) {
      std::fprintf(stderr, "  peer%d control %s\n", i, controlOf(i).c_str());
    }
    std::fprintf(stderr,
                 "  from another terminal: murmur top --control %s\n"
                 "  add a peer: murmur run --join tcp://%s:%d --name NAME --bind tcp://%s:PORT\n",
                 controlOf(0).c_str(),
                 host.c_str(),
                 ports[0],
                 host.c_str());
    for (int i = 0; i < peers; ++i) {
      Child child;
      child.name = "peer" + std::to_string(i);
      std::vector<std::string> argv = {selfExe,
                                       "run",
                                       "--peers",
                                       peersFile,
                                       "--name",
                                       child.name,
                                       "--progress-json",
                                       "--summary-json",
                                       runDir + "/" + child.name + ".json",
                                       "--start-time",
                                       std::to_string(start),
                                       "--control",
                                       controlOf(i)};
      argv.insert(argv.end(), forwarded.begin(), forwarded.end());
      child.pid = spawn(argv, runDir + "/" + child.name + ".log", child.stdoutFd);
      child.progress.name = child.name;
      children.push_back(std::move(child));
    }

    LiveTable table(isatty(STDOUT_FILENO) != 0 && !noTable);
    int interrupts = 0;
    double lastDraw = 0;
    auto running = [&] {
      for (const Child& c : children) {
        if (!c.exited) {
          return true;
        }
      }
      return false;
    };
    while (running()) {
      std::vector<pollfd> fds;
      fds.push_back(pollfd{signals, POLLIN, 0});
      for (const Child& c : children) {
        if (c.stdoutFd >= 0) {
          fds.push_back(pollfd{c.stdoutFd, POLLIN, 0});
        }
      }
      poll(fds.data(), fds.size(), 250);
      signalfd_siginfo info{};
      while (read(signals, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        if (info.ssi_signo == SIGCHLD) {
          continue;  // reaped below
        }
        if (++interrupts == 1) {
          std::fprintf(stderr,
                       "\nmurmur swarm: stopping: peers finish training now and average "
                       "(Ctrl-C again to kill them)\n");
          for (const Child& c : children) {
            if (!c.exited) {
              kill(c.pid, kFinishSignal);
            }
          }
        } else {
          for (const Child& c : children) {
            if (!c.exited) {
              kill(c.pid, SIGKILL);
            }
          }
          std::fprintf(stderr, "murmur swarm: killed the peers\n");
          return kExitInterrupted;
        }
      }
      for (Child& c : children) {
        if (c.stdoutFd < 0) {
          continue;
        }
        char buffer[4096];
        ssize_t n = read(c.stdoutFd, buffer, sizeof(buffer));
        while (n > 0) {
          c.pending.append(buffer, static_cast<std::size_t>(n));
          n = read(c.stdoutFd, buffer, sizeof(buffer));
        }
        std::size_t newline;
        while ((newline = c.pending.find('\n')) != std::string::npos) {
          c.progress.update(c.pending.substr(0, newline));
          c.pending.erase(0, newline + 1);
        }
        if (n == 0) {
          close(c.stdoutFd);
          c.stdoutFd = -1;
        }
      }
      for (Child& c : children) {
        if (c.exited) {
          continue;
        }
        int status = 0;
        if (waitpid(c.pid, &status, WNOHANG) == c.pid) {
          c.exited = true;
          c.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          c.progress.phase =
              c.exitCode == 0 ? "finished" : "FAILED (" + std::to_string(c.exitCode) + ")";
        }
      }
      double now = unixNow();
      if (now - lastDraw >= 1.0) {
        std::vector<PeerProgress> rows;
        for (const Child& c : children) {
          rows.push_back(c.progress);
        }
        table.draw(rows, now - start);
        lastDraw = now;
      }
    }
    close(signals);

    std::vector<std::string> summaries;
    std::vector<int> exitCodes;
    for (const Child& c : children) {
      std::ifstream in(runDir + "/" + c.name + ".json");
      std::stringstream text;
      text << in.rdbuf();
      summaries.push_back(text.str());
      exitCodes.push_back(c.exitCode);
    }
    SwarmReport report =
        buildSwarmReport(summaries, exitCodes, unixNow() - start, flags.node.evalIntervalSeconds);
    std::fputs(renderSwarmReport(report).c_str(), stdout);
    if (!summaryJson.empty()) {
      std::ofstream out(summaryJson);
      out << swarmReportJson(report) << "\n";
      MURMUR_REQUIRE(out.good(), "cannot write --summary-json ", summaryJson);
      std::fprintf(stdout, "summary written to %s\n", summaryJson.c_str());
    }
    std::vector<nlohmann::json> docs;
    for (const std::string& text : summaries) {
      docs.push_back(nlohmann::json::parse(text, nullptr, false));
    }
    const std::string plot = runDir + "/report.svg";
    if (writeRunPlot(docs, runPlotTitle(runDir), plot)) {
      std::fprintf(stdout,
                   "plots written to %s (murmur report %s draws them again)\n",
                   plot.c_str(),
                   runDir.c_str());
    }
    bool ok = true;
    for (const Child& c : children) {
      if (c.exitCode != 0) {
        ok = false;
        std::fprintf(stderr,
                     "murmur swarm: %s exited with code %d; last log lines (%s/%s.log):\n%s",
                     c.name.c_str(),
                     c.exitCode,
                     runDir.c_str(),
                     c.name.c_str(),
                     tailOfFile(runDir + "/" + c.name + ".log", 5).c_str());
      }
    }
    return ok ? kExitOk : kExitFailure;
  } catch (const runtime::Error& e) {
    for (const Child& c : children) {
      if (!c.exited) {
        kill(c.pid, SIGKILL);
      }
    }
    std::fprintf(stderr, "murmur swarm: %s\n", e.what());
    return e.kind() == runtime::ErrorKind::kInvalidArgument ? kExitUsage : kExitFailure;
  }
}

}  // namespace murmur::tools
