#include "peer/trainer.h"

#include <algorithm>
#include <numeric>

#include <torch/torch.h>

#include "peer/lr_schedule.h"
#include "runtime/error.h"
#include "runtime/rng.h"

namespace murmur::peer {

struct Trainer::Impl {
  Model& model;
  Dataset train;
  TrainerOptions options;
  LrScheduleOptions schedule;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  runtime::Rng rng;
  std::vector<std::int64_t> order;
  std::size_t cursor = 0;
  torch::Tensor batchIndex;
  torch::Tensor batchImages;  // reused every step
  torch::Tensor batchLabels;

  Impl(Model& m, Dataset data, TrainerOptions opts)
      : model(m),
        train(std::move(data)),
        options(std::move(opts)),
        schedule{lrScheduleFromName(options.schedule), options.warmupSteps, options.totalSteps},
        rng(options.seed) {}

  void reshuffle() {
    for (std::size_t i = order.size() - 1; i > 0; --i) {
      std::swap(order[i], order[rng.below(i + 1)]);
    }
    cursor = 0;
  }

  void setLearningRate(double lr) {
    for (auto& group : optimizer->param_groups()) {
      if (options.optimizer == "adam") {
        static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      } else {
        static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
      }
    }
  }
};

Trainer::Trainer(Model& model, Dataset train, TrainerOptions options)
    : impl_(std::make_unique<Impl>(model, std::move(train), std::move(options))) {
  const TrainerOptions& o = impl_->options;
  MURMUR_REQUIRE(o.lr >= 0, "learning rate must be ≥ 0, got ", o.lr);
  MURMUR_REQUIRE(o.batch > 0, "batch size must be > 0, got ", o.batch);
  MURMUR_REQUIRE(impl_->train.size() > 0, "the training shard is empty");
  MURMUR_REQUIRE(o.loss == "cross-entropy" || o.loss == "mse",
                 "unknown loss '",
                 o.loss,
                 "' (expected cross-entropy or mse)");
  checkModelFitsData(model, impl_->train);
  std::vector<torch::Tensor> params = model.parameters();
  if (o.optimizer == "sgd") {
    impl_->optimizer = std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weightDecay));
  } else if (o.optimizer == "adam") {
    impl_->optimizer = std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(o.lr).weight_decay(o.weightDecay));
  } else {
    MURMUR_THROW(kInvalidArgument, "unknown optimizer '", o.optimizer, "' (expected sgd or adam)");
  }
  impl_->order.resize(static_cast<std::size_t>(impl_->train.size()));
  std::iota(impl_->order.begin(), impl_->order.end(), 0);
  impl_->reshuffle();
  const std::int64_t batch = std::min<std::int64_t>(o.batch, impl_->train.size());
  impl_->batchIndex = torch::empty({batch}, torch::kLong);
  std::vector<std::int64_t> shape = impl_->train.images().sizes().vec();
  shape[0] = batch;
  impl_->batchImages = torch::empty(shape, torch::kFloat);
  impl_->batchLabels = torch::empty({batch}, torch::kLong);
  model.setTraining(true);
}

Trainer::~Trainer() = default;

double Trainer::computeGradients() {
  Impl& s = *impl_;
  const std::int64_t batch = s.batchIndex.size(0);
  if (s.cursor + static_cast<std::size_t>(batch) > s.order.size()) {
    s.reshuffle();
  }
  std::copy_n(s.order.begin() + static_cast<std::ptrdiff_t>(s.cursor),
              batch,
              s.batchIndex.data_ptr<std::int64_t>());
  s.cursor += static_cast<std::size_t>(batch);
  torch::index_select_out(s.batchImages, s.train.images(), 0, s.batchIndex);
  torch::index_select_out(s.batchLabels, s.train.labels(), 0, s.batchIndex);
  s.optimizer->zero_grad();
  torch::Tensor logits = s.model.forward(s.batchImages);
  torch::Tensor loss =
      s.options.loss == "mse"
          ? torch::mse_loss(logits, torch::one_hot(s.batchLabels, logits.size(1)).to(torch::kFloat))
          : torch::nn::functional::cross_entropy(logits, s.batchLabels);
  loss.backward();
  return loss.item<double>();
}

void Trainer::applyUpdate() {
  Impl& s = *impl_;
  const TrainerOptions& o = s.options;
  s.setLearningRate(o.lr * learningRateScale(s.schedule, firstStep_ + steps_, steps_));
  torch::NoGradGuard noGrad;
  s.optimizer->step();
  ++steps_;
}

double Trainer::epochs() const {
  return static_cast<double>(steps_ * impl_->batchIndex.size(0)) /
         static_cast<double>(impl_->train.size());
}

namespace {

// The line of a LibTorch error that says what went wrong: TorchScript's carry the script's
// traceback first and "RuntimeError: ..." last, c10's the message first and a backtrace after.
std::string torchErrorLine(const std::exception& e) {
  const std::string what = e.what();
  const std::size_t runtime = what.rfind("RuntimeError: ");
  const std::size_t start = runtime == std::string::npos ? 0 : runtime + 14;
  return what.substr(start, what.find('\n', start) - start);
}

}  // namespace

void checkModelFitsData(Model& model, const Dataset& data) {
  torch::NoGradGuard noGrad;
  const std::int64_t n = std::min<std::int64_t>(2, data.size());
  MURMUR_REQUIRE(n > 0, "no data to check model ", model.name(), " against");
  const torch::Tensor x = data.images().narrow(0, 0, n);
  const std::string shape = c10::str(x.sizes());
  model.setTraining(false);
  torch::Tensor out;
  try {
    out = model.forward(x);
  } catch (const std::exception& e) {
    model.setTraining(true);
    MURMUR_THROW(kInvalidArgument,
                 "model ",
                 model.name(),
                 " does not take the data's inputs (shape ",
                 shape,
                 "): ",
                 torchErrorLine(e));
  }
  model.setTraining(true);
  if (out.dim() != 2 || out.size(0) != n || out.size(1) < data.classes()) {
    MURMUR_THROW(kInvalidArgument,
                 "model ",
                 model.name(),
                 " returns shape ",
                 c10::str(out.sizes()),
                 " for inputs ",
                 shape,
                 ": murmur needs logits [N, C] with C ≥ the data's ",
                 data.classes(),
                 " classes");
  }
}

Evaluation evaluate(Model& model, const Dataset& data, std::int64_t limit) {
  torch::NoGradGuard noGrad;
  model.setTraining(false);
  const std::int64_t n = limit > 0 ? std::min(limit, data.size()) : data.size();
  constexpr std::int64_t kChunk = 1000;
  std::int64_t correct = 0;
  double lossSum = 0;
  for (std::int64_t begin = 0; begin < n; begin += kChunk) {
    const std::int64_t len = std::min(kChunk, n - begin);
    torch::Tensor x = data.images().narrow(0, begin, len);
    torch::Tensor y = data.labels().narrow(0, begin, len);
    torch::Tensor logits = model.forward(x);
    lossSum +=
        torch::nn::functional::cross_entropy(
            logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
            .item<double>();
    correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
  }
  model.setTraining(true);
  Evaluation out;
  out.samples = n;
  out.accuracy = n > 0 ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
  out.loss = n > 0 ? lossSum / static_cast<double>(n) : 0.0;
  return out;
}

}  // namespace murmur::peer
