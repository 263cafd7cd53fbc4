// Model-sized float buffers, allocated once and reused: touching fresh pages costs ~50× a copy
// into reused memory on these machines (ENVIRONMENT.md). A buffer returns to the pool when its
// last shared_ptr dies, which may happen on a libzmq thread after a zero-copy send.
// Thread: any.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace murmur::peer {

class BufferPool {
 public:
  using Buffer = std::vector<float>;

  // Buffers of exactly `numel` floats; at most `maxIdle` kept when returned.
  BufferPool(std::size_t numel, std::size_t maxIdle = 8);

  // A buffer (contents unspecified) that goes back to the pool when released.
  std::shared_ptr<Buffer> acquire();

  // Buffers allocated so far (a steady value means no allocation per exchange).
  std::size_t allocated() const;

 private:
  struct State {
    std::mutex mu;
    std::vector<std::unique_ptr<Buffer>> idle;
    std::size_t allocated = 0;
    std::size_t maxIdle = 0;
  };

  std::size_t numel_;
  std::shared_ptr<State> state_;  // shared with deleters, so late returns outlive the pool
};

}  // namespace murmur::peer
