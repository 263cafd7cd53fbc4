// CIFAR-10/100 in the binary version of the format: fixed-size records of label byte(s) and
// three 32x32 colour planes.
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>

#include "peer/dataset.h"
#include "runtime/error.h"

namespace murmur::peer {
namespace {

constexpr std::int64_t kPlane = 32 * 32;
constexpr std::int64_t kPixels = 3 * kPlane;

// Per-channel statistics of the training sets (after /255), as commonly used.
constexpr std::array<float, 3> kCifar10Mean{0.4914F, 0.4822F, 0.4465F};
constexpr std::array<float, 3> kCifar10Std{0.2470F, 0.2435F, 0.2616F};
constexpr std::array<float, 3> kCifar100Mean{0.5071F, 0.4865F, 0.4409F};
constexpr std::array<float, 3> kCifar100Std{0.2673F, 0.2564F, 0.2762F};

std::vector<std::uint8_t> readFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    MURMUR_THROW(kInvalidArgument, "cannot open dataset file ", path);
  }
  std::vector<std::uint8_t> bytes;
  std::array<std::uint8_t, 1 << 16> chunk{};
  std::size_t n = 0;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), f)) > 0) {
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
  }
  std::fclose(f);
  return bytes;
}

}  // namespace

Dataset loadCifar(const std::string& dir, const std::string& split) {
  MURMUR_REQUIRE(split == "train" || split == "test", "unknown CIFAR split '", split, "'");
  const bool cifar100 = std::filesystem::is_regular_file(dir + "/train.bin");
  std::vector<std::string> files;
  if (cifar100) {
    files.push_back(dir + (split == "train" ? "/train.bin" : "/test.bin"));
  } else if (split == "train") {
    for (int b = 1; b <= 5 && std::filesystem::is_regular_file(dir + "/data_batch_" +
                                                               std::to_string(b) + ".bin");
         ++b) {
      files.push_back(dir + "/data_batch_" + std::to_string(b) + ".bin");
    }
  } else {
    files.push_back(dir + "/test_batch.bin");
  }
  const std::int64_t labelBytes = cifar100 ? 2 : 1;
  const std::int64_t record = labelBytes + kPixels;
  const std::int64_t classes = cifar100 ? 100 : 10;
  std::vector<std::vector<std::uint8_t>> contents;
  std::int64_t count = 0;
  for (const std::string& file : files) {
    if (!std::filesystem::is_regular_file(file)) {
      MURMUR_THROW(kInvalidArgument, "dataset file ", file, " not found");
    }
    contents.push_back(readFile(file));
    const auto bytes = static_cast<std::int64_t>(contents.back().size());
    if (bytes == 0 || bytes % record != 0) {
      MURMUR_THROW(kInvalidArgument,
                   file,
                   " is not CIFAR-",
                   classes,
                   " binary data: ",
                   bytes,
                   " bytes is not a whole number of ",
                   record,
                   "-byte records");
    }
    count += bytes / record;
  }
  const std::array<float, 3>& mean = cifar100 ? kCifar100Mean : kCifar10Mean;
  const std::array<float, 3>& stdev = cifar100 ? kCifar100Std : kCifar10Std;
  at::Tensor x = at::empty({count, 3, 32, 32}, at::TensorOptions().dtype(c10::kFloat));
  at::Tensor y = at::empty({count}, at::TensorOptions().dtype(c10::kLong));
  float* pixels = x.data_ptr<float>();
  std::int64_t* labels = y.data_ptr<std::int64_t>();
  std::int64_t i = 0;
  for (std::size_t f = 0; f < contents.size(); ++f) {
    const std::vector<std::uint8_t>& bytes = contents[f];
    for (std::size_t at = 0; at < bytes.size(); at += static_cast<std::size_t>(record), ++i) {
      const std::int64_t label = bytes[at + static_cast<std::size_t>(labelBytes) - 1];
      if (label >= classes) {
        MURMUR_THROW(kInvalidArgument,
                     files[f],
                     ": record ",
                     at / static_cast<std::size_t>(record),
                     " has label ",
                     label,
                     " (CIFAR-",
                     classes,
                     " has ",
                     classes,
                     ")");
      }
      labels[i] = label;
      const std::uint8_t* in = bytes.data() + at + labelBytes;
      float* out = pixels + i * kPixels;
      for (std::int64_t p = 0; p < kPixels; ++p) {
        const std::size_t c = static_cast<std::size_t>(p / kPlane);
        out[p] = (static_cast<float>(in[p]) / 255.0F - mean[c]) / stdev[c];
      }
    }
  }
  return Dataset(x, y, classes);
}

}  // namespace murmur::peer
