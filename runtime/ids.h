// Identifiers shared by every layer. A peer's id is its index in the agreed peer list, which
// also orders peers (crossing proposals are broken by it).
#pragma once

#include <cstdint>
#include <functional>

namespace murmur::runtime {

struct PeerId {
  std::uint32_t value = 0;

  friend bool operator==(PeerId a, PeerId b) { return a.value == b.value; }

  friend bool operator!=(PeerId a, PeerId b) { return a.value != b.value; }

  friend bool operator<(PeerId a, PeerId b) { return a.value < b.value; }
};

// Sequence number of an exchange, unique per initiating peer.
using Seq = std::uint64_t;

}  // namespace murmur::runtime

template <>
struct std::hash<murmur::runtime::PeerId> {
  std::size_t operator()(murmur::runtime::PeerId id) const noexcept {
    return std::hash<std::uint32_t>()(id.value);
  }
};
