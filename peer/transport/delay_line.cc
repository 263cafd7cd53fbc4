#include "peer/transport/delay_line.h"

#include <algorithm>
#include <utility>

#include "runtime/error.h"

namespace murmur::peer::transport {
namespace {

constexpr runtime::Duration kRetryAfter = std::chrono::milliseconds(5);

}  // namespace

DelayLine::DelayLine(runtime::Duration delay, std::size_t perPeerLimit)
    : delay_(delay), perPeerLimit_(perPeerLimit) {
  MURMUR_REQUIRE(delay.count() >= 0, "an injected latency cannot be negative");
  MURMUR_REQUIRE(perPeerLimit > 0, "a delay line must hold at least one message per peer");
}

bool DelayLine::hold(std::uint32_t to,
                     std::vector<std::byte> envelope,
                     std::vector<runtime::Blob> payloads,
                     runtime::TimePoint now) {
  std::deque<DelayedMessage>& line = lines_[to];
  if (line.size() >= perPeerLimit_) {
    return false;
  }
  line.push_back(DelayedMessage{std::move(envelope), std::move(payloads), now + delay_});
  return true;
}

void DelayLine::release(runtime::TimePoint now,
                        const std::function<bool(std::uint32_t, const DelayedMessage&)>& send) {
  for (auto& [to, line] : lines_) {
    while (!line.empty() && line.front().due <= now) {
      if (!send(to, line.front())) {
        line.front().due = now + kRetryAfter;  // not a busy loop while the peer is away
        break;
      }
      line.pop_front();
    }
  }
}

std::optional<runtime::TimePoint> DelayLine::nextDue() const {
  std::optional<runtime::TimePoint> next;
  for (const auto& [to, line] : lines_) {
    if (!line.empty()) {
      next = next ? std::min(*next, line.front().due) : line.front().due;
    }
  }
  return next;
}

void DelayLine::drop(std::uint32_t to) {
  lines_.erase(to);
}

std::size_t DelayLine::held() const {
  std::size_t n = 0;
  for (const auto& [to, line] : lines_) {
    n += line.size();
  }
  return n;
}

}  // namespace murmur::peer::transport
