#include "peer/control/control_server.h"

#include <chrono>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "runtime/error.h"
#include "runtime/log.h"

namespace murmur::peer::control {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::chrono::seconds kRequestDeadline{5};
constexpr std::uint64_t kBodyLimit = 4096;
constexpr std::uint32_t kHeaderLimit = 8192;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response makeResponse(const Request& request,
                      http::status status,
                      std::string body,
                      const char* type = "application/json") {
  Response response{status, request.version()};
  response.set(http::field::server, "murmur");
  response.set(http::field::content_type, type);
  response.keep_alive(false);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

std::string errorJson(const std::string& message) {
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') {
      escaped += '\\';
    }
    escaped += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  }
  return "{\"error\":\"" + escaped + "\"}";
}

Response route(const Request& request, const ControlHandlers& handlers, const std::string& token) {
  if (!token.empty() && request[http::field::authorization] != "Bearer " + token) {
    return makeResponse(request,
                        http::status::unauthorized,
                        errorJson("this control endpoint needs 'Authorization: Bearer TOKEN' "
                                  "(murmur CLI: --control-token or MURMUR_CONTROL_TOKEN)"));
  }
  std::string path(request.target());
  path = path.substr(0, path.find('?'));
  const bool get = request.method() == http::verb::get;
  const bool post = request.method() == http::verb::post;
  auto wrongMethod = [&](const char* allowed) {
    Response r = makeResponse(
        request, http::status::method_not_allowed, errorJson(path + " takes " + allowed));
    r.set(http::field::allow, allowed);
    return r;
  };
  if (path == "/status" || path == "/members" || path == "/metrics") {
    if (!get) {
      return wrongMethod("GET");
    }
    if (path == "/metrics") {
      return makeResponse(
          request, http::status::ok, handlers.metrics(), "text/plain; version=0.0.4");
    }
    return makeResponse(
        request, http::status::ok, path == "/status" ? handlers.status() : handlers.members());
  }
  if (path == "/leave") {
    if (!post) {
      return wrongMethod("POST");
    }
    handlers.leave();
    return makeResponse(request, http::status::accepted, "{\"leaving\":true}");
  }
  return makeResponse(
      request,
      http::status::not_found,
      errorJson("no " + path + " here; try GET /status, GET /members, GET /metrics, POST /leave"));
}

// One connection: read one request (bounded in size and time), answer, close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const ControlHandlers& handlers, const std::string& token)
      : stream_(std::move(socket)), handlers_(handlers), token_(token) {}

  void start() {
    parser_.body_limit(kBodyLimit);
    parser_.header_limit(kHeaderLimit);
    stream_.expires_after(kRequestDeadline);
    http::async_read(
        stream_, buffer_, parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->onRead(ec);
        });
  }

 private:
  void onRead(beast::error_code ec) {
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      Request empty;
      response_ =
          makeResponse(empty, http::status::payload_too_large, errorJson("request too large"));
    } else if (ec) {
      return;  // the client went away or timed out: nothing to answer
    } else {
      try {
        response_ = route(parser_.get(), handlers_, token_);
      } catch (const std::exception& e) {
        response_ =
            makeResponse(parser_.get(), http::status::internal_server_error, errorJson(e.what()));
      }
    }
    stream_.expires_after(kRequestDeadline);
    http::async_write(
        stream_, response_, [self = shared_from_this()](beast::error_code, std::size_t) {
          beast::error_code ignored;
          self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  Response response_;
  const ControlHandlers& handlers_;
  const std::string& token_;
};

}  // namespace

std::pair<std::string, int> splitHostPort(const std::string& address, const std::string& what) {
  std::string rest = address;
  if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  }
  if (!rest.empty() && rest.back() == '/') {
    rest.pop_back();
  }
  std::size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
    MURMUR_THROW(kInvalidArgument, what, " '", address, "' is not HOST:PORT");
  }
  std::string host = rest.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(rest.substr(colon + 1), &used);
    if (used != rest.size() - colon - 1) {
      port = -1;
    }
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    MURMUR_THROW(kInvalidArgument, what, " '", address, "': port must be 0..65535");
  }
  return {host, port};
}

bool isLoopbackHost(const std::string& host) {
  if (host == "localhost") {
    return true;
  }
  beast::error_code ec;
  asio::ip::address ip = asio::ip::make_address(host, ec);
  return !ec && ip.is_loopback();
}

struct ControlServer::Impl {
  ControlOptions options;
  ControlHandlers handlers;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) {
        return;
      }
      if (!ec) {
        std::make_shared<Session>(std::move(socket), handlers, options.token)->start();
      }
      accept();
    });
  }
};

ControlServer::ControlServer(ControlOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  auto [host, port] = splitHostPort(impl_->options.address, "control address");
  if (!isLoopbackHost(host) && impl_->options.token.empty()) {
    MURMUR_THROW(kInvalidArgument,
                 "control endpoint ",
                 impl_->options.address,
                 " is reachable from other machines: set a token with --control-token or "
                 "MURMUR_CONTROL_TOKEN, or bind it to 127.0.0.1");
  }
  try {
    tcp::resolver resolver(impl_->io);
    tcp::endpoint endpoint = *resolver.resolve(host, std::to_string(port)).begin();
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen();
  } catch (const boost::system::system_error& e) {
    MURMUR_THROW(kInvalidArgument,
                 "cannot serve the control endpoint on ",
                 impl_->options.address,
                 ": ",
                 e.code().message(),
                 " (pick another with --control HOST:PORT, or --control off)");
  }
}

void ControlServer::serve(ControlHandlers handlers) {
  MURMUR_CHECK(!impl_->thread.joinable(), "serve() called twice");
  impl_->handlers = std::move(handlers);
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] {
    pthread_setname_np(pthread_self(), "murmur-control");
    impl->io.run();
  });
}

ControlServer::~ControlServer() {
  impl_->io.stop();
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
}

std::string ControlServer::boundAddress() const {
  tcp::endpoint endpoint = impl_->acceptor.local_endpoint();
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) {
    host = "[" + host + "]";
  }
  return host + ":" + std::to_string(endpoint.port());
}

}  // namespace murmur::peer::control
