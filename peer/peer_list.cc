#include "peer/peer_list.h"

#include <fstream>
#include <set>
#include <sstream>

#include "runtime/error.h"

namespace murmur::peer {
namespace {

void validateAddress(const std::string& address, const std::string& where) {
  const std::string prefix = "tcp://";
  std::size_t colon = address.rfind(':');
  bool ok = address.compare(0, prefix.size(), prefix) == 0 && colon != std::string::npos &&
            colon > prefix.size() && colon + 1 < address.size() &&
            address.find_first_not_of("0123456789", colon + 1) == std::string::npos;
  MURMUR_REQUIRE(ok, where, ": '", address, "' is not a tcp://HOST:PORT address");
}

std::string defaultName(const std::string& address) {
  return address.substr(6);
}

}  // namespace

std::vector<PeerEntry> parsePeerListText(const std::string& text, const std::string& origin) {
  std::vector<PeerEntry> peers;
  std::istringstream in(text);
  std::string line;
  int lineNumber = 0;
  while (std::getline(in, line)) {
    ++lineNumber;
    std::size_t hash = line.find('#');
    std::istringstream fields(hash == std::string::npos ? line : line.substr(0, hash));
    PeerEntry entry;
    std::string extra;
    if (!(fields >> entry.address)) {
      continue;
    }
    std::string where = origin + ":" + std::to_string(lineNumber);
    validateAddress(entry.address, where);
    if (!(fields >> entry.name)) {
      entry.name = defaultName(entry.address);
    }
    MURMUR_REQUIRE(!(fields >> extra), where, ": expected `ADDRESS [NAME]`, got '", line, "'");
    peers.push_back(std::move(entry));
  }
  std::set<std::string> names;
  std::set<std::string> addresses;
  for (const PeerEntry& p : peers) {
    MURMUR_REQUIRE(names.insert(p.name).second, origin, ": duplicate peer name '", p.name, "'");
    MURMUR_REQUIRE(
        addresses.insert(p.address).second, origin, ": duplicate address '", p.address, "'");
    MURMUR_REQUIRE(p.name.size() <= 255, origin, ": peer name '", p.name, "' is too long");
  }
  MURMUR_REQUIRE(
      peers.size() >= 2, origin, ": a swarm needs at least 2 peers, found ", peers.size());
  return peers;
}

std::vector<PeerEntry> parsePeerList(const std::string& spec) {
  std::ifstream in(spec);
  if (in.good()) {
    std::ostringstream text;
    text << in.rdbuf();
    return parsePeerListText(text.str(), spec);
  }
  MURMUR_REQUIRE(spec.find("tcp://") != std::string::npos,
                 "--peers '",
                 spec,
                 "' is neither a readable file nor a comma-separated list of tcp:// addresses");
  std::string lines = spec;
  for (char& c : lines) {
    if (c == ',') {
      c = '\n';
    }
  }
  return parsePeerListText(lines, "--peers");
}

std::uint32_t findSelf(const std::vector<PeerEntry>& peers,
                       const std::string& name,
                       const std::string& bindAddress) {
  std::string known;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    if (name.empty() ? peers[i].address == bindAddress : peers[i].name == name) {
      return static_cast<std::uint32_t>(i);
    }
    known += (known.empty() ? "" : ", ") + peers[i].name;
  }
  if (name.empty()) {
    MURMUR_THROW(kInvalidArgument,
                 "--bind ",
                 bindAddress,
                 " matches no address in the peer list; pass --name (known: ",
                 known,
                 ")");
  }
  MURMUR_THROW(kInvalidArgument, "--name ", name, " is not in the peer list (known: ", known, ")");
}

}  // namespace murmur::peer
