// What the simulated peers train: the increment each gradient event adds to x (to x and x̃ alike,
// as any optimizer's step; specs/a2cid2.md §2.5) and how good a set of models is.
//   decay      x_i(0) = cos(2πi/n), no gradients: pure gossip (spec §6 (a))
//   drift      a kick of −0.1·cos(2πi/n) per gradient: slow, low-frequency disagreement (§6 (b))
//   noise      white noise σ per gradient (§6 (c))
//   quadratic  f_i(x) = ½|x − b_i|², heterogeneous optima b_i, SGD with gradient noise σ,
//              from x = start·1 (the loss starts high and falls)
//   fmnist-logreg  softmax regression on Fashion-MNIST (real data, fmnist_workload.h)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/rng.h"

namespace murmur::sim {

struct WorkloadOptions {
  std::uint32_t peers = 16;
  std::size_t dim = 10;        // quadratic only; the scalar workloads have dimension 1
  double noise = 1.0;          // σ of noise; the gradient noise of quadratic
  double learningRate = 0.05;  // quadratic
  double spread = 1.0;         // quadratic: the optima b_i are N(0, spread²) per coordinate
  double start = 3.0;          // quadratic: every coordinate of every x_i at time 0
  std::uint64_t seed = 1;
  std::string data = "/usr/share/datasets/fashion-mnist";  // fmnist-*: the IDX files
  std::string shard = "iid";                               // fmnist-*: iid | label-sorted
  std::size_t batch = 32;                                  // fmnist-*: samples per step
  std::size_t evalSamples = 500;  // fmnist-*: test samples per sample point (all at the end)
};

// How good the peers' models are, each a mean over peers; nullopt where a workload has none.
struct Evaluation {
  std::optional<double> loss;
  std::optional<double> accuracy;
};

class Workload {
 public:
  virtual ~Workload() = default;

  virtual std::size_t dim() const = 0;

  // The model's parameter tensors, in flat order (LBGM's units).
  virtual std::vector<std::size_t> tensorSizes() const { return {dim()}; }

  // x_i at time 0.
  virtual void initial(std::uint32_t peer, double* x) const = 0;

  // The increment u of one gradient event of `peer` at parameters x.
  virtual void increment(std::uint32_t peer,
                         const double* x,
                         double* u,
                         runtime::Rng& rng) const = 0;

  // `final`: the run's last evaluation (a workload may afford its whole test set then).
  virtual Evaluation evaluate(const std::vector<std::vector<double>>& models, bool final) const {
    (void)models;
    (void) final;
    return {};
  }
};

// One of workloadNames(); throws Error(kInvalidArgument) naming the choices.
std::unique_ptr<Workload> makeWorkload(const std::string& name, const WorkloadOptions& options);

std::vector<std::string> workloadNames();

}  // namespace murmur::sim
