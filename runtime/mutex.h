// Annotated mutex and Guarded<T>: the only ways murmur shares data between threads.
// The annotations are checked by clang's -Wthread-safety; g++ ignores them.
#pragma once

#include <condition_variable>
#include <mutex>
#include <utility>

#if defined(__clang__)
#define MURMUR_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define MURMUR_THREAD_ANNOTATION(x)
#endif

#define MURMUR_CAPABILITY(x) MURMUR_THREAD_ANNOTATION(capability(x))
#define MURMUR_GUARDED_BY(x) MURMUR_THREAD_ANNOTATION(guarded_by(x))
#define MURMUR_REQUIRES(...) MURMUR_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define MURMUR_EXCLUDES(...) MURMUR_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define MURMUR_ACQUIRE(...) MURMUR_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define MURMUR_RELEASE(...) MURMUR_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define MURMUR_SCOPED_CAPABILITY MURMUR_THREAD_ANNOTATION(scoped_lockable)

namespace murmur::runtime {

class MURMUR_CAPABILITY("mutex") Mutex {
 public:
  void lock() MURMUR_ACQUIRE() { mu_.lock(); }

  void unlock() MURMUR_RELEASE() { mu_.unlock(); }

  // For condition variables only.
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

class MURMUR_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) MURMUR_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }

  ~MutexLock() MURMUR_RELEASE() { mu_.unlock(); }

  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// A value reachable only under its mutex: guarded.withLock([](T& v) { ... }).
template <typename T>
class Guarded {
 public:
  template <typename... Args>
  explicit Guarded(Args&&... args) : value_(std::forward<Args>(args)...) {}

  template <typename Fn>
  decltype(auto) withLock(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    return std::forward<Fn>(fn)(value_);
  }

  template <typename Fn>
  decltype(auto) withLock(Fn&& fn) const {
    std::lock_guard<std::mutex> lock(mu_);
    return std::forward<Fn>(fn)(value_);
  }

 private:
  mutable std::mutex mu_;
  T value_;
};

}  // namespace murmur::runtime
