// The agreed list of peers of a run: addresses and names. A peer's id is its index here.
#pragma once

#include <string>
#include <vector>

namespace murmur::peer {

struct PeerEntry {
  std::string address;  // tcp://host:port
  std::string name;     // unique; defaults to host:port
};

// Parses a peers file (one `ADDRESS [NAME]` per line, '#' comments) or, when `spec` is not a
// readable file, a comma-separated list of addresses. Throws Error(kInvalidArgument) naming the
// line for a malformed address, a duplicate name or address, or fewer than 2 peers.
std::vector<PeerEntry> parsePeerList(const std::string& spec);

// Same, from the text of a file; `origin` names it in errors.
std::vector<PeerEntry> parsePeerListText(const std::string& text, const std::string& origin);

// Index of the entry named `name` or, if name is empty, bound at `bindAddress`. Throws
// Error(kInvalidArgument) listing the known names when there is none.
std::uint32_t findSelf(const std::vector<PeerEntry>& peers,
                       const std::string& name,
                       const std::string& bindAddress);

}  // namespace murmur::peer
