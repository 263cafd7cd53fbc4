#include "sync/state_table.h"

#include "runtime/error.h"

namespace murmur::sync {

void StateTable::setOwn(StateEntry entry) {
  entries_[self_] = std::move(entry);
}

bool StateTable::merge(runtime::PeerId member, const StateEntry& entry) {
  if (member == self_) {
    return false;
  }
  auto it = entries_.find(member);
  const bool newer = it == entries_.end() || entry.epoch > it->second.epoch ||
                     (entry.epoch == it->second.epoch && entry.step > it->second.step);
  if (!newer) {
    return false;
  }
  entries_[member] = entry;
  return true;
}

void StateTable::remove(runtime::PeerId member) {
  entries_.erase(member);
}

std::optional<FdaState> StateTable::mean(std::uint64_t epoch, std::size_t* members) const {
  std::vector<FdaState> current;
  for (const auto& [id, entry] : entries_) {
    if (entry.epoch == epoch) {
      current.push_back(entry.state);
    }
  }
  if (members != nullptr) {
    *members = current.size();
  }
  if (current.empty()) {
    return std::nullopt;
  }
  return meanState(current);
}

double StateTable::meanTheta(std::uint64_t epoch) const {
  double sum = 0;
  std::size_t n = 0;
  for (const auto& [member, entry] : entries_) {
    if (entry.epoch == epoch) {
      sum += entry.theta;
      ++n;
    }
  }
  return n == 0 ? 0 : sum / static_cast<double>(n);
}

}  // namespace murmur::sync
