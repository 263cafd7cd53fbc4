#include "peer/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/index_select.h>
#include <ATen/ops/tensor.h>

#include "peer/idx_file.h"
#include "runtime/error.h"
#include "runtime/rng.h"

namespace murmur::peer {
namespace {

double sampleGamma(runtime::Rng& rng, double shape) {
  // Marsaglia–Tsang; shape < 1 boosted by U^(1/shape).
  if (shape < 1) {
    return sampleGamma(rng, shape + 1) * std::pow(rng.uniform(), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9 * d);
  while (true) {
    double x = rng.normal();
    double v = 1 + c * x;
    if (v <= 0) {
      continue;
    }
    v = v * v * v;
    double u = rng.uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) {
      return d * v;
    }
  }
}

}  // namespace

DatasetFormat datasetFormat(const std::string& dir) {
  namespace fs = std::filesystem;
  const auto present = [&](const std::string& name) {
    return fs::is_regular_file(dir + "/" + name) || fs::is_regular_file(dir + "/" + name + ".gz");
  };
  if (present("train-images-idx3-ubyte")) {
    return DatasetFormat::kIdx;
  }
  if (present("data_batch_1.bin") || present("train.bin")) {
    return DatasetFormat::kCifar;
  }
  if (fs::is_regular_file(dir + "/train.pt")) {
    return DatasetFormat::kTensorFile;
  }
  MURMUR_THROW(kInvalidArgument,
               "dataset not found in ",
               dir,
               ": looked for IDX (train-images-idx3-ubyte[.gz]), CIFAR binary (data_batch_1.bin "
               "or train.bin) and tensor files (train.pt, test.pt). Fashion-MNIST: apt-get "
               "install dataset-fashion-mnist, then --data /usr/share/datasets/fashion-mnist");
}

Dataset loadDataset(const std::string& dir, const std::string& split) {
  MURMUR_REQUIRE(split == "train" || split == "test", "unknown split '", split, "'");
  switch (datasetFormat(dir)) {
    case DatasetFormat::kIdx:
      return loadIdx(dir, split == "train" ? "train" : "t10k");
    case DatasetFormat::kCifar:
      return loadCifar(dir, split);
    case DatasetFormat::kTensorFile:
      return loadTensorFile(dir + "/" + split + ".pt");
  }
  MURMUR_THROW(kInternal, "unhandled dataset format");
}

struct Dataset::Impl {
  at::Tensor images;
  at::Tensor labels;
};

Dataset::Dataset() = default;

Dataset::Dataset(const at::Tensor& images, const at::Tensor& labels, std::int64_t classes)
    : impl_(std::make_shared<Impl>(Impl{images, labels})), classes_(classes) {
  MURMUR_REQUIRE(images.dim() >= 2, "inputs must be [N, ...] (images [N, C, H, W])");
  MURMUR_REQUIRE(labels.dim() == 1 && labels.size(0) == images.size(0),
                 "labels must be [N] matching the images");
}

Dataset::~Dataset() = default;
Dataset::Dataset(const Dataset&) = default;
Dataset& Dataset::operator=(const Dataset&) = default;

const at::Tensor& Dataset::images() const {
  return impl_->images;
}

const at::Tensor& Dataset::labels() const {
  return impl_->labels;
}

std::int64_t Dataset::size() const {
  return impl_ ? impl_->images.size(0) : 0;
}

Dataset loadIdx(const std::string& dir, const std::string& split) {
  IdxImages idx = readIdxImages(dir, split);
  const std::int64_t count = idx.count;
  const std::int64_t rows = idx.rows;
  const std::int64_t cols = idx.cols;
  const std::vector<std::uint8_t>& images = idx.pixels;
  const std::vector<std::uint8_t>& labels = idx.labels;
  at::Tensor x = at::empty({count, 1, rows, cols}, at::TensorOptions().dtype(c10::kFloat));
  float* out = x.data_ptr<float>();
  for (std::int64_t i = 0; i < count * rows * cols; ++i) {
    out[i] = (static_cast<float>(images[i]) / 255.0F - kFashionPixelMean) / kFashionPixelStd;
  }
  at::Tensor y = at::empty({count}, at::TensorOptions().dtype(c10::kLong));
  std::int64_t* labelOut = y.data_ptr<std::int64_t>();
  std::int64_t classes = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    labelOut[i] = labels[i];
    classes = std::max(classes, labelOut[i] + 1);
  }
  return Dataset(x, y, classes);
}

Dataset syntheticDataset(std::int64_t size, std::uint64_t seed) {
  runtime::Rng rng(seed);
  constexpr std::int64_t kSide = 28;
  constexpr std::int64_t kClasses = 10;
  at::Tensor x = at::empty({size, 1, kSide, kSide}, at::TensorOptions().dtype(c10::kFloat));
  at::Tensor y = at::empty({size}, at::TensorOptions().dtype(c10::kLong));
  float* px = x.data_ptr<float>();
  std::int64_t* py = y.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < size; ++i) {
    std::int64_t label = static_cast<std::int64_t>(rng.below(kClasses));
    py[i] = label;
    for (std::int64_t r = 0; r < kSide; ++r) {
      bool band = r / 3 == label;
      for (std::int64_t c = 0; c < kSide; ++c) {
        px[(i * kSide + r) * kSide + c] =
            static_cast<float>((band ? 2.0 : -0.5) + 0.3 * rng.normal());
      }
    }
  }
  return Dataset(x, y, kClasses);
}

Dataset syntheticBags(std::int64_t size, std::int64_t items, std::uint64_t seed) {
  constexpr std::int64_t kBag = 8;
  constexpr std::int64_t kClasses = 10;
  MURMUR_REQUIRE(items >= kClasses, "a bag dataset needs at least ", kClasses, " items");
  runtime::Rng rng(seed);
  // [N, 1, 1, bag]: the image layout every dataset shares (the model flattens it).
  at::Tensor x = at::empty({size, 1, 1, kBag}, at::TensorOptions().dtype(c10::kFloat));
  at::Tensor y = at::empty({size}, at::TensorOptions().dtype(c10::kLong));
  float* px = x.data_ptr<float>();
  std::int64_t* py = y.data_ptr<std::int64_t>();
  const auto perClass = static_cast<std::uint64_t>(items / kClasses);
  for (std::int64_t i = 0; i < size; ++i) {
    const auto label = static_cast<std::int64_t>(rng.below(kClasses));
    py[i] = label;
    for (std::int64_t b = 0; b < kBag; ++b) {
      const std::int64_t item =
          b < 6 ? label + kClasses * static_cast<std::int64_t>(rng.below(perClass))
                : static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(items)));
      px[i * kBag + b] = static_cast<float>(item);
    }
  }
  return Dataset(x, y, kClasses);
}

ShardMode shardModeFromName(const std::string& name) {
  if (name == "iid") {
    return ShardMode::kIid;
  }
  if (name == "label-sorted") {
    return ShardMode::kLabelSorted;
  }
  if (name == "dirichlet") {
    return ShardMode::kDirichlet;
  }
  MURMUR_THROW(kInvalidArgument,
               "unknown shard mode '",
               name,
               "' (expected iid, label-sorted or dirichlet)");
}

Dataset shard(const Dataset& data,
              std::uint32_t index,
              std::uint32_t count,
              ShardMode mode,
              std::uint64_t seed,
              double dirichletAlpha) {
  MURMUR_REQUIRE(count >= 1 && index < count, "shard ", index, " of ", count);
  const std::int64_t n = data.size();
  runtime::Rng rng = runtime::Rng(seed).fork("shard");
  const std::int64_t* labels = data.labels().data_ptr<std::int64_t>();
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  for (std::int64_t i = n - 1; i > 0; --i) {
    std::swap(order[static_cast<std::size_t>(i)],
              order[rng.below(static_cast<std::uint64_t>(i) + 1)]);
  }
  std::vector<std::int64_t> mine;
  if (mode == ShardMode::kIid || mode == ShardMode::kLabelSorted) {
    if (mode == ShardMode::kLabelSorted) {
      std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
        return labels[a] < labels[b];
      });
    }
    const std::int64_t begin = n * index / count;
    const std::int64_t end = n * (index + 1) / count;
    mine.assign(order.begin() + begin, order.begin() + end);
  } else {
    MURMUR_REQUIRE(dirichletAlpha > 0, "Dirichlet alpha must be > 0, got ", dirichletAlpha);
    for (std::int64_t cls = 0; cls < data.classes(); ++cls) {
      std::vector<std::int64_t> members;
      for (std::int64_t i : order) {
        if (labels[i] == cls) {
          members.push_back(i);
        }
      }
      std::vector<double> weights(count);
      double total = 0;
      for (double& w : weights) {
        w = sampleGamma(rng, dirichletAlpha);
        total += w;
      }
      double before = 0;
      for (std::uint32_t p = 0; p < index; ++p) {
        before += weights[p];
      }
      const auto size = static_cast<double>(members.size());
      auto begin = static_cast<std::size_t>(std::llround(size * before / total));
      auto end = static_cast<std::size_t>(std::llround(size * (before + weights[index]) / total));
      mine.insert(mine.end(),
                  members.begin() + static_cast<std::ptrdiff_t>(begin),
                  members.begin() + static_cast<std::ptrdiff_t>(end));
    }
  }
  MURMUR_REQUIRE(!mine.empty(), "shard ", index, " of ", count, " is empty (", n, " samples)");
  at::Tensor idx = at::tensor(mine, at::TensorOptions().dtype(c10::kLong));
  return Dataset(at::index_select(data.images(), 0, idx).contiguous(),
                 at::index_select(data.labels(), 0, idx).contiguous(),
                 data.classes());
}

}  // namespace murmur::peer
