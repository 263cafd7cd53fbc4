// A peer's HTTP control endpoint (ARCHITECTURE.md §7), on its own thread with Boost.Beast:
//   GET  /status   JSON (StatusBoard::statusJson)
//   GET  /members  JSON (StatusBoard::membersJson)
//   GET  /metrics  Prometheus text, every series prefixed murmur_
//   POST /leave    asks the peer to leave the swarm (202)
// Bound to localhost by default. Any other address needs a token, sent by clients as
// `Authorization: Bearer TOKEN`; without it a request gets 401. One request per connection, a
// 5 s deadline on each, bodies over 4 KiB refused: a stuck or hostile client cannot hold it.
// Thread: construct and destroy on one thread; handlers run on the control thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace murmur::peer::control {

struct ControlHandlers {
  std::function<std::string()> status;
  std::function<std::string()> members;
  std::function<std::string()> metrics;
  std::function<void()> leave;
};

struct ControlOptions {
  std::string address;  // HOST:PORT; port 0 picks a free one (see boundAddress)
  std::string token;    // required from clients when non-empty
};

class ControlServer {
 public:
  // Binds (requests wait in the backlog until serve()). Throws Error(kInvalidArgument) naming the
  // address when it cannot bind, and when it is not a loopback address and no token is set.
  explicit ControlServer(ControlOptions options);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Starts answering on the control thread. Call once.
  void serve(ControlHandlers handlers);

  // HOST:PORT actually bound.
  std::string boundAddress() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "HOST:PORT" (an "http://" prefix and a trailing "/" are allowed). Throws
// Error(kInvalidArgument) naming `what` for anything else.
std::pair<std::string, int> splitHostPort(const std::string& address, const std::string& what);

// 127.0.0.0/8, ::1 and "localhost".
bool isLoopbackHost(const std::string& host);

}  // namespace murmur::peer::control
