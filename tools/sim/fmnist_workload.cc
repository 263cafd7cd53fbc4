#include "tools/sim/fmnist_workload.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>

#include "peer/idx_file.h"
#include "runtime/error.h"

namespace murmur::sim {
namespace {

constexpr std::size_t kClasses = 10;

struct FashionData {
  peer::IdxImages train;
  peer::IdxImages test;
};

// Loaded once per directory per process: benchmarks and tests run many simulations.
std::shared_ptr<const FashionData> loadFashion(const std::string& dir) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const FashionData>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& entry = cache[dir];
  if (!entry) {
    auto data = std::make_shared<FashionData>();
    data->train = peer::readIdxImages(dir, "train");
    data->test = peer::readIdxImages(dir, "t10k");
    entry = data;
  }
  return entry;
}

class FashionMnistLogReg final : public Workload {
 public:
  explicit FashionMnistLogReg(const WorkloadOptions& o)
      : data_(loadFashion(o.data)),
        inputs_(static_cast<std::size_t>(data_->train.rows * data_->train.cols)),
        lr_(o.learningRate),
        batch_(o.batch),
        evalSamples_(o.evalSamples),
        shards_(o.peers) {
    MURMUR_REQUIRE(o.batch >= 1, "fmnist workload: the batch must hold at least one sample");
    MURMUR_REQUIRE(o.shard == "iid" || o.shard == "label-sorted",
                   "fmnist workload: --shard must be iid or label-sorted, not '",
                   o.shard,
                   "'");
    for (int v = 0; v < 256; ++v) {
      pixel_[v] = (v / 255.0 - peer::kFashionPixelMean) / peer::kFashionPixelStd;
    }
    std::vector<std::uint32_t> order(static_cast<std::size_t>(data_->train.count));
    std::iota(order.begin(), order.end(), 0);
    runtime::Rng rng = runtime::Rng(o.seed).fork("fmnist shards");
    for (std::size_t i = order.size(); i > 1; --i) {
      std::swap(order[i - 1], order[rng.below(i)]);
    }
    if (o.shard == "label-sorted") {
      std::stable_sort(order.begin(), order.end(), [this](std::uint32_t a, std::uint32_t b) {
        return data_->train.labels[a] < data_->train.labels[b];
      });
    }
    // Contiguous slices of the (shuffled, maybe sorted) order: each peer its own samples.
    for (std::uint32_t p = 0; p < o.peers; ++p) {
      std::size_t begin = order.size() * p / o.peers;
      std::size_t end = order.size() * (p + 1) / o.peers;
      shards_[p].assign(order.begin() + static_cast<std::ptrdiff_t>(begin),
                        order.begin() + static_cast<std::ptrdiff_t>(end));
    }
    input_.resize(inputs_);
  }

  std::size_t dim() const override { return kClasses * inputs_ + kClasses; }

  void initial(std::uint32_t, double* x) const override { std::fill(x, x + dim(), 0.0); }

  // u = −lr · ∇ of the mean cross-entropy over a minibatch from the peer's shard.
  void increment(std::uint32_t peer, const double* x, double* u, runtime::Rng& rng) const override {
    std::fill(u, u + dim(), 0.0);
    const std::vector<std::uint32_t>& shard = shards_[peer];
    const double scale = -lr_ / static_cast<double>(batch_);
    for (std::size_t b = 0; b < batch_; ++b) {
      std::uint32_t index = shard[rng.below(shard.size())];
      std::array<double, kClasses> p = probabilities(x, data_->train, index);
      p[data_->train.labels[index]] -= 1.0;  // ∂CE/∂logits
      for (std::size_t c = 0; c < kClasses; ++c) {
        double g = scale * p[c];
        double* row = u + c * inputs_;
        for (std::size_t k = 0; k < inputs_; ++k) {
          row[k] += g * input_[k];
        }
        u[kClasses * inputs_ + c] += g;
      }
    }
  }

  Evaluation evaluate(const std::vector<std::vector<double>>& models, bool final) const override {
    const auto count = static_cast<std::size_t>(data_->test.count);
    const std::size_t n = final ? count : std::min(evalSamples_, count);
    double loss = 0;
    double correct = 0;
    for (const auto& x : models) {
      for (std::size_t i = 0; i < n; ++i) {
        std::array<double, kClasses> p = probabilities(x.data(), data_->test, i);
        std::uint8_t label = data_->test.labels[i];
        loss -= std::log(std::max(p[label], 1e-300));
        correct += std::max_element(p.begin(), p.end()) - p.begin() == label ? 1.0 : 0.0;
      }
    }
    double total = static_cast<double>(n * std::max<std::size_t>(models.size(), 1));
    return {loss / total, correct / total};
  }

 private:
  // Softmax of W·a + b for sample `index`; leaves a in input_.
  std::array<double, kClasses> probabilities(const double* x,
                                             const peer::IdxImages& set,
                                             std::size_t index) const {
    const std::uint8_t* pixels = set.pixels.data() + index * inputs_;
    for (std::size_t k = 0; k < inputs_; ++k) {
      input_[k] = pixel_[pixels[k]];
    }
    std::array<double, kClasses> logits{};
    for (std::size_t c = 0; c < kClasses; ++c) {
      const double* row = x + c * inputs_;
      double z = x[kClasses * inputs_ + c];
      for (std::size_t k = 0; k < inputs_; ++k) {
        z += row[k] * input_[k];
      }
      logits[c] = z;
    }
    double top = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (double& z : logits) {
      z = std::exp(z - top);
      sum += z;
    }
    for (double& z : logits) {
      z /= sum;
    }
    return logits;
  }

  std::shared_ptr<const FashionData> data_;
  std::size_t inputs_;
  double lr_;
  std::size_t batch_;
  std::size_t evalSamples_;
  std::vector<std::vector<std::uint32_t>> shards_;
  std::array<double, 256> pixel_{};
  mutable std::vector<double> input_;  // scratch: one sample's normalized pixels
};

}  // namespace

std::unique_ptr<Workload> makeFashionMnistLogReg(const WorkloadOptions& options) {
  return std::make_unique<FashionMnistLogReg>(options);
}

}  // namespace murmur::sim
