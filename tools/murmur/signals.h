// Graceful stop on SIGINT/SIGTERM/kFinishSignal for the lifetime of a scope: the first signal calls
// onStop with it, a second one exits the process at once (code 130). Signals are blocked in every
// thread created after construction and handled by one sigwait thread: no handler races with the
// program.
#pragma once

#include <csignal>
#include <functional>
#include <thread>

namespace murmur::tools {

// "Finish training now and join the final average": what `murmur swarm` sends its peers on
// Ctrl-C (SIGINT and SIGTERM make a peer leave the swarm instead).
inline constexpr int kFinishSignal = SIGUSR2;

class StopOnSignal {
 public:
  // Construct before starting any other thread, so that they inherit the blocked mask.
  explicit StopOnSignal(std::function<void(int signal)> onStop);
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

  // The blocked set (SIGINT, SIGTERM, kFinishSignal), e.g. for a signalfd instead of the thread.
  static sigset_t blockedSet();

 private:
  std::function<void(int)> onStop_;
  std::thread waiter_;
};

}  // namespace murmur::tools
