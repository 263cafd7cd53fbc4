#include "peer/checkpoint.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "runtime/error.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

namespace murmur::peer {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'M', 'U', 'R', 'M', 'U', 'R', 'C', 'K'};
constexpr std::uint32_t kFormat = 1;
constexpr const char* kSuffix = ".ckpt";

template <typename T>
void put(std::vector<char>& out, const T& value) {
  const char* bytes = reinterpret_cast<const char*>(&value);
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

// Reads a T at `at`, or throws a description of the truncation.
template <typename T>
T take(const std::vector<char>& in, std::size_t& at) {
  if (in.size() - at < sizeof(T)) {
    throw std::runtime_error("truncated");
  }
  T value;
  std::memcpy(&value, in.data() + at, sizeof(T));
  at += sizeof(T);
  return value;
}

std::uint32_t crcOf(const char* data, std::size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    auto chunk = static_cast<uInt>(std::min<std::size_t>(size, 1U << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

void writeFully(int fd, const char* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      ::close(fd);
      MURMUR_THROW(kInvalidArgument, "cannot write checkpoint ", path, ": ", std::strerror(errno));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void fsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// This name's checkpoint files, newest (highest step) first.
std::vector<std::pair<std::int64_t, fs::path>> checkpointsOf(const std::string& dir,
                                                             const std::string& name) {
  std::vector<std::pair<std::int64_t, fs::path>> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return out;
  }
  const std::string prefix = name + "-";
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    std::string file = e.path().filename().string();
    if (file.size() <= prefix.size() + std::strlen(kSuffix) || file.rfind(prefix, 0) != 0 ||
        file.compare(file.size() - std::strlen(kSuffix), std::string::npos, kSuffix) != 0) {
      continue;
    }
    std::string digits = file.substr(prefix.size(), file.size() - prefix.size() - 5);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) {
      continue;
    }
    out.emplace_back(std::stoll(digits), e.path());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return out;
}

Checkpoint parse(const std::vector<char>& bytes) {
  if (bytes.size() < sizeof(kMagic) + sizeof(std::uint32_t) ||
      std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    throw std::runtime_error("not a murmur checkpoint");
  }
  const std::size_t body = bytes.size() - sizeof(std::uint32_t);
  std::uint32_t stored;
  std::memcpy(&stored, bytes.data() + body, sizeof(stored));
  if (crcOf(bytes.data(), body) != stored) {
    throw std::runtime_error("checksum mismatch (damaged or truncated)");
  }
  std::size_t at = sizeof(kMagic);
  if (take<std::uint32_t>(bytes, at) != kFormat) {
    throw std::runtime_error("unknown checkpoint format");
  }
  Checkpoint c;
  c.modelSignature = take<std::uint64_t>(bytes, at);
  c.step = take<std::int64_t>(bytes, at);
  c.unixSeconds = take<double>(bytes, at);
  auto nameBytes = take<std::uint32_t>(bytes, at);
  auto numel = take<std::uint64_t>(bytes, at);
  if (nameBytes > 255 || body - at != nameBytes + numel * sizeof(float)) {
    throw std::runtime_error("inconsistent sizes");
  }
  c.name.assign(bytes.data() + at, nameBytes);
  at += nameBytes;
  c.parameters.resize(numel);
  std::memcpy(c.parameters.data(), bytes.data() + at, numel * sizeof(float));
  return c;
}

}  // namespace

std::string writeCheckpoint(const std::string& dir, const Checkpoint& checkpoint, int keep) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    MURMUR_THROW(kInvalidArgument, "cannot create checkpoint directory ", dir, ": ", ec.message());
  }
  std::vector<char> bytes(kMagic, kMagic + sizeof(kMagic));
  put(bytes, kFormat);
  put(bytes, checkpoint.modelSignature);
  put(bytes, checkpoint.step);
  put(bytes, checkpoint.unixSeconds);
  put(bytes, static_cast<std::uint32_t>(checkpoint.name.size()));
  put(bytes, static_cast<std::uint64_t>(checkpoint.parameters.size()));
  bytes.insert(bytes.end(), checkpoint.name.begin(), checkpoint.name.end());
  const char* floats = reinterpret_cast<const char*>(checkpoint.parameters.data());
  bytes.insert(bytes.end(), floats, floats + checkpoint.parameters.size() * sizeof(float));
  put(bytes, crcOf(bytes.data(), bytes.size()));

  const std::string path =
      fmt::format("{}/{}-{:012}{}", dir, checkpoint.name, checkpoint.step, kSuffix);
  const std::string temporary = path + ".tmp";  // never matched by the reader
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    MURMUR_THROW(
        kInvalidArgument, "cannot write checkpoint ", temporary, ": ", std::strerror(errno));
  }
  writeFully(fd, bytes.data(), bytes.size(), temporary);
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    MURMUR_THROW(
        kInvalidArgument, "cannot flush checkpoint ", temporary, ": ", std::strerror(errno));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    MURMUR_THROW(
        kInvalidArgument, "cannot rename ", temporary, " to ", path, ": ", std::strerror(errno));
  }
  fsyncPath(dir, O_RDONLY | O_DIRECTORY);  // the rename itself survives a power cut
  auto all = checkpointsOf(dir, checkpoint.name);
  for (std::size_t i = static_cast<std::size_t>(std::max(keep, 1)); i < all.size(); ++i) {
    fs::remove(all[i].second, ec);
  }
  return path;
}

std::optional<Checkpoint> loadLatestCheckpoint(const std::string& dir,
                                               const std::string& name,
                                               std::uint64_t modelSignature,
                                               std::vector<std::string>* problems) {
  for (const auto& [step, path] : checkpointsOf(dir, name)) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string why;
    try {
      Checkpoint c = parse(bytes);
      if (c.name != name) {
        why = "written by " + c.name;
      } else if (c.modelSignature != modelSignature) {
        why = fmt::format(
            "another model (signature {:016x}, ours {:016x})", c.modelSignature, modelSignature);
      } else {
        return c;
      }
    } catch (const std::runtime_error& e) {
      why = e.what();
    }
    if (problems != nullptr) {
      problems->push_back(path.string() + ": " + why);
    }
  }
  return std::nullopt;
}

}  // namespace murmur::peer
