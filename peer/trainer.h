// Local training of one peer: batches from its shard, forward/backward, optimizer increments,
// learning-rate warm-up; and evaluation. The optimizer never knows about A²CiD²: its step is an
// increment on x that leaves the gap alone (specs/a2cid2.md §2.5).
// Thread: compute only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "peer/dataset.h"
#include "peer/model.h"

namespace murmur::peer {

struct TrainerOptions {
  std::string optimizer = "sgd";       // sgd | adam
  double lr = 0.05;                    // peak learning rate
  double momentum = 0.9;               // SGD momentum (0 for plain SGD)
  double weightDecay = 0.0;            // L2 penalty
  std::int64_t warmupSteps = 100;      // linear warm-up from lr/warmupSteps to lr
  std::string schedule = "constant";   // constant | cosine (to zero at totalSteps)
  std::int64_t totalSteps = 0;         // the run's steps (the cosine's length)
  std::int64_t batch = 32;             // samples per step
  std::uint64_t seed = 1;              // data order (each peer passes its own)
  std::string loss = "cross-entropy";  // cross-entropy | mse (against one-hot labels)
};

struct Evaluation {
  double accuracy = 0;
  double loss = 0;
  std::int64_t samples = 0;
};

class Trainer {
 public:
  // The model's parameters must already be in their final storage (FlatParameters). Throws
  // kInvalidArgument when the model does not take the data's inputs (checkModelFitsData).
  Trainer(Model& model, Dataset train, TrainerOptions options);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Forward and backward on the next batch (reads x without the state lock). Returns the loss.
  double computeGradients();

  // The optimizer step with the scheduled learning rate: call under the state lock.
  void applyUpdate();

  std::int64_t steps() const { return steps_; }

  // A resumed run: `step` steps were taken before this process (the schedule goes on from there).
  void resumeAt(std::int64_t step) { firstStep_ = step; }

  // Epochs of the local shard completed so far (fractional).
  double epochs() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::int64_t steps_ = 0;
  std::int64_t firstStep_ = 0;
};

// Runs the model on two of the data's samples: throws Error(kInvalidArgument) naming the model,
// the input shape and what went wrong when it does not accept them or does not return logits
// [N, C] with C at least the data's classes.
void checkModelFitsData(Model& model, const Dataset& data);

// Accuracy and mean cross-entropy of the model on the first `limit` samples (all if limit <= 0).
Evaluation evaluate(Model& model, const Dataset& data, std::int64_t limit = 0);

}  // namespace murmur::peer
