#include "peer/idx_file.h"

#include "runtime/error.h"

#include <zlib.h>

namespace murmur::peer {
namespace {

std::vector<std::uint8_t> readMaybeGzipped(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");  // reads plain files too
  if (file == nullptr) {
    MURMUR_THROW(kInvalidArgument, "cannot open dataset file ", path);
  }
  std::vector<std::uint8_t> out;
  std::vector<std::uint8_t> chunk(1 << 20);
  while (true) {
    int n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      std::string message = gzerror(file, &code);
      gzclose(file);
      MURMUR_THROW(kInvalidArgument, "cannot read ", path, ": ", message);
    }
    if (n == 0) {
      break;
    }
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  }
  gzclose(file);
  return out;
}

std::uint32_t bigEndian32(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  return (std::uint32_t{bytes[at]} << 24) | (std::uint32_t{bytes[at + 1]} << 16) |
         (std::uint32_t{bytes[at + 2]} << 8) | std::uint32_t{bytes[at + 3]};
}

std::string findFile(const std::string& dir, const std::string& name) {
  for (const std::string& candidate : {dir + "/" + name + ".gz", dir + "/" + name}) {
    if (gzFile f = gzopen(candidate.c_str(), "rb")) {
      gzclose(f);
      return candidate;
    }
  }
  MURMUR_THROW(kInvalidArgument,
               "dataset file ",
               dir,
               "/",
               name,
               "[.gz] not found (Fashion-MNIST: apt-get install dataset-fashion-mnist, then "
               "--data /usr/share/datasets/fashion-mnist)");
}

}  // namespace

IdxImages readIdxImages(const std::string& dir, const std::string& split) {
  const std::string imagePath = findFile(dir, split + "-images-idx3-ubyte");
  const std::string labelPath = findFile(dir, split + "-labels-idx1-ubyte");
  std::vector<std::uint8_t> images = readMaybeGzipped(imagePath);
  std::vector<std::uint8_t> labels = readMaybeGzipped(labelPath);
  if (images.size() < 16 || bigEndian32(images, 0) != 0x00000803) {
    MURMUR_THROW(kInvalidArgument, imagePath, " is not an IDX image file (bad magic number)");
  }
  if (labels.size() < 8 || bigEndian32(labels, 0) != 0x00000801) {
    MURMUR_THROW(kInvalidArgument, labelPath, " is not an IDX label file (bad magic number)");
  }
  const std::int64_t count = bigEndian32(images, 4);
  const std::int64_t rows = bigEndian32(images, 8);
  const std::int64_t cols = bigEndian32(images, 12);
  const std::int64_t labelCount = bigEndian32(labels, 4);
  if (count != labelCount) {
    MURMUR_THROW(kInvalidArgument,
                 imagePath,
                 " holds ",
                 count,
                 " images but ",
                 labelPath,
                 " holds ",
                 labelCount,
                 " labels");
  }
  if (images.size() != static_cast<std::size_t>(16 + count * rows * cols)) {
    MURMUR_THROW(kInvalidArgument,
                 imagePath,
                 " is truncated: ",
                 images.size(),
                 " bytes for ",
                 count,
                 " images of ",
                 rows,
                 "x",
                 cols);
  }
  if (labels.size() != static_cast<std::size_t>(8 + labelCount)) {
    MURMUR_THROW(kInvalidArgument, labelPath, " is truncated");
  }
  IdxImages out;
  out.count = count;
  out.rows = rows;
  out.cols = cols;
  out.pixels.assign(images.begin() + 16, images.end());
  out.labels.assign(labels.begin() + 8, labels.end());
  return out;
}

}  // namespace murmur::peer
