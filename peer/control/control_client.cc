#include "peer/control/control_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "peer/control/control_server.h"
#include "runtime/error.h"

namespace murmur::peer::control {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

HttpReply httpRequest(const std::string& address,
                      const std::string& method,
                      const std::string& target,
                      const std::string& token,
                      std::chrono::milliseconds deadline) {
  auto [host, port] = splitHostPort(address, "control address");
  http::verb verb = http::string_to_verb(method);
  MURMUR_REQUIRE(verb != http::verb::unknown, "unknown HTTP method ", method);
  asio::io_context io;
  beast::tcp_stream stream(io);
  http::request<http::string_body> request{verb, target, 11};
  request.set(http::field::host, host);
  request.set(http::field::user_agent, "murmur");
  if (!token.empty()) {
    request.set(http::field::authorization, "Bearer " + token);
  }
  request.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  beast::error_code failure;
  const char* stage = "connect to";
  // Asynchronous so that one deadline (tcp_stream's expiry) bounds connect, write and read.
  stream.expires_after(deadline);
  tcp::resolver resolver(io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) {
    MURMUR_THROW(kDisconnected, "cannot resolve ", address, ": ", ec.message());
  }
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    if (e) {
      failure = e;
      return;
    }
    stage = "send to";
    http::async_write(stream, request, [&](beast::error_code e2, std::size_t) {
      if (e2) {
        failure = e2;
        return;
      }
      stage = "read from";
      http::async_read(
          stream, buffer, response, [&](beast::error_code e3, std::size_t) { failure = e3; });
    });
  });
  io.run();
  if (failure) {
    MURMUR_THROW(
        kDisconnected,
        "cannot ",
        stage,
        " the control endpoint ",
        address,
        ": ",
        failure == beast::error::timeout ? "no answer within the deadline" : failure.message());
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return HttpReply{static_cast<int>(response.result_int()), response.body()};
}

}  // namespace murmur::peer::control
