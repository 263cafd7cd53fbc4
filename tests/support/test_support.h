// Helpers for tests that use real processes and files: the murmur binary, temporary
// directories, and child processes waited on with deadlines (pidfd, never sleeps).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace murmur::tests {

// Path of the murmur binary built with the tests.
std::string murmurBinary();

// The murmur-sim executable of this build.
std::string murmurSimBinary();

// Path of tools/examples/embedded_peer.cc's program.
std::string embeddedExampleBinary();

// Fashion-MNIST directory; tests that need it skip (visibly) when it is absent.
std::string fashionMnistDir();
bool haveFashionMnist();

// A TorchScript LeNet-5 (tools/export_models.py, exported at build time when python3-torch is
// installed, else the committed tests/fixtures/lenet5.pt).
std::string scriptLeNet5();

// Where the build exported the script's other models (resnet8.pt), when python3-torch was there.
std::string scriptModelsDir();

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A child process with stdout and stderr redirected to files.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv,
               const std::string& stdoutPath,
               const std::string& stderrPath);
  ~ChildProcess();  // kills (SIGKILL) and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Exit code (128 + signal when killed), or nullopt if still running after `timeout`.
  std::optional<int> waitFor(std::chrono::milliseconds timeout);

  void signal(int sig);

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> exitCode_;
};

// Whole file as a string ("" if missing).
std::string readFile(const std::string& path);

// Writes a file; throws on failure.
void writeFile(const std::string& path, const std::string& text);

// Free TCP ports on 127.0.0.1 (bound together so they differ, then released).
std::vector<int> freePorts(int count);

// Blocks until `path` contains `needle` at least `count` times or `timeout` passes (inotify
// wakes it on every write: no sleeps).
bool waitForLines(const std::string& path,
                  const std::string& needle,
                  int count,
                  std::chrono::milliseconds timeout);

inline bool waitForText(const std::string& path,
                        const std::string& needle,
                        std::chrono::milliseconds timeout) {
  return waitForLines(path, needle, 1, timeout);
}

}  // namespace murmur::tests
