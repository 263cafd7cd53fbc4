// The swarm key: one CurveZMQ key pair shared by every member of a swarm (`murmur keygen`).
// With it, every data and membership connection is encrypted and authenticated: a member's
// ROUTER is a CURVE server that admits only clients presenting the swarm's public key, so a peer
// without the key file can neither join nor inject a message.
// Thread: any.
#pragma once

#include <string>

namespace murmur::peer::transport {

struct SwarmKey {
  std::string publicKey;  // Z85, 40 characters
  std::string secretKey;  // Z85, 40 characters

  bool empty() const { return publicKey.empty(); }
};

// A fresh key pair from libzmq (libsodium underneath).
SwarmKey generateSwarmKey();

// Writes the key file (mode 0600; `public Z85` and `secret Z85` lines). Throws
// Error(kInvalidArgument) naming the path when it exists (unless `overwrite`) or cannot be written.
void writeSwarmKey(const std::string& path, const SwarmKey& key, bool overwrite = false);

// Reads and checks a key file: both keys present, Z85, and the public one derived from the
// secret one. Throws Error(kInvalidArgument) naming the path and the problem.
SwarmKey readSwarmKey(const std::string& path);

}  // namespace murmur::peer::transport
