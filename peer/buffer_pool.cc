#include "peer/buffer_pool.h"

namespace murmur::peer {

BufferPool::BufferPool(std::size_t numel, std::size_t maxIdle)
    : numel_(numel), state_(std::make_shared<State>()) {
  state_->maxIdle = maxIdle;
}

std::shared_ptr<BufferPool::Buffer> BufferPool::acquire() {
  std::unique_ptr<Buffer> buffer;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->idle.empty()) {
      buffer = std::move(state_->idle.back());
      state_->idle.pop_back();
    } else {
      ++state_->allocated;
    }
  }
  if (!buffer) {
    buffer = std::make_unique<Buffer>(numel_);
  }
  std::shared_ptr<State> state = state_;
  return std::shared_ptr<Buffer>(buffer.release(), [state](Buffer* returned) noexcept {
    std::unique_ptr<Buffer> owned(returned);
    std::lock_guard<std::mutex> lock(state->mu);
    if (state->idle.size() < state->maxIdle) {
      state->idle.push_back(std::move(owned));
    }
  });
}

std::size_t BufferPool::allocated() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->allocated;
}

}  // namespace murmur::peer
