// Agreeing on an FDA sync without a coordinator (specs/fda.md §4.3, step 1), sans-I/O. A peer
// whose estimate exceeds Θ proposes epoch e+1 with its view of the live members; proposals spread
// epidemically and merge: for the same epoch and attempt the views are united, a higher attempt
// (a retry after a failure) replaces the view. After a collection window the view is fixed as the
// merged view ∩ live members (sooner once every member of it was heard proposing the same
// attempt), and the ring all-reduce starts over it (ring_all_reduce.h). A member
// that fails, or a chunk built on another view, makes the sync retry as the next attempt over the
// survivors. Epochs are ballots: proposals for epochs already synced are stale.
// Thread: one owner (the comm thread).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "runtime/clock.h"
#include "runtime/ids.h"

namespace murmur::sync {

struct SyncProposal {
  std::uint64_t epoch = 0;
  std::uint32_t attempt = 0;
  std::vector<runtime::PeerId> view;  // sorted, unique
};

enum class ProposalVerdict : std::uint8_t {
  kStale,   // an epoch already synced: dropped
  kAhead,   // an epoch beyond the next: the swarm synced without us (we need a state transfer)
  kMerged,  // it changed what we propose: forward ours
  kKnown,   // nothing new
};

class SyncAgreement {
 public:
  // `epoch` is the last synced epoch (0 at the start of a run, or what a joiner received).
  SyncAgreement(runtime::PeerId self, std::uint64_t epoch, runtime::Duration collectWindow);

  // Our estimate crossed Θ. Returns the proposal to spread, or nullopt if one is already pending.
  std::optional<SyncProposal> propose(const std::vector<runtime::PeerId>& live,
                                      runtime::TimePoint now);

  // A proposal heard from member `from` (who, by sending it, takes part).
  ProposalVerdict onProposal(runtime::PeerId from,
                             const SyncProposal& proposal,
                             runtime::TimePoint now);

  // The pending proposal (what to forward), if any.
  const std::optional<SyncProposal>& pending() const { return pending_; }

  // Once the collection window has passed, or every member of pending ∩ live has proposed this
  // attempt: the agreed view (pending ∩ live, ourselves included).
  std::optional<SyncProposal> ready(const std::vector<runtime::PeerId>& live,
                                    runtime::TimePoint now) const;

  // The sync failed (a member died, a chunk came from another view): retry as the next attempt
  // over `live`. Returns the proposal to spread.
  SyncProposal retry(const std::vector<runtime::PeerId>& live, runtime::TimePoint now);

  // The ring finished: `epoch` is synced.
  void completed(std::uint64_t epoch);

  std::uint64_t epoch() const { return epoch_; }

 private:
  std::vector<runtime::PeerId> withSelf(std::vector<runtime::PeerId> view) const;

  runtime::PeerId self_;
  std::uint64_t epoch_;
  runtime::Duration window_;
  std::optional<SyncProposal> pending_;
  runtime::TimePoint collectUntil_{};
  std::set<runtime::PeerId> heard_;  // members that proposed the pending attempt (and us)
};

}  // namespace murmur::sync
