#include "peer/transport/swarm_key.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <zmq.h>

#include "runtime/error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace murmur::peer::transport {

SwarmKey generateSwarmKey() {
  char publicKey[41];
  char secretKey[41];
  MURMUR_CHECK(zmq_curve_keypair(publicKey, secretKey) == 0,
               "libzmq cannot make CURVE keys (built without libsodium?)");
  return SwarmKey{publicKey, secretKey};
}

void writeSwarmKey(const std::string& path, const SwarmKey& key, bool overwrite) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) {
    MURMUR_THROW(kInvalidArgument,
                 "cannot write the swarm key to ",
                 path,
                 ": ",
                 std::strerror(errno),
                 errno == EEXIST ? " (refusing to replace a key: pass --force)" : "");
  }
  std::string text =
      "# murmur swarm key: give it to every member (--swarm-key); keep it secret\n"
      "public " +
      key.publicKey + "\nsecret " + key.secretKey + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fchmod(fd, 0600) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    MURMUR_THROW(kInvalidArgument, "cannot write the swarm key to ", path);
  }
}

SwarmKey readSwarmKey(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    MURMUR_THROW(kInvalidArgument, "cannot read the swarm key ", path, ": ", std::strerror(errno));
  }
  SwarmKey key;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string field;
    std::string value;
    words >> field >> value;
    if (field == "public") {
      key.publicKey = value;
    } else if (field == "secret") {
      key.secretKey = value;
    }
  }
  if (key.publicKey.size() != 40 || key.secretKey.size() != 40) {
    MURMUR_THROW(kInvalidArgument,
                 "swarm key ",
                 path,
                 " needs a 'public' and a 'secret' line of 40 Z85 characters (murmur keygen)");
  }
  char derived[41];
  if (zmq_curve_public(derived, key.secretKey.c_str()) != 0 || key.publicKey != derived) {
    MURMUR_THROW(
        kInvalidArgument, "swarm key ", path, ": the public key does not belong to the secret key");
  }
  return key;
}

}  // namespace murmur::peer::transport
