// Two "hosts" for integration tests: network namespaces joined by a veth pair, the link shaped
// with `tc tbf` (rate) and nftables `numgen random` (loss), and cut or restored on demand (link
// down/up). Needs root with CAP_NET_ADMIN, iproute2 and nft; available() says why not, so the
// test can skip visibly. Everything created is deleted on destruction.
#pragma once

#include <string>
#include <vector>

namespace murmur::tests {

struct LinkShape {
  int rateMbit = 100;   // tc tbf on both ends
  int lossPercent = 1;  // dropped at random on arrival, each direction
};

class TwoHostNetwork {
 public:
  // Creates namespaces murmur-a-PID and murmur-b-PID holding 10.250.0.1 and 10.250.0.2.
  // On failure (no privilege, no tools) nothing is left behind and available() is false.
  explicit TwoHostNetwork(LinkShape shape);
  ~TwoHostNetwork();
  TwoHostNetwork(const TwoHostNetwork&) = delete;
  TwoHostNetwork& operator=(const TwoHostNetwork&) = delete;

  bool available() const { return why_.empty(); }

  const std::string& whyUnavailable() const { return why_; }

  // The address of host 0 or 1 inside its namespace.
  static std::string address(int host);

  // argv prefix that runs a command on host 0 or 1 (`ip netns exec NS`).
  std::vector<std::string> on(int host) const;

  // Partition: the link goes down (both ends lose carrier), then comes back.
  void cut();
  void heal();

  // The packets host `host`'s loss rule has dropped so far (the loss is real, not configured only).
  long droppedPackets(int host) const;

 private:
  std::string namespace_[2];
  std::string device_[2];
  std::string why_;
  std::string ip_;  // the `ip` binary's path
  bool created_[2] = {false, false};
};

}  // namespace murmur::tests
