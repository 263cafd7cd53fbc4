#include "peer/model.h"

#include <torch/torch.h>

#include "runtime/error.h"

namespace murmur::peer {
namespace {

struct MlpImpl : torch::nn::Module {
  MlpImpl()
      : fc1(register_module("fc1", torch::nn::Linear(784, 256))),
        fc2(register_module("fc2", torch::nn::Linear(256, 128))),
        fc3(register_module("fc3", torch::nn::Linear(128, 10))) {}

  torch::Tensor forward(torch::Tensor x) {
    x = x.flatten(1);
    x = torch::relu(fc1->forward(x));
    x = torch::relu(fc2->forward(x));
    return fc3->forward(x);
  }

  torch::nn::Linear fc1;
  torch::nn::Linear fc2;
  torch::nn::Linear fc3;
};

struct LeNet5Impl : torch::nn::Module {
  LeNet5Impl()
      : conv1(register_module("conv1",
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 6, 5).padding(2)))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(6, 16, 5)))),
        fc1(register_module("fc1", torch::nn::Linear(16 * 5 * 5, 120))),
        fc2(register_module("fc2", torch::nn::Linear(120, 84))),
        fc3(register_module("fc3", torch::nn::Linear(84, 10))) {}

  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(conv1->forward(x)), 2);
    x = torch::max_pool2d(torch::relu(conv2->forward(x)), 2);
    x = x.flatten(1);
    x = torch::relu(fc1->forward(x));
    x = torch::relu(fc2->forward(x));
    return fc3->forward(x);
  }

  torch::nn::Conv2d conv1;
  torch::nn::Conv2d conv2;
  torch::nn::Linear fc1;
  torch::nn::Linear fc2;
  torch::nn::Linear fc3;
};

// A small recommender on bags of item ids (syntheticBags), summed item vectors and a linear head:
// each row of the embedding table is an
// item, and a step touches only the rows of the items in its batch. Under plain SGD (no momentum,
// no weight decay) the model's change between two syncs is then sparse: what --sync-codec lhc is
// for.
struct BagRecImpl : torch::nn::Module {
  BagRecImpl()
      : items(
            register_module("items",
                            torch::nn::EmbeddingBag(
                                torch::nn::EmbeddingBagOptions(kBagItems, 16).mode(torch::kSum)))),
        head(register_module("head", torch::nn::Linear(16, 10))) {
    // Small item vectors: a bag's sum starts near zero, and each item's few updates matter.
    torch::NoGradGuard noGrad;
    items->weight.normal_(0, 0.01);
  }

  torch::Tensor forward(torch::Tensor x) {
    return head->forward(items->forward(x.flatten(1).to(torch::kLong)));
  }

  torch::nn::EmbeddingBag items;
  torch::nn::Linear head;
};

}  // namespace

struct Model::Impl {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&)> forward;
};

Model::Model(std::string name, std::unique_ptr<Impl> impl)
    : name_(std::move(name)), impl_(std::move(impl)) {}

Model::~Model() = default;

std::unique_ptr<Model> Model::create(const std::string& name, std::uint64_t seed) {
  torch::manual_seed(seed);  // identical initial weights on every peer of the run
  auto impl = std::make_unique<Impl>();
  if (name == "mlp") {
    auto module = std::make_shared<MlpImpl>();
    impl->forward = [module](const torch::Tensor& x) { return module->forward(x); };
    impl->module = module;
  } else if (name == "lenet5") {
    auto module = std::make_shared<LeNet5Impl>();
    impl->forward = [module](const torch::Tensor& x) { return module->forward(x); };
    impl->module = module;
  } else if (name == "bagrec") {
    auto module = std::make_shared<BagRecImpl>();
    impl->forward = [module](const torch::Tensor& x) { return module->forward(x); };
    impl->module = module;
  } else {
    MURMUR_THROW(kInvalidArgument, "unknown model '", name, "' (built-in: mlp, lenet5, bagrec)");
  }
  return std::unique_ptr<Model>(new Model(name, std::move(impl)));
}

std::vector<std::string> Model::parameterNames() const {
  std::vector<std::string> names;
  for (const auto& item : impl_->module->named_parameters(/*recurse=*/true)) {
    names.push_back(item.key());
  }
  return names;
}

std::vector<at::Tensor> Model::parameters() const {
  std::vector<at::Tensor> out;
  for (const auto& item : impl_->module->named_parameters(/*recurse=*/true)) {
    out.push_back(item.value());
  }
  return out;
}

at::Tensor Model::forward(const at::Tensor& input) {
  return impl_->forward(input);
}

void Model::setTraining(bool training) {
  impl_->module->train(training);
}

std::vector<std::string> builtinModelNames() {
  return {"mlp", "lenet5", "bagrec"};
}

}  // namespace murmur::peer
