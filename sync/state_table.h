// M1, the epidemic table of FDA states (specs/fda.md §4.2), sans-I/O: each peer keeps, per
// member, the newest (epoch, step, state) it has heard of; its own entry refreshes at every check
// and entries travel piggybacked on gossip. The swarm's S̄ is the mean over the entries of the
// current epoch (older epochs are ignored; failed members are removed), summed in member order so
// that equal tables give bit-identical means. Thread: one owner (the comm thread).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "runtime/ids.h"
#include "sync/fda_estimator.h"

namespace murmur::sync {

struct StateEntry {
  std::uint64_t epoch = 0;
  std::uint64_t step = 0;  // the member's local step when it computed the state
  FdaState state;
  double theta = 0;  // the member's Θ (adaptive Θ differs a little between members)
};

class StateTable {
 public:
  explicit StateTable(runtime::PeerId self) : self_(self) {}

  // Our own state at a check.
  void setOwn(StateEntry entry);

  // An entry heard from others: kept when newer than ours for that member (a later epoch, or the
  // same epoch at a later step). Returns whether the table changed. Our own entry is ours alone.
  bool merge(runtime::PeerId member, const StateEntry& entry);

  // The member failed or left: the estimate becomes a mean over the others.
  void remove(runtime::PeerId member);

  // Every entry, for piggybacking (K is small: ~24 bytes per Linear entry).
  const std::map<runtime::PeerId, StateEntry>& entries() const { return entries_; }

  // The mean state over the members whose entry is of `epoch`, and how many they are; nullopt
  // when none is.
  std::optional<FdaState> mean(std::uint64_t epoch, std::size_t* members = nullptr) const;

  // The mean Θ over the same entries (0 when none): the threshold the swarm agrees on, as S̄ is
  // the state it agrees on.
  double meanTheta(std::uint64_t epoch) const;

 private:
  runtime::PeerId self_;
  std::map<runtime::PeerId, StateEntry> entries_;  // ordered: a deterministic sum
};

// The trigger with the table's staleness margin m (specs/fda.md §4.2: states heard through gossip
// lag, and the variance they miss is growing): fire when H > Θ·(1 − m).
inline bool staleTableTriggers(double estimate, double theta, double margin) {
  return roundTerminates(estimate, theta * (1 - margin));
}

}  // namespace murmur::sync
