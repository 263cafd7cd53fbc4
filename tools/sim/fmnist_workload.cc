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

// What the Fashion-MNIST workloads share: the data, a shard per peer, minibatch SGD on the mean
// cross-entropy, and evaluation; a model says how it predicts and how it adds a gradient.
class FashionMnistWorkload : public Workload {
 public:
  explicit FashionMnistWorkload(const WorkloadOptions& o)
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

  // u = −lr · ∇ of the mean cross-entropy over a minibatch from the peer's shard.
  void increment(std::uint32_t peer, const double* x, double* u, runtime::Rng& rng) const override {
    std::fill(u, u + dim(), 0.0);
    const std::vector<std::uint32_t>& shard = shards_[peer];
    const double scale = -lr_ / static_cast<double>(batch_);
    for (std::size_t b = 0; b < batch_; ++b) {
      std::uint32_t index = shard[rng.below(shard.size())];
      load(data_->train, index);
      std::array<double, kClasses> p = probabilities(x);
      p[data_->train.labels[index]] -= 1.0;  // ∂CE/∂logits
      for (double& g : p) {
        g *= scale;
      }
      addGradient(x, p, u);
    }
  }

  Evaluation evaluate(const std::vector<std::vector<double>>& models, bool final) const override {
    const auto count = static_cast<std::size_t>(data_->test.count);
    const std::size_t n = final ? count : std::min(evalSamples_, count);
    double loss = 0;
    double correct = 0;
    for (const auto& x : models) {
      for (std::size_t i = 0; i < n; ++i) {
        load(data_->test, i);
        std::array<double, kClasses> p = probabilities(x.data());
        std::uint8_t label = data_->test.labels[i];
        loss -= std::log(std::max(p[label], 1e-300));
        correct += std::max_element(p.begin(), p.end()) - p.begin() == label ? 1.0 : 0.0;
      }
    }
    double total = static_cast<double>(n * std::max<std::size_t>(models.size(), 1));
    return {loss / total, correct / total};
  }

 protected:
  // Class probabilities for the sample in input_ (a model may keep activations for addGradient).
  virtual std::array<double, kClasses> probabilities(const double* x) const = 0;

  // u += the gradient for the sample probabilities() saw last, given the scaled ∂loss/∂logits.
  virtual void addGradient(const double* x,
                           const std::array<double, kClasses>& dLogits,
                           double* u) const = 0;

  static void softmax(std::array<double, kClasses>& logits) {
    double top = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (double& z : logits) {
      z = std::exp(z - top);
      sum += z;
    }
    for (double& z : logits) {
      z /= sum;
    }
  }

  std::size_t inputs() const { return inputs_; }

  const std::vector<double>& input() const { return input_; }

 private:
  void load(const peer::IdxImages& set, std::size_t index) const {
    const std::uint8_t* pixels = set.pixels.data() + index * inputs_;
    for (std::size_t k = 0; k < inputs_; ++k) {
      input_[k] = pixel_[pixels[k]];
    }
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

// Softmax regression: W (10 × 784, row-major) then b, as `--model logreg` flattens; starts at 0.
class LogReg final : public FashionMnistWorkload {
 public:
  using FashionMnistWorkload::FashionMnistWorkload;

  std::size_t dim() const override { return kClasses * inputs() + kClasses; }

  std::vector<std::size_t> tensorSizes() const override { return {kClasses * inputs(), kClasses}; }

  void initial(std::uint32_t, double* x) const override { std::fill(x, x + dim(), 0.0); }

 private:
  std::array<double, kClasses> probabilities(const double* x) const override {
    const std::vector<double>& a = input();
    std::array<double, kClasses> logits{};
    for (std::size_t c = 0; c < kClasses; ++c) {
      const double* row = x + c * inputs();
      double z = x[kClasses * inputs() + c];
      for (std::size_t k = 0; k < inputs(); ++k) {
        z += row[k] * a[k];
      }
      logits[c] = z;
    }
    softmax(logits);
    return logits;
  }

  void addGradient(const double*,
                   const std::array<double, kClasses>& dLogits,
                   double* u) const override {
    const std::vector<double>& a = input();
    for (std::size_t c = 0; c < kClasses; ++c) {
      double* row = u + c * inputs();
      for (std::size_t k = 0; k < inputs(); ++k) {
        row[k] += dLogits[c] * a[k];
      }
      u[kClasses * inputs() + c] += dLogits[c];
    }
  }
};

// The `mlp` built-in: 784 → 256 → 128 → 10 with ReLUs, laid out as LibTorch flattens it (each
// layer's weight, out × in row-major, then its bias); every peer starts from the same
// LibTorch-style initialisation, uniform in ±1/√fan_in.
class Mlp final : public FashionMnistWorkload {
 public:
  explicit Mlp(const WorkloadOptions& o) : FashionMnistWorkload(o) {
    layers_ = {
        Layer{inputs(), kHidden1, 0}, Layer{kHidden1, kHidden2, 0}, Layer{kHidden2, kClasses, 0}};
    std::size_t offset = 0;
    for (Layer& l : layers_) {
      l.offset = offset;
      offset += l.in * l.out + l.out;
    }
    dim_ = offset;
    init_.resize(dim_);
    runtime::Rng rng = runtime::Rng(o.seed).fork("fmnist-mlp init");
    for (const Layer& l : layers_) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(l.in));
      for (std::size_t i = 0; i < l.in * l.out + l.out; ++i) {
        init_[l.offset + i] = (2 * rng.uniform() - 1) * bound;
      }
    }
  }

  std::size_t dim() const override { return dim_; }

  std::vector<std::size_t> tensorSizes() const override {
    std::vector<std::size_t> sizes;
    for (const Layer& l : layers_) {
      sizes.push_back(l.in * l.out);
      sizes.push_back(l.out);
    }
    return sizes;
  }

  void initial(std::uint32_t, double* x) const override {
    std::copy(init_.begin(), init_.end(), x);
  }

 private:
  static constexpr std::size_t kHidden1 = 256;
  static constexpr std::size_t kHidden2 = 128;

  struct Layer {
    std::size_t in;
    std::size_t out;
    std::size_t offset;  // of the weight; the bias follows it
  };

  // out = W·in + b
  static void affine(const double* x, const Layer& l, const double* in, double* out) {
    const double* w = x + l.offset;
    const double* b = w + l.in * l.out;
    for (std::size_t o = 0; o < l.out; ++o) {
      const double* row = w + o * l.in;
      // Four partial sums: the compiler may not reorder a floating-point reduction itself, and
      // one chain of dependent adds runs at a quarter of the machine's speed.
      double z[4] = {0, 0, 0, 0};
      std::size_t k = 0;
      for (; k + 4 <= l.in; k += 4) {
        for (std::size_t j = 0; j < 4; ++j) {
          z[j] += row[k + j] * in[k + j];
        }
      }
      for (; k < l.in; ++k) {
        z[0] += row[k] * in[k];
      }
      out[o] = b[o] + ((z[0] + z[1]) + (z[2] + z[3]));
    }
  }

  static void relu(double* h, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      h[i] = std::max(h[i], 0.0);
    }
  }

  std::array<double, kClasses> probabilities(const double* x) const override {
    affine(x, layers_[0], input().data(), h1_.data());
    relu(h1_.data(), kHidden1);
    affine(x, layers_[1], h1_.data(), h2_.data());
    relu(h2_.data(), kHidden2);
    std::array<double, kClasses> logits{};
    affine(x, layers_[2], h2_.data(), logits.data());
    softmax(logits);
    return logits;
  }

  // Adds δ ⊗ in to the layer's weight gradient and δ to its bias gradient.
  static void addOuter(const Layer& l, const double* delta, const double* in, double* u) {
    double* w = u + l.offset;
    double* b = w + l.in * l.out;
    for (std::size_t o = 0; o < l.out; ++o) {
      if (delta[o] == 0) {
        continue;  // a ReLU that was off
      }
      double* row = w + o * l.in;
      for (std::size_t k = 0; k < l.in; ++k) {
        row[k] += delta[o] * in[k];
      }
      b[o] += delta[o];
    }
  }

  // back = Wᵀ·delta, masked by the ReLU of the activation it came from.
  static void backward(const double* x,
                       const Layer& l,
                       const double* delta,
                       const double* activation,
                       double* back) {
    const double* w = x + l.offset;
    std::fill(back, back + l.in, 0.0);
    for (std::size_t o = 0; o < l.out; ++o) {
      if (delta[o] == 0) {
        continue;
      }
      const double* row = w + o * l.in;
      for (std::size_t k = 0; k < l.in; ++k) {
        back[k] += row[k] * delta[o];
      }
    }
    for (std::size_t k = 0; k < l.in; ++k) {
      back[k] = activation[k] > 0 ? back[k] : 0.0;
    }
  }

  void addGradient(const double* x,
                   const std::array<double, kClasses>& dLogits,
                   double* u) const override {
    std::array<double, kHidden2> d2{};
    std::array<double, kHidden1> d1{};
    addOuter(layers_[2], dLogits.data(), h2_.data(), u);
    backward(x, layers_[2], dLogits.data(), h2_.data(), d2.data());
    addOuter(layers_[1], d2.data(), h1_.data(), u);
    backward(x, layers_[1], d2.data(), h1_.data(), d1.data());
    addOuter(layers_[0], d1.data(), input().data(), u);
  }

  std::array<Layer, 3> layers_{};
  std::size_t dim_ = 0;
  std::vector<double> init_;
  mutable std::array<double, kHidden1> h1_{};  // scratch: the last sample's activations
  mutable std::array<double, kHidden2> h2_{};
};

}  // namespace

std::unique_ptr<Workload> makeFashionMnistLogReg(const WorkloadOptions& options) {
  return std::make_unique<LogReg>(options);
}

std::unique_ptr<Workload> makeFashionMnistMlp(const WorkloadOptions& options) {
  return std::make_unique<Mlp>(options);
}

}  // namespace murmur::sim
