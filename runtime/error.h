// Error kinds and the checking macros every murmur library uses.
// murmur throws only runtime::Error; expected outcomes (busy, timeout, would-block) are values.
#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace murmur::runtime {

// What went wrong, so callers can map failures to exit codes and counters without parsing text.
enum class ErrorKind : std::uint8_t {
  kInvalidArgument,  // the caller passed something wrong (bad flag, bad file, bad shape)
  kProtocol,         // a peer sent something malformed or incompatible
  kDisconnected,     // a peer or socket went away
  kTimeout,          // a deadline passed where the caller treats it as a failure
  kOverloaded,       // a bounded queue or buffer is full
  kInternal,         // a bug in murmur: an invariant did not hold
  kRefused,          // a swarm refused us: another protocol version or model, a name taken
};

// Human-readable name of a kind ("invalid argument", ...).
std::string_view errorKindName(ErrorKind kind);

// The one exception type murmur throws. what() is the message without the kind prefix.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

[[noreturn]] void throwError(
    ErrorKind kind, const char* expr, const char* file, int line, const std::string& message);
}  // namespace detail

}  // namespace murmur::runtime

// An invariant of murmur itself; failure is a bug (kInternal).
#define MURMUR_CHECK(cond, ...)                                                              \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      ::murmur::runtime::detail::throwError(::murmur::runtime::ErrorKind::kInternal,         \
                                            #cond,                                           \
                                            __FILE__,                                        \
                                            __LINE__,                                        \
                                            ::murmur::runtime::detail::concat(__VA_ARGS__)); \
    }                                                                                        \
  } while (false)

// A precondition on the caller's input; failure is the caller's (kInvalidArgument).
#define MURMUR_REQUIRE(cond, ...)                                                            \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      ::murmur::runtime::detail::throwError(::murmur::runtime::ErrorKind::kInvalidArgument,  \
                                            #cond,                                           \
                                            nullptr,                                         \
                                            0,                                               \
                                            ::murmur::runtime::detail::concat(__VA_ARGS__)); \
    }                                                                                        \
  } while (false)

// Throws Error(kind, message) built from the arguments.
#define MURMUR_THROW(kind, ...)                                      \
  throw ::murmur::runtime::Error(::murmur::runtime::ErrorKind::kind, \
                                 ::murmur::runtime::detail::concat(__VA_ARGS__))
