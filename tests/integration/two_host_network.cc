#include "tests/integration/two_host_network.h"

#include <array>
#include <cstdio>
#include <stdexcept>

#include <gtest/gtest.h>

#include <unistd.h>

namespace murmur::tests {
namespace {

// Runs a shell command line; its exit status and combined output.
std::pair<int, std::string> shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return {-1, "popen failed"};
  }
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    out += buffer.data();
  }
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

TwoHostNetwork::TwoHostNetwork(LinkShape shape) {
  const std::string pid = std::to_string(getpid());
  for (int h = 0; h < 2; ++h) {
    namespace_[h] = std::string("murmur-") + (h == 0 ? "a-" : "b-") + pid;
    device_[h] = std::string("mv") + (h == 0 ? "a" : "b") + pid;  // ≤ 15 bytes (IFNAMSIZ)
  }
  if (geteuid() != 0) {
    why_ = "needs root (network namespaces, tc, nft): run the suite as root";
    return;
  }
  for (const char* tool : {"ip", "tc", "nft"}) {
    auto [code, path] = shell(std::string("command -v ") + tool);
    if (code != 0) {
      why_ = std::string("'") + tool + "' is not installed (tools/dev/setup.sh installs it)";
      return;
    }
    if (std::string(tool) == "ip") {
      ip_ = path.substr(0, path.find('\n'));
    }
  }
  for (int h = 0; h < 2; ++h) {
    auto [code, out] = shell("ip netns add " + namespace_[h]);
    if (code != 0) {
      why_ = "cannot create a network namespace (CAP_NET_ADMIN?): " + out;
      return;
    }
    created_[h] = true;
  }
  const std::string& a = namespace_[0];
  const std::string& b = namespace_[1];
  std::vector<std::string> steps = {
      "ip link add " + device_[0] + " netns " + a + " type veth peer name " + device_[1] +
          " netns " + b,
  };
  for (int h = 0; h < 2; ++h) {
    const std::string ns = "ip -n " + namespace_[h] + " ";
    steps.push_back(ns + "link set lo up");
    steps.push_back(ns + "addr add " + address(h) + "/24 dev " + device_[h]);
    steps.push_back(ns + "link set " + device_[h] + " up");
    // Token bucket: `rate` with a burst of ~2.5 ms of traffic and at most 50 ms of queue.
    steps.push_back("tc -n " + namespace_[h] + " qdisc add dev " + device_[h] + " root tbf rate " +
                    std::to_string(shape.rateMbit) + "mbit burst " +
                    std::to_string(std::max(shape.rateMbit * 1000 / 8 * 3, 16000)) +
                    " latency 50ms");
    steps.push_back("ip netns exec " + namespace_[h] +
                    " nft add table inet murmur_loss \\; add chain inet murmur_loss in "
                    "'{ type filter hook input priority 0 ; }' \\; add rule inet murmur_loss in "
                    "iifname " +
                    device_[h] + " numgen random mod 100 '<' " + std::to_string(shape.lossPercent) +
                    " counter drop");
  }
  for (const std::string& step : steps) {
    auto [code, out] = shell(step);
    if (code != 0) {
      why_ = "network set-up failed: " + step + ": " + out;
      return;
    }
  }
}

TwoHostNetwork::~TwoHostNetwork() {
  for (int h = 0; h < 2; ++h) {
    if (created_[h]) {
      // Deleting a namespace deletes its end of the veth, and with it the pair.
      auto [code, out] = shell("ip netns delete " + namespace_[h]);
      EXPECT_EQ(code, 0) << "could not delete namespace " << namespace_[h] << ": " << out;
    }
  }
}

std::string TwoHostNetwork::address(int host) {
  return host == 0 ? "10.250.0.1" : "10.250.0.2";
}

std::vector<std::string> TwoHostNetwork::on(int host) const {
  return {ip_, "netns", "exec", namespace_[host]};
}

void TwoHostNetwork::cut() {
  auto [code, out] = shell("ip -n " + namespace_[0] + " link set " + device_[0] + " down");
  ASSERT_EQ(code, 0) << out;
}

void TwoHostNetwork::heal() {
  auto [code, out] = shell("ip -n " + namespace_[0] + " link set " + device_[0] + " up");
  ASSERT_EQ(code, 0) << out;
}

long TwoHostNetwork::droppedPackets(int host) const {
  auto [code, out] =
      shell("ip netns exec " + namespace_[host] + " nft list chain inet murmur_loss in");
  std::size_t at = out.find("counter packets ");
  if (code != 0 || at == std::string::npos) {
    ADD_FAILURE() << "cannot read the loss counter: " << out;
    return -1;
  }
  return std::stol(out.substr(at + 16));
}

}  // namespace murmur::tests
