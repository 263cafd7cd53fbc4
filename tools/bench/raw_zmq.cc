#include "tools/bench/raw_zmq.h"

#include <memory>
#include <thread>

#include <sys/resource.h>

namespace murmur::bench {

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double processCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void sendRetrying(peer::transport::ZmqTransport& t,
                  std::uint32_t to,
                  const std::vector<std::byte>& head,
                  const std::vector<runtime::Blob>& payload) {
  while (!t.send(to, head, payload)) {
    t.poll(std::chrono::milliseconds(1));
  }
}

runtime::Blob receiveOne(peer::transport::ZmqTransport& t) {
  while (true) {
    auto messages = t.poll(std::chrono::milliseconds(100), 1);
    if (!messages.empty()) {
      return messages.front().frames.back();
    }
  }
}

RawResult rawZmq(std::size_t numel, int rounds) {
  using peer::transport::TransportOptions;
  using peer::transport::ZmqTransport;
  ZmqTransport a(TransportOptions{"tcp://127.0.0.1:*", "raw-a"});
  ZmqTransport b(TransportOptions{"tcp://127.0.0.1:*", "raw-b"});
  a.connect(1, b.boundAddress());
  b.connect(0, a.boundAddress());
  auto model = std::make_shared<std::vector<float>>(numel, 1.0F);
  const std::vector<std::byte> head(8);
  const double bytes = static_cast<double>(numel * sizeof(float));
  RawResult result;
  // Warm-up: connections up, buffers touched (as many rounds as the exchange side gets).
  for (int r = 0; r < kWarmupRounds; ++r) {
    sendRetrying(a, 1, head, {runtime::floatBlob(model)});
    receiveOne(b);
    sendRetrying(b, 0, head, {runtime::floatBlob(model)});
    receiveOne(a);
  }
  {
    std::thread responder([&] {
      for (int r = 0; r < rounds; ++r) {
        receiveOne(b);
        sendRetrying(b, 0, head, {runtime::floatBlob(model)});
      }
    });
    auto start = Clock::now();
    double cpuStart = processCpuSeconds();
    for (int r = 0; r < rounds; ++r) {
      sendRetrying(a, 1, head, {runtime::floatBlob(model)});
      receiveOne(a);
    }
    result.pingPongGbps = 2 * rounds * bytes / secondsSince(start) / 1e9;
    result.pingPongCpuPerRound = (processCpuSeconds() - cpuStart) / rounds;
    responder.join();
  }
  {
    auto side = [&](ZmqTransport& self, std::uint32_t to) {
      for (int r = 0; r < rounds; ++r) {
        sendRetrying(self, to, head, {runtime::floatBlob(model)});
        receiveOne(self);
      }
    };
    auto start = Clock::now();
    std::thread other([&] { side(b, 0); });
    side(a, 1);
    other.join();
    result.bidirectionalGbps = 2 * rounds * bytes / secondsSince(start) / 1e9;
  }
  return result;
}

}  // namespace murmur::bench
