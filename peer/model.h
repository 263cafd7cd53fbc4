// Built-in models (mlp, logreg, lenet5, resnet8/20, bagrec) and TorchScript files behind a
// torch-free interface. Initialisation is seeded so that every peer of a run starts from the same
// weights (specs/a2cid2.md §3.5). Thread: one owner at a time (the compute thread while training).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/tensor_fwd.h"

namespace torch::nn {
class Module;
}  // namespace torch::nn

namespace murmur::peer {

// Items of the bagrec model's embedding table (its inputs are bags of ids below this).
inline constexpr std::int64_t kBagItems = 50000;

// What a built-in model is sized for: one sample's input shape ([C, H, W] for images) and the
// number of classes. The default is Fashion-MNIST's.
struct ModelShape {
  std::vector<std::int64_t> input = {1, 28, 28};
  std::int64_t classes = 10;
};

class Model {
 public:
  // Built-in: "mlp" (in-256-128-classes), "logreg" (softmax regression, murmur-sim's
  // fmnist-logreg), "lenet5" (LeCun et al. 1998, ReLU, max-pool; 61,706
  // parameters on 1x28x28), "resnet8" / "resnet20" (CIFAR-style ResNet-(6n+2) with GroupNorm:
  // 16, 32, 64 channels; the names of tools/export_models.py's) or "bagrec" (a summed embedding
  // bag of kBagItems × 16 and a linear head: 800,170 parameters; inputs [N, bag] of item ids as
  // floats, from syntheticBags), sized by `shape`; or a path ending in ".pt": a TorchScript
  // module (torch.jit.save; tools/export_models.py) whose float32 parameters are trained and
  // whose forward(x) gives logits, named by its file name, starting from the file's weights
  // (`seed` and `shape` are then unused). Throws Error(kInvalidArgument) listing the known models
  // for another name, or saying what is wrong with the file or the shape.
  static std::unique_ptr<Model> create(const std::string& name,
                                       std::uint64_t seed,
                                       const ModelShape& shape = {});

  // Your own LibTorch module (embedding, peer/embedded_peer.h): its named parameters are
  // trained, gossiped and averaged; `forward` gives logits [N, classes].
  static std::unique_ptr<Model> fromModule(std::string name,
                                           std::shared_ptr<torch::nn::Module> module,
                                           std::function<at::Tensor(const at::Tensor&)> forward);

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& name() const { return name_; }

  // Trainable parameters in a fixed order, with their qualified names ("conv1.weight").
  std::vector<std::string> parameterNames() const;
  std::vector<at::Tensor> parameters() const;

  // Logits [N, classes] for inputs [N, ...] (images [N, C, H, W]; bagrec: bags [N, bag]).
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
