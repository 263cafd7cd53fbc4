#include "peer/model.h"

#include <filesystem>
#include <optional>

#include <torch/script.h>
#include <torch/torch.h>

#include "runtime/error.h"

namespace murmur::peer {
namespace {

// Softmax regression: the model murmur-sim's fmnist-logreg trains, so the simulator can be
// checked against real swarms on the same workload.
struct LogRegImpl : torch::nn::Module {
  LogRegImpl(std::int64_t inputs, std::int64_t classes)
      : fc(register_module("fc", torch::nn::Linear(inputs, classes))) {}

  torch::Tensor forward(torch::Tensor x) { return fc->forward(x.flatten(1)); }

  torch::nn::Linear fc;
};

struct MlpImpl : torch::nn::Module {
  MlpImpl(std::int64_t inputs, std::int64_t classes)
      : fc1(register_module("fc1", torch::nn::Linear(inputs, 256))),
        fc2(register_module("fc2", torch::nn::Linear(256, 128))),
        fc3(register_module("fc3", torch::nn::Linear(128, classes))) {}

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
  // Two 5x5 convolutions (the first padded), each followed by 2x2 max-pooling.
  LeNet5Impl(std::int64_t channels, std::int64_t height, std::int64_t width, std::int64_t classes)
      : conv1(register_module(
            "conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 6, 5).padding(2)))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(6, 16, 5)))),
        fc1(register_module(
            "fc1", torch::nn::Linear(16 * ((height / 2 - 4) / 2) * ((width / 2 - 4) / 2), 120))),
        fc2(register_module("fc2", torch::nn::Linear(120, 84))),
        fc3(register_module("fc3", torch::nn::Linear(84, classes))) {}

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

// GroupNorm, not BatchNorm: parameters only, so gossip averages all of the model, and no batch
// statistics that differ between peers' shards (Hsieh et al. 2020, "The Non-IID Data Quagmire").
torch::nn::GroupNorm groupNorm(std::int64_t channels) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(8, channels));
}

torch::nn::Conv2d conv(std::int64_t in,
                       std::int64_t out,
                       std::int64_t kernel,
                       std::int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

// A basic residual block (He et al. 2016), as tools/export_models.py's Block: the same names.
struct BlockImpl : torch::nn::Module {
  BlockImpl(std::int64_t in, std::int64_t out, std::int64_t stride)
      : conv1(register_module("conv1", conv(in, out, 3, stride))),
        norm1(register_module("norm1", groupNorm(out))),
        conv2(register_module("conv2", conv(out, out, 3, 1))),
        norm2(register_module("norm2", groupNorm(out))),
        shortcut(register_module("shortcut", torch::nn::Sequential())) {
    if (stride != 1 || in != out) {
      shortcut->push_back(conv(in, out, 1, stride));
      shortcut->push_back(groupNorm(out));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(norm1->forward(conv1->forward(x)));
    y = norm2->forward(conv2->forward(y));
    return torch::relu(y + (shortcut->is_empty() ? x : shortcut->forward(x)));
  }

  torch::nn::Conv2d conv1;
  torch::nn::GroupNorm norm1;
  torch::nn::Conv2d conv2;
  torch::nn::GroupNorm norm2;
  torch::nn::Sequential shortcut;
};

TORCH_MODULE(Block);

// CIFAR-style ResNet-(6n+2) (16, 32, 64 channels; n = 1: ResNet-8, n = 3: ResNet-20), the same
// parameter names as tools/export_models.py's, so an exported one shares a swarm with it.
struct ResNetImpl : torch::nn::Module {
  ResNetImpl(std::int64_t n, std::int64_t channels, std::int64_t classes)
      : stem(register_module("conv", conv(channels, 16, 3, 1))),
        norm(register_module("norm", groupNorm(16))),
        layers(register_module("layers", torch::nn::Sequential())),
        fc(register_module("fc", torch::nn::Linear(64, classes))) {
    std::int64_t in = 16;
    for (const auto& [out, stride] :
         {std::pair<std::int64_t, std::int64_t>{16, 1}, {32, 2}, {64, 2}}) {
      for (std::int64_t i = 0; i < n; ++i) {
        layers->push_back(Block(in, out, i == 0 ? stride : 1));
        in = out;
      }
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(norm->forward(stem->forward(x)));
    x = layers->forward(x);
    return fc->forward(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
  }

  torch::nn::Conv2d stem;
  torch::nn::GroupNorm norm;
  torch::nn::Sequential layers;
  torch::nn::Linear fc;
};

// A small recommender on bags of item ids (syntheticBags), summed item vectors and a linear head:
// each row of the embedding table is an
// item, and a step touches only the rows of the items in its batch. Under plain SGD (no momentum,
// no weight decay) the model's change between two syncs is then sparse: what --sync-codec lhc is
// for.
struct BagRecImpl : torch::nn::Module {
  explicit BagRecImpl(std::int64_t classes)
      : items(
            register_module("items",
                            torch::nn::EmbeddingBag(
                                torch::nn::EmbeddingBagOptions(kBagItems, 16).mode(torch::kSum)))),
        head(register_module("head", torch::nn::Linear(16, classes))) {
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
  std::shared_ptr<torch::nn::Module> module;  // a built-in model
  std::optional<torch::jit::Module> script;   // or a TorchScript one
  std::function<torch::Tensor(const torch::Tensor&)> forward;
};

namespace {

bool isScriptPath(const std::string& name) {
  return name.size() > 3 && name.compare(name.size() - 3, 3, ".pt") == 0;
}

std::unique_ptr<torch::jit::Module> loadScript(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    MURMUR_THROW(kInvalidArgument,
                 "model file ",
                 path,
                 ": no such file (export one with tools/export_models.py, or use a built-in: ",
                 "mlp, lenet5, bagrec)");
  }
  try {
    return std::make_unique<torch::jit::Module>(torch::jit::load(path, torch::kCPU));
  } catch (const std::exception& e) {
    const std::string what = e.what();
    MURMUR_THROW(kInvalidArgument,
                 "model file ",
                 path,
                 " is not a TorchScript module saved with torch.jit.save: ",
                 what.substr(0, what.find('\n')));
  }
}

}  // namespace

Model::Model(std::string name, std::unique_ptr<Impl> impl)
    : name_(std::move(name)), impl_(std::move(impl)) {}

Model::~Model() = default;

std::unique_ptr<Model> Model::create(const std::string& name,
                                     std::uint64_t seed,
                                     const ModelShape& shape) {
  torch::manual_seed(seed);  // identical initial weights on every peer of the run
  auto impl = std::make_unique<Impl>();
  if (isScriptPath(name)) {
    // The initial weights are the file's: every peer given the same file starts alike.
    std::unique_ptr<torch::jit::Module> script = loadScript(name);
    std::size_t count = 0;
    for (const auto& p : script->named_parameters(/*recurse=*/true)) {
      if (p.value.scalar_type() != torch::kFloat) {
        MURMUR_THROW(kInvalidArgument,
                     "model file ",
                     name,
                     ": parameter ",
                     p.name,
                     " is ",
                     c10::toString(p.value.scalar_type()),
                     ", murmur trains float32 parameters (model.float() before exporting)");
      }
      p.value.requires_grad_(true);
      ++count;
    }
    if (count == 0) {
      MURMUR_THROW(kInvalidArgument, "model file ", name, " has no parameters to train");
    }
    impl->script = std::move(*script);
    torch::jit::Module* module = &*impl->script;
    impl->forward = [module](const torch::Tensor& x) { return module->forward({x}).toTensor(); };
    return std::unique_ptr<Model>(
        new Model(std::filesystem::path(name).filename().string(), std::move(impl)));
  }
  const std::vector<std::int64_t>& in = shape.input;
  MURMUR_REQUIRE(!in.empty() && shape.classes > 0, "model ", name, " without an input shape");
  const auto images = [&] {
    if (in.size() != 3) {
      MURMUR_THROW(kInvalidArgument,
                   "model ",
                   name,
                   " takes images [N, C, H, W]; the data's inputs are [N, ",
                   c10::Join(", ", in),
                   "]");
    }
  };
  const auto use = [&](auto module) {
    impl->forward = [module](const torch::Tensor& x) { return module->forward(x); };
    impl->module = module;
  };
  std::int64_t inputs = 1;
  for (std::int64_t d : in) {
    inputs *= d;
  }
  if (name == "mlp") {
    use(std::make_shared<MlpImpl>(inputs, shape.classes));
  } else if (name == "logreg") {
    use(std::make_shared<LogRegImpl>(inputs, shape.classes));
  } else if (name == "lenet5") {
    images();
    MURMUR_REQUIRE(in[1] >= 12 && in[2] >= 12, "lenet5 needs images of at least 12x12");
    use(std::make_shared<LeNet5Impl>(in[0], in[1], in[2], shape.classes));
  } else if (name == "resnet8" || name == "resnet20") {
    images();
    use(std::make_shared<ResNetImpl>(name == "resnet8" ? 1 : 3, in[0], shape.classes));
  } else if (name == "bagrec") {
    use(std::make_shared<BagRecImpl>(shape.classes));
  } else {
    MURMUR_THROW(kInvalidArgument,
                 "unknown model '",
                 name,
                 "' (built-in: mlp, lenet5, resnet8, resnet20, bagrec; or a TorchScript file "
                 "ending in .pt)");
  }
  return std::unique_ptr<Model>(new Model(name, std::move(impl)));
}

std::unique_ptr<Model> Model::fromModule(std::string name,
                                         std::shared_ptr<torch::nn::Module> module,
                                         std::function<at::Tensor(const at::Tensor&)> forward) {
  MURMUR_REQUIRE(module != nullptr && forward, "a custom model needs a module and a forward");
  MURMUR_REQUIRE(!module->named_parameters(/*recurse=*/true).is_empty(),
                 "model ",
                 name,
                 " has no parameters to train");
  auto impl = std::make_unique<Impl>();
  impl->module = std::move(module);
  impl->forward = std::move(forward);
  return std::unique_ptr<Model>(new Model(std::move(name), std::move(impl)));
}

std::vector<std::string> Model::parameterNames() const {
  std::vector<std::string> names;
  if (impl_->script) {
    for (const auto& p : impl_->script->named_parameters(/*recurse=*/true)) {
      names.push_back(p.name);
    }
    return names;
  }
  for (const auto& item : impl_->module->named_parameters(/*recurse=*/true)) {
    names.push_back(item.key());
  }
  return names;
}

std::vector<at::Tensor> Model::parameters() const {
  std::vector<at::Tensor> out;
  if (impl_->script) {
    for (const auto& p : impl_->script->named_parameters(/*recurse=*/true)) {
      out.push_back(p.value);
    }
    return out;
  }
  for (const auto& item : impl_->module->named_parameters(/*recurse=*/true)) {
    out.push_back(item.value());
  }
  return out;
}

at::Tensor Model::forward(const at::Tensor& input) {
  return impl_->forward(input);
}

void Model::setTraining(bool training) {
  if (impl_->script) {
    impl_->script->train(training);
  } else {
    impl_->module->train(training);
  }
}

std::vector<std::string> builtinModelNames() {
  return {"mlp", "logreg", "lenet5", "resnet8", "resnet20", "bagrec"};
}

}  // namespace murmur::peer
