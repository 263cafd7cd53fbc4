#include "sync/sync_agreement.h"

#include <algorithm>
#include <iterator>

namespace murmur::sync {
namespace {

std::vector<runtime::PeerId> sortedUnique(std::vector<runtime::PeerId> view) {
  std::sort(view.begin(), view.end());
  view.erase(std::unique(view.begin(), view.end()), view.end());
  return view;
}

std::vector<runtime::PeerId> intersect(const std::vector<runtime::PeerId>& a,
                                       std::vector<runtime::PeerId> b) {
  b = sortedUnique(std::move(b));
  std::vector<runtime::PeerId> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

SyncAgreement::SyncAgreement(runtime::PeerId self,
                             std::uint64_t epoch,
                             runtime::Duration collectWindow)
    : self_(self), epoch_(epoch), window_(collectWindow) {}

std::vector<runtime::PeerId> SyncAgreement::withSelf(std::vector<runtime::PeerId> view) const {
  view.push_back(self_);
  return sortedUnique(std::move(view));
}

std::optional<SyncProposal> SyncAgreement::propose(const std::vector<runtime::PeerId>& live,
                                                   runtime::TimePoint now) {
  if (pending_) {
    return std::nullopt;
  }
  pending_ = SyncProposal{epoch_ + 1, 0, withSelf(live)};
  collectUntil_ = now + window_;
  heard_ = {self_};
  return pending_;
}

ProposalVerdict SyncAgreement::onProposal(runtime::PeerId from,
                                          const SyncProposal& proposal,
                                          runtime::TimePoint now) {
  if (proposal.epoch <= epoch_) {
    return ProposalVerdict::kStale;
  }
  if (proposal.epoch > epoch_ + 1) {
    return ProposalVerdict::kAhead;
  }
  std::vector<runtime::PeerId> view = withSelf(proposal.view);
  if (!pending_) {
    pending_ = SyncProposal{proposal.epoch, proposal.attempt, std::move(view)};
    collectUntil_ = now + window_;
    heard_ = {self_, from};
    return ProposalVerdict::kMerged;
  }
  if (proposal.attempt < pending_->attempt) {
    return ProposalVerdict::kKnown;  // an older attempt: ours supersedes it (the caller re-sends)
  }
  if (proposal.attempt > pending_->attempt) {
    // A retry: its view (the survivors) replaces ours, and a new window opens.
    pending_ = SyncProposal{proposal.epoch, proposal.attempt, std::move(view)};
    collectUntil_ = now + window_;
    heard_ = {self_, from};
    return ProposalVerdict::kMerged;
  }
  heard_.insert(from);
  std::vector<runtime::PeerId> united;
  std::set_union(pending_->view.begin(),
                 pending_->view.end(),
                 view.begin(),
                 view.end(),
                 std::back_inserter(united));
  if (united == pending_->view) {
    return ProposalVerdict::kKnown;
  }
  pending_->view = std::move(united);
  return ProposalVerdict::kMerged;
}

std::optional<SyncProposal> SyncAgreement::ready(const std::vector<runtime::PeerId>& live,
                                                 runtime::TimePoint now) const {
  if (!pending_) {
    return std::nullopt;
  }
  SyncProposal agreed = *pending_;
  agreed.view = intersect(pending_->view, withSelf(live));
  const bool everyoneIn = std::all_of(
      agreed.view.begin(), agreed.view.end(), [&](runtime::PeerId id) { return heard_.count(id); });
  if (now < collectUntil_ && !everyoneIn) {
    return std::nullopt;
  }
  return agreed;
}

SyncProposal SyncAgreement::retry(const std::vector<runtime::PeerId>& live,
                                  runtime::TimePoint now) {
  const std::uint64_t target = pending_ ? pending_->epoch : epoch_ + 1;
  const std::uint32_t attempt = pending_ ? pending_->attempt + 1 : 0;
  std::vector<runtime::PeerId> view = withSelf(live);
  if (pending_) {
    view = intersect(pending_->view, view);
  }
  pending_ = SyncProposal{target, attempt, std::move(view)};
  collectUntil_ = now + window_;
  heard_ = {self_};
  return *pending_;
}

void SyncAgreement::completed(std::uint64_t epoch) {
  epoch_ = std::max(epoch_, epoch);
  if (pending_ && pending_->epoch <= epoch_) {
    pending_.reset();
    heard_.clear();
  }
}

}  // namespace murmur::sync
