#include "tests/integration/peer_processes.h"

#include <gtest/gtest.h>

namespace murmur::tests {

nlohmann::json readJson(const std::string& path) {
  std::string text = readFile(path);
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << path << " is not JSON: " << text.substr(0, 200);
  return doc;
}

std::string describeLogs(const TempDir& dir, int peers) {
  std::string out;
  for (int i = 0; i < peers; ++i) {
    std::string log = readFile(dir.file("peer" + std::to_string(i) + ".log"));
    out += "--- peer" + std::to_string(i) + ".log (tail)\n" +
           log.substr(log.size() > 1500 ? log.size() - 1500 : 0);
  }
  return out;
}

// A peers file for n peers on free loopback ports.
std::string writePeers(const TempDir& dir, int n) {
  std::vector<int> ports = freePorts(n);
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += "tcp://127.0.0.1:" + std::to_string(ports[i]) + " peer" + std::to_string(i) + "\n";
  }
  writeFile(dir.file("peers.txt"), text);
  return dir.file("peers.txt");
}

Result runMurmur(const TempDir& dir,
                 std::vector<std::string> args,
                 std::chrono::milliseconds timeout) {
  args.insert(args.begin(), murmurBinary());
  return runProgram(dir, args, timeout);
}

Result runProgram(const TempDir& dir,
                  const std::vector<std::string>& args,
                  std::chrono::milliseconds timeout) {
  ChildProcess child(args, dir.file("cli.out"), dir.file("cli.err"));
  std::optional<int> code = child.waitFor(timeout);
  EXPECT_TRUE(code.has_value()) << args[0] << " did not exit";
  return Result{code.value_or(-1), readFile(dir.file("cli.out")), readFile(dir.file("cli.err"))};
}

// `murmur run` for peer i of the peers file, plus extra flags.
std::unique_ptr<ChildProcess> startPeer(const TempDir& dir,
                                        int i,
                                        std::vector<std::string> extra,
                                        std::vector<std::string> launcher) {
  std::string name = "peer" + std::to_string(i);
  std::vector<std::string> argv = {murmurBinary(),
                                   "run",
                                   "--peers",
                                   dir.file("peers.txt"),
                                   "--name",
                                   name,
                                   "--summary-json",
                                   dir.file(name + ".json"),
                                   "--progress-json",
                                   // Any free port: data port + 1 may be another test's.
                                   "--control",
                                   "127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.begin(), launcher.begin(), launcher.end());
  return std::make_unique<ChildProcess>(argv, dir.file(name + ".out"), dir.file(name + ".log"));
}

nlohmann::json waitForStep(const TempDir& dir,
                           int i,
                           std::int64_t step,
                           std::chrono::milliseconds timeout) {
  const std::string path = dir.file("peer" + std::to_string(i) + ".out");
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (int records = 1;; ++records) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    // One record a second: wait for the next (inotify), then look at the newest.
    if (left.count() <= 0 || !waitForLines(path, "\"event\":\"progress\"", records, left)) {
      return nullptr;
    }
    std::string text = readFile(path);
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    nlohmann::json record =
        nlohmann::json::parse(text.substr(text.rfind('\n') + 1), nullptr, false);
    if (!record.is_discarded() && record.value("step", std::int64_t{0}) >= step) {
      return record;
    }
  }
}

std::unique_ptr<ChildProcess> startJoiner(const TempDir& dir,
                                          const std::string& name,
                                          std::vector<std::string> extra) {
  std::string peers = readFile(dir.file("peers.txt"));
  auto addressOf = [&](int i) {
    std::string key = " peer" + std::to_string(i) + "\n";
    std::size_t end = peers.find(key);
    std::size_t begin = peers.rfind('\n', end);
    begin = begin == std::string::npos ? 0 : begin + 1;
    return peers.substr(begin, end - begin);
  };
  std::vector<int> ports = freePorts(1);
  std::vector<std::string> argv = {murmurBinary(),
                                   "run",
                                   "--join",
                                   addressOf(1) + "," + addressOf(0),
                                   "--name",
                                   name,
                                   "--bind",
                                   "tcp://127.0.0.1:" + std::to_string(ports[0]),
                                   "--control",
                                   "127.0.0.1:0",
                                   "--summary-json",
                                   dir.file(name + ".json"),
                                   "--progress-json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<ChildProcess>(argv, dir.file(name + ".out"), dir.file(name + ".log"));
}

void startFounders(const TempDir& dir,
                   int n,
                   std::vector<std::string> flags,
                   int trainingRecords,
                   std::vector<std::unique_ptr<ChildProcess>>& peers) {
  writePeers(dir, n);
  flags.insert(flags.end(), {"--steps", "1000000"});
  for (int i = 0; i < n; ++i) {
    peers.push_back(startPeer(dir, i, flags));
  }
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(waitForLines(dir.file("peer" + std::to_string(i) + ".out"),
                             "\"phase\":\"training\"",
                             trainingRecords,
                             std::chrono::milliseconds(120000)))
        << describeLogs(dir, n);
  }
}

}  // namespace murmur::tests
