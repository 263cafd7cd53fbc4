#include "tools/murmur/signals.h"

#include <pthread.h>
#include <unistd.h>

namespace murmur::tools {
namespace {

// Wakes the waiter at scope exit; never delivered from outside.
constexpr int kQuitSignal = SIGUSR1;

}  // namespace

sigset_t StopOnSignal::blockedSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, kFinishSignal);
  return set;
}

StopOnSignal::StopOnSignal(std::function<void(int)> onStop) : onStop_(std::move(onStop)) {
  sigset_t set = blockedSet();
  sigaddset(&set, kQuitSignal);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  waiter_ = std::thread([this, set] {
    int received = 0;
    while (true) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0 || signal == kQuitSignal) {
        return;
      }
      if (++received == 1) {
        onStop_(signal);
      } else {
        _exit(130);
      }
    }
  });
}

StopOnSignal::~StopOnSignal() {
  pthread_kill(waiter_.native_handle(), kQuitSignal);
  waiter_.join();
}

}  // namespace murmur::tools
