#include "tools/sim/workload.h"

#include <algorithm>
#include <cmath>

#include "runtime/error.h"
#include "tools/sim/fmnist_workload.h"

namespace murmur::sim {
namespace {

constexpr double kTwoPi = 6.283185307179586;

// The lowest Fourier mode of the ring: the disagreement gossip removes most slowly.
double ringMode(std::uint32_t peer, std::uint32_t peers) {
  return std::cos(kTwoPi * peer / peers);
}

class Decay final : public Workload {
 public:
  explicit Decay(std::uint32_t peers) : peers_(peers) {}

  std::size_t dim() const override { return 1; }

  void initial(std::uint32_t peer, double* x) const override { x[0] = ringMode(peer, peers_); }

  void increment(std::uint32_t, const double*, double* u, runtime::Rng&) const override {
    u[0] = 0;
  }

 private:
  std::uint32_t peers_;
};

class Drift final : public Workload {
 public:
  explicit Drift(std::uint32_t peers) : peers_(peers) {}

  std::size_t dim() const override { return 1; }

  void initial(std::uint32_t, double* x) const override { x[0] = 0; }

  void increment(std::uint32_t peer, const double*, double* u, runtime::Rng&) const override {
    u[0] = -0.1 * ringMode(peer, peers_);
  }

 private:
  std::uint32_t peers_;
};

class Noise final : public Workload {
 public:
  explicit Noise(double sigma) : sigma_(sigma) {}

  std::size_t dim() const override { return 1; }

  void initial(std::uint32_t, double* x) const override { x[0] = 0; }

  void increment(std::uint32_t, const double*, double* u, runtime::Rng& rng) const override {
    u[0] = sigma_ * rng.normal();
  }

 private:
  double sigma_;
};

// Σ_i f_i is minimised at b̄, the mean optimum, so a peer's suboptimality in the global objective
// is ½|x_i − b̄|²: that is the loss reported.
class Quadratic final : public Workload {
 public:
  explicit Quadratic(const WorkloadOptions& o)
      : dim_(o.dim),
        lr_(o.learningRate),
        sigma_(o.noise),
        start_(o.start),
        optima_(o.peers),
        mean_(o.dim, 0.0) {
    MURMUR_REQUIRE(o.dim >= 1, "quadratic workload: --dim must be at least 1");
    MURMUR_REQUIRE(o.learningRate > 0 && o.learningRate < 2,
                   "quadratic workload: the learning rate must be in (0, 2), not ",
                   o.learningRate);
    runtime::Rng rng = runtime::Rng(o.seed).fork("quadratic optima");
    for (auto& b : optima_) {
      b.resize(dim_);
      for (std::size_t k = 0; k < dim_; ++k) {
        b[k] = o.spread * rng.normal();
        mean_[k] += b[k] / o.peers;
      }
    }
  }

  std::size_t dim() const override { return dim_; }

  void initial(std::uint32_t, double* x) const override { std::fill(x, x + dim_, start_); }

  void increment(std::uint32_t peer, const double* x, double* u, runtime::Rng& rng) const override {
    const std::vector<double>& b = optima_[peer];
    for (std::size_t k = 0; k < dim_; ++k) {
      u[k] = -lr_ * (x[k] - b[k] + sigma_ * rng.normal());
    }
  }

  Evaluation evaluate(const std::vector<std::vector<double>>& models, bool) const override {
    double total = 0;
    for (const auto& x : models) {
      for (std::size_t k = 0; k < dim_; ++k) {
        total += 0.5 * (x[k] - mean_[k]) * (x[k] - mean_[k]);
      }
    }
    return {models.empty() ? 0.0 : total / static_cast<double>(models.size()), std::nullopt};
  }

 private:
  std::size_t dim_;
  double lr_;
  double sigma_;
  double start_;
  std::vector<std::vector<double>> optima_;
  std::vector<double> mean_;
};

}  // namespace

std::vector<std::string> workloadNames() {
  return {"decay", "drift", "noise", "quadratic", "fmnist-logreg", "fmnist-mlp"};
}

std::unique_ptr<Workload> makeWorkload(const std::string& name, const WorkloadOptions& options) {
  if (name == "decay") {
    return std::make_unique<Decay>(options.peers);
  }
  if (name == "drift") {
    return std::make_unique<Drift>(options.peers);
  }
  if (name == "noise") {
    return std::make_unique<Noise>(options.noise);
  }
  if (name == "quadratic") {
    return std::make_unique<Quadratic>(options);
  }
  if (name == "fmnist-logreg") {
    return makeFashionMnistLogReg(options);
  }
  if (name == "fmnist-mlp") {
    return makeFashionMnistMlp(options);
  }
  std::string known;
  for (const std::string& n : workloadNames()) {
    known += (known.empty() ? "" : ", ") + n;
  }
  MURMUR_THROW(kInvalidArgument, "unknown workload '", name, "' (choose one of ", known, ")");
}

}  // namespace murmur::sim
