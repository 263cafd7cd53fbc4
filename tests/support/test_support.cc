#include "tests/support/test_support.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace murmur::tests {

std::string murmurBinary() {
  return MURMUR_BINARY;
}

std::string murmurSimBinary() {
  return MURMUR_SIM_BINARY;
}

std::string embeddedExampleBinary() {
  return MURMUR_EMBEDDED_EXAMPLE;
}

std::string fashionMnistDir() {
  const char* env = std::getenv("MURMUR_TEST_DATA");
  return env != nullptr ? env : MURMUR_FASHION_MNIST_DIR;
}

bool haveFashionMnist() {
  return std::filesystem::exists(fashionMnistDir() + "/train-images-idx3-ubyte.gz") ||
         std::filesystem::exists(fashionMnistDir() + "/train-images-idx3-ubyte");
}

std::string scriptLeNet5() {
  return scriptModelsDir() + "/lenet5.pt";
}

std::string scriptModelsDir() {
  return MURMUR_TEST_MODELS_DIR;
}

TempDir::TempDir() {
  char templ[] = "/tmp/murmur-test-XXXXXX";
  char* made = mkdtemp(templ);
  if (made == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::string& stdoutPath,
                           const std::string& stderrPath) {
  pid_ = fork();
  if (pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    int out = open(stdoutPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(stderrPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    std::vector<char*> raw;
    for (const std::string& arg : argv) {
      raw.push_back(const_cast<char*>(arg.c_str()));
    }
    raw.push_back(nullptr);
    execvp(raw[0], raw.data());  // a bare name (e.g. `ip`) is looked up in PATH
    std::fprintf(stderr, "cannot execute %s: %s\n", raw[0], std::strerror(errno));
    _exit(127);
  }
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) {
    throw std::runtime_error("pidfd_open failed");
  }
}

ChildProcess::~ChildProcess() {
  if (!exitCode_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (pidfd_ >= 0) {
    close(pidfd_);
  }
}

std::optional<int> ChildProcess::waitFor(std::chrono::milliseconds timeout) {
  if (exitCode_) {
    return exitCode_;
  }
  pollfd fd{pidfd_, POLLIN, 0};
  if (poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) {
    return std::nullopt;
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exitCode_;
}

void ChildProcess::signal(int sig) {
  if (!exitCode_) {
    kill(pid_, sig);
  }
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) {
    throw std::runtime_error("cannot write " + path);
  }
}

std::vector<int> freePorts(int count) {
  std::vector<int> fds;
  std::vector<int> ports;
  for (int i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    fds.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) {
    close(fd);
  }
  return ports;
}

namespace {

int occurrences(const std::string& text, const std::string& needle) {
  int count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

}  // namespace

bool waitForLines(const std::string& path,
                  const std::string& needle,
                  int count,
                  std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int notify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  std::string dir = std::filesystem::path(path).parent_path().string();
  inotify_add_watch(notify, dir.c_str(), IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE);
  bool found = false;
  while (true) {
    if (occurrences(readFile(path), needle) >= count) {
      found = true;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    pollfd fd{notify, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) > 0) {
      char buffer[4096];
      while (read(notify, buffer, sizeof(buffer)) > 0) {
      }
    }
  }
  close(notify);
  return found;
}

}  // namespace murmur::tests
