// TorchScript models (issue 6): the project's exported LeNet-5 is the built-in one layer for layer
// (the same signature, so the two can share a swarm), trains under both losses, and a model that
// does not take the data's inputs is refused with a message naming the model and the shape.
#include "peer/model.h"

#include <ATen/core/Tensor.h>
#include <ATen/ops/rand.h>
#include <ATen/ops/zeros.h>
#include <gtest/gtest.h>

#include "peer/dataset.h"
#include "peer/trainer.h"
#include "runtime/error.h"
#include "runtime/flat_parameters.h"
#include "tests/support/test_support.h"

namespace murmur::peer {
namespace {

TEST(Model, TheExportedLeNet5HasTheBuiltinOnesSignature) {
  std::unique_ptr<Model> script = Model::create(tests::scriptLeNet5(), 1);
  std::unique_ptr<Model> builtin = Model::create("lenet5", 1);
  EXPECT_EQ(script->name(), "lenet5.pt");
  EXPECT_EQ(script->parameterNames(), builtin->parameterNames());
  runtime::FlatParameters a(script->parameterNames(), script->parameters());
  runtime::FlatParameters b(builtin->parameterNames(), builtin->parameters());
  EXPECT_EQ(a.numel(), 61706);
  EXPECT_EQ(a.signature(), b.signature());
  at::Tensor logits = script->forward(at::rand({3, 1, 28, 28}));
  EXPECT_EQ(logits.sizes(), (std::vector<std::int64_t>{3, 10}));
}

TEST(Model, TheExportedResNet8HasTheBuiltinOnesSignature) {
  const std::string path = tests::scriptModelsDir() + "/resnet8.pt";
  std::unique_ptr<Model> script = Model::create(path, 1);
  std::unique_ptr<Model> builtin = Model::create("resnet8", 1);
  EXPECT_EQ(script->parameterNames(), builtin->parameterNames());
  runtime::FlatParameters a(script->parameterNames(), script->parameters());
  runtime::FlatParameters b(builtin->parameterNames(), builtin->parameters());
  EXPECT_EQ(a.signature(), b.signature());
}

TEST(Model, BuiltinsAreSizedForTheData) {
  ModelShape cifar100;
  cifar100.input = {3, 32, 32};
  cifar100.classes = 100;
  for (const char* name : {"mlp", "lenet5", "resnet8", "resnet20"}) {
    std::unique_ptr<Model> model = Model::create(name, 1, cifar100);
    EXPECT_EQ(model->forward(at::rand({2, 3, 32, 32})).sizes(), (std::vector<std::int64_t>{2, 100}))
        << name;
  }
  std::unique_ptr<Model> resnet20 = Model::create("resnet20", 1, cifar100);
  runtime::FlatParameters flat(resnet20->parameterNames(), resnet20->parameters());
  EXPECT_NEAR(static_cast<double>(flat.numel()), 0.28e6, 0.02e6) << "ResNet-20 has ~0.27 M";
  ModelShape features;
  features.input = {20};
  features.classes = 4;
  EXPECT_EQ(Model::create("mlp", 1, features)->forward(at::rand({3, 20})).sizes(),
            (std::vector<std::int64_t>{3, 4}));
  try {
    Model::create("lenet5", 1, features);
    FAIL() << "lenet5 took 20 features";
  } catch (const runtime::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[N, 20]"), std::string::npos) << e.what();
  }
}

TEST(Model, AScriptTrainsUnderEitherLossThroughItsFlatParameters) {
  for (const char* loss : {"cross-entropy", "mse"}) {
    std::unique_ptr<Model> model = Model::create(tests::scriptLeNet5(), 1);
    runtime::FlatParameters flat(model->parameterNames(), model->parameters());
    const Dataset data = syntheticDataset(512, 3);
    TrainerOptions options;
    options.loss = loss;
    options.lr = std::string(loss) == "mse" ? 0.2 : 0.05;
    options.warmupSteps = 10;
    Trainer trainer(*model, data, options);
    const float before = flat.flat().sum().item<float>();
    for (int step = 0; step < 120; ++step) {
      trainer.computeGradients();
      trainer.applyUpdate();
    }
    EXPECT_NE(flat.flat().sum().item<float>(), before) << loss << ": the flat view did not move";
    EXPECT_GE(evaluate(*model, data).accuracy, 0.9) << loss;
  }
}

TEST(Model, AModelThatDoesNotTakeTheDataIsRefusedByName) {
  std::unique_ptr<Model> model = Model::create(tests::scriptLeNet5(), 1);
  const Dataset rgb(at::rand({4, 3, 32, 32}), at::zeros({4}, at::kLong), 10);
  try {
    checkModelFitsData(*model, rgb);
    FAIL() << "a 3-channel dataset was accepted by a 1-channel LeNet-5";
  } catch (const runtime::Error& e) {
    EXPECT_EQ(e.kind(), runtime::ErrorKind::kInvalidArgument);
    const std::string what = e.what();
    EXPECT_NE(what.find("lenet5.pt"), std::string::npos) << what;
    EXPECT_NE(what.find("[2, 3, 32, 32]"), std::string::npos) << what;
    EXPECT_NE(what.find("channels"), std::string::npos) << what;
  }
  const Dataset twelveClasses(at::rand({4, 1, 28, 28}), at::zeros({4}, at::kLong), 12);
  EXPECT_THROW(checkModelFitsData(*model, twelveClasses), runtime::Error)
      << "10 logits for 12 classes";
}

}  // namespace
}  // namespace murmur::peer
