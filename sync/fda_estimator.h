// FDA's round-terminating condition, sans-I/O (specs/fda.md §2): each peer summarises its drift
// u = x − w_ref from the last synchronised model in a small local state S (‖u‖², and ξ·u or a
// sketch of u); the states are averaged over the swarm, and H(S̄) over-estimates the model variance
// (1/K)Σ‖x_k − x̄‖². A sync runs when H(S̄) > Θ. Everything accumulates in double (pitfall 2).
// The swarm-wide averaging of the states and the sync itself are separate pieces (issue 4).
// Thread: one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sync/ams_sketch.h"

namespace murmur::sync {

enum class FdaVariant : std::uint8_t { kNaive, kLinear, kSketch };

const char* fdaVariantName(FdaVariant variant);
std::optional<FdaVariant> parseFdaVariant(const std::string& name);

// One peer's local state S_k (or the swarm's mean S̄).
struct FdaState {
  double a = 0;                // ‖u‖²
  double b = 0;                // ξ·u (Linear)
  std::vector<double> sketch;  // sk(u), row-major D × W (Sketch)
};

// The mean of the states of the same variant (a, b and the sketch are all linear).
FdaState meanState(const std::vector<FdaState>& states);

class FdaEstimator {
 public:
  // For models of `numel` trainable parameters; the sketch's hashes derive from `runSeed`. Linear
  // starts with ξ₀ = 1/√d in every coordinate (any fixed unit vector is valid: pitfall 5).
  FdaEstimator(FdaVariant variant,
               std::size_t numel,
               std::uint64_t runSeed,
               SketchShape sketch = {});

  // Linear: ξ = unit(refNew − refOld) for the round that starts at refNew; ξ₀ when the two are
  // equal (pitfall 9). Call once per round, with bit-identical references on every peer.
  void setDirection(const float* refNew, const float* refOld);

  // S_k of u = x − ref: one pass over x and ref (Sketch: then the drift through each row).
  FdaState localState(const float* x, const float* ref);

  // H(S̄): Naive ā; Linear ā − b̄²; Sketch ā − M₂(s̄k)/(1 + ε).
  double estimate(const FdaState& mean) const;

  FdaVariant variant() const { return variant_; }

  const std::vector<float>& direction() const { return xi_; }

 private:
  FdaVariant variant_;
  std::size_t numel_;
  std::vector<float> xi_;            // Linear only
  std::optional<AmsSketch> sketch_;  // Sketch only: hashes and a scratch sketch
  std::vector<float> drift_;         // scratch for the sketch pass
};

// H(S̄) for a mean state of `variant` (what FdaEstimator::estimate computes, without the estimator:
// for the peer that only aggregates).
double estimateVariance(FdaVariant variant, const FdaState& mean, SketchShape sketch = {});

// The round ends when the estimate exceeds Θ, strictly (H == Θ keeps training).
inline bool roundTerminates(double estimate, double theta) {
  return estimate > theta;
}

}  // namespace murmur::sync
