// The client side of a peer's control endpoint, for the CLI (`murmur status|members|top|leave`)
// and tests: one HTTP request per call, with a deadline.
// Thread: any (each call has its own io_context).
#pragma once

#include <chrono>
#include <string>

namespace murmur::peer::control {

struct HttpReply {
  int status = 0;
  std::string body;
};

// Sends METHOD TARGET to the endpoint at HOST:PORT and returns the reply, whatever its status.
// Throws Error(kDisconnected) naming the address when it cannot connect or the deadline passes.
HttpReply httpRequest(const std::string& address,
                      const std::string& method,
                      const std::string& target,
                      const std::string& token = "",
                      std::chrono::milliseconds deadline = std::chrono::seconds(3));

}  // namespace murmur::peer::control
