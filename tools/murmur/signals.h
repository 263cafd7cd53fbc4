// Graceful stop on SIGINT/SIGTERM for the lifetime of a scope: the first signal calls onStop,
// a second one exits the process at once (code 130). Signals are blocked in every thread created
// after construction and handled by one sigwait thread: no handler races with the program.
#pragma once

#include <csignal>
#include <functional>
#include <thread>

namespace murmur::tools {

class StopOnSignal {
 public:
  // Construct before starting any other thread, so that they inherit the blocked mask.
  explicit StopOnSignal(std::function<void(int signal)> onStop);
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

  // The blocked set (SIGINT, SIGTERM), e.g. to build a signalfd instead of using the thread.
  static sigset_t blockedSet();

 private:
  std::function<void(int)> onStop_;
  std::thread waiter_;
};

}  // namespace murmur::tools
