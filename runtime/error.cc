#include "runtime/error.h"

namespace murmur::runtime {

std::string_view errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return "invalid argument";
    case ErrorKind::kProtocol:
      return "protocol error";
    case ErrorKind::kDisconnected:
      return "disconnected";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kOverloaded:
      return "overloaded";
    case ErrorKind::kInternal:
      return "internal error";
    case ErrorKind::kRefused:
      return "refused";
  }
  return "unknown error";
}

namespace detail {

void throwError(
    ErrorKind kind, const char* expr, const char* file, int line, const std::string& message) {
  std::ostringstream out;
  if (kind == ErrorKind::kInternal) {
    // Bugs carry their location; caller errors read like sentences.
    out << "check failed: " << expr << " at " << file << ":" << line;
    if (!message.empty()) {
      out << ": " << message;
    }
  } else {
    out << (message.empty() ? std::string(expr) : message);
  }
  throw Error(kind, out.str());
}

}  // namespace detail
}  // namespace murmur::runtime
