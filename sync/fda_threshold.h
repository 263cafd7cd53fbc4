// Θ for FDA (specs/fda.md §3.1): fixed, or adaptive ("auto", FDA-Opt's rule in step form): after
// a round of L_e steps that ended with variance Var_e, Θ_{e+1} = (L*/L_e)·Var_e for a target round
// length L*, so rounds that end early raise Θ and long ones lower it. The seed is c·d with
// c = 3.89e-5 (the "balanced" rule of thumb: an RMS spread of ~0.006 per coordinate).
// Sans-I/O. Thread: one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace murmur::sync {

inline constexpr double kThetaPerParameter = 3.89e-5;

class FdaThreshold {
 public:
  // Fixed Θ.
  static FdaThreshold fixed(double theta);
  // Adaptive, seeded with c·d, aiming at rounds of `targetRoundSteps` steps.
  static FdaThreshold adaptive(std::size_t numel, std::uint64_t targetRoundSteps);

  // "auto" or a positive number; nullopt (with `error` set) otherwise.
  static std::optional<FdaThreshold> parse(const std::string& text,
                                           std::size_t numel,
                                           std::uint64_t targetRoundSteps,
                                           std::string* error);

  double theta() const { return theta_; }

  bool isAdaptive() const { return adaptive_; }

  // A round ended after `steps` steps with the measured variance `variance` (the exact one, from
  // the sync's average). Adaptive: the next Θ; fixed: unchanged.
  void roundEnded(std::uint64_t steps, double variance);

 private:
  double theta_ = 0;
  bool adaptive_ = false;
  std::uint64_t target_ = 0;
};

}  // namespace murmur::sync
