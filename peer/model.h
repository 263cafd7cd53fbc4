// Built-in models (mlp, lenet5) behind a torch-free interface. Initialisation is seeded so that
// every peer of a run starts from the same weights (specs/a2cid2.md §3.5).
// Thread: one owner at a time (the compute thread while training).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/tensor_fwd.h"

namespace murmur::peer {

// Items of the bagrec model's embedding table (its inputs are bags of ids below this).
inline constexpr std::int64_t kBagItems = 50000;

class Model {
 public:
  // "mlp" (784-256-128-10), "lenet5" (LeCun et al. 1998, ReLU, max-pool; 61,706 parameters) or
  // "bagrec" (a summed embedding bag of kBagItems × 16 and a linear head: 800,170
  // parameters; inputs [N, bag] of item ids as floats, from syntheticBags).
  // Throws Error(kInvalidArgument) listing the known models for another name.
  static std::unique_ptr<Model> create(const std::string& name, std::uint64_t seed);

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& name() const { return name_; }

  // Trainable parameters in a fixed order, with their qualified names ("conv1.weight").
  std::vector<std::string> parameterNames() const;
  std::vector<at::Tensor> parameters() const;

  // Logits [N, 10] for images [N, 1, 28, 28] (bagrec: bags [N, bag]).
  at::Tensor forward(const at::Tensor& input);

  void setTraining(bool training);

 private:
  struct Impl;
  Model(std::string name, std::unique_ptr<Impl> impl);
  std::string name_;
  std::unique_ptr<Impl> impl_;
};

// Names of the built-in models, for --help.
std::vector<std::string> builtinModelNames();

}  // namespace murmur::peer
