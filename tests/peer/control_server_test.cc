#include "peer/control/control_server.h"

#include <atomic>

#include <gtest/gtest.h>

#include "peer/control/control_client.h"
#include "runtime/error.h"

namespace murmur::peer::control {
namespace {

struct Served {
  std::atomic<int> leaves{0};
  ControlServer server;

  explicit Served(const std::string& token = "") : server(ControlOptions{"127.0.0.1:0", token}) {
    server.serve(ControlHandlers{[] { return std::string("{\"status\":1}"); },
                                 [] { return std::string("{\"members\":[]}"); },
                                 [] { return std::string("murmur_steps_total 3\n"); },
                                 [this] { ++leaves; }});
  }

  std::string address() const { return server.boundAddress(); }
};

TEST(ControlServer, ServesEachRouteWithItsMethod) {
  Served s;
  HttpReply status = httpRequest(s.address(), "GET", "/status");
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.body, "{\"status\":1}");
  EXPECT_EQ(httpRequest(s.address(), "GET", "/members?x=1").body, "{\"members\":[]}");
  EXPECT_EQ(httpRequest(s.address(), "GET", "/metrics").body, "murmur_steps_total 3\n");
  EXPECT_EQ(s.leaves.load(), 0);
  EXPECT_EQ(httpRequest(s.address(), "POST", "/leave").status, 202);
  EXPECT_EQ(s.leaves.load(), 1);
}

TEST(ControlServer, AnswersWrongMethodsAndUnknownPathsWithTheRightCode) {
  Served s;
  HttpReply get = httpRequest(s.address(), "GET", "/leave");
  EXPECT_EQ(get.status, 405);
  EXPECT_NE(get.body.find("POST"), std::string::npos) << get.body;
  EXPECT_EQ(httpRequest(s.address(), "POST", "/status").status, 405);
  HttpReply unknown = httpRequest(s.address(), "GET", "/secrets");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("/status"), std::string::npos) << "names what exists";
  EXPECT_EQ(s.leaves.load(), 0);
}

TEST(ControlServer, WithATokenRefusesRequestsThatLackIt) {
  Served s("s3cret");
  EXPECT_EQ(httpRequest(s.address(), "GET", "/status").status, 401);
  EXPECT_EQ(httpRequest(s.address(), "POST", "/leave", "wrong").status, 401);
  EXPECT_EQ(s.leaves.load(), 0);
  EXPECT_EQ(httpRequest(s.address(), "GET", "/status", "s3cret").status, 200);
  EXPECT_EQ(httpRequest(s.address(), "POST", "/leave", "s3cret").status, 202);
  EXPECT_EQ(s.leaves.load(), 1);
}

TEST(ControlServer, RefusesAnAddressReachableFromOtherMachinesWithoutAToken) {
  try {
    ControlServer server(ControlOptions{"0.0.0.0:0", ""});
    FAIL() << "served 0.0.0.0 without a token";
  } catch (const runtime::Error& e) {
    EXPECT_EQ(e.kind(), runtime::ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("token"), std::string::npos) << e.what();
  }
  ControlServer withToken(ControlOptions{"0.0.0.0:0", "t"});
  EXPECT_FALSE(withToken.boundAddress().empty());
}

TEST(ControlServer, ABusyPortIsReportedWithTheAddress) {
  ControlServer first(ControlOptions{"127.0.0.1:0", ""});
  try {
    ControlServer second(ControlOptions{first.boundAddress(), ""});
    FAIL() << "bound the same port twice";
  } catch (const runtime::Error& e) {
    EXPECT_NE(std::string(e.what()).find(first.boundAddress()), std::string::npos) << e.what();
  }
}

TEST(ControlServer, ClientNamesAnEndpointThatIsNotThere) {
  std::string address;
  {
    ControlServer gone(ControlOptions{"127.0.0.1:0", ""});
    address = gone.boundAddress();
  }
  try {
    httpRequest(address, "GET", "/status");
    FAIL() << "a closed port answered";
  } catch (const runtime::Error& e) {
    EXPECT_EQ(e.kind(), runtime::ErrorKind::kDisconnected);
    EXPECT_NE(std::string(e.what()).find(address), std::string::npos) << e.what();
  }
}

TEST(ControlServer, SplitsHostAndPortAndRejectsTheRest) {
  EXPECT_EQ(splitHostPort("127.0.0.1:7001", "x"), (std::pair<std::string, int>{"127.0.0.1", 7001}));
  EXPECT_EQ(splitHostPort("http://localhost:80/", "x"),
            (std::pair<std::string, int>{"localhost", 80}));
  EXPECT_EQ(splitHostPort("[::1]:9", "x"), (std::pair<std::string, int>{"::1", 9}));
  for (const char* bad : {"7001", "host:", ":7001", "host:70000", "host:12ab"}) {
    EXPECT_THROW(splitHostPort(bad, "x"), runtime::Error) << bad;
  }
  EXPECT_TRUE(isLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(isLoopbackHost("::1"));
  EXPECT_TRUE(isLoopbackHost("localhost"));
  EXPECT_FALSE(isLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(isLoopbackHost("10.1.2.3"));
}

}  // namespace
}  // namespace murmur::peer::control
