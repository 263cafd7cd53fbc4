// A²CiD² graph constants η and α̃ from the spectrum of the exchange Laplacian, specs/a2cid2.md §4.
// Pure maths on neighbour lists: no tensors, no I/O.
#pragma once

#include <cstdint>
#include <vector>

namespace murmur::momentum {

// Neighbour lists exactly as gossip/ samples them: list i holds the peers i picks from, duplicates
// kept (the exponential graph lists its antipode twice, which doubles that edge's rate).
using NeighbourLists = std::vector<std::vector<std::uint32_t>>;

struct AcidConstants {
  double eta = 0;           // mixing rate of the x/x̃ ODE, per time unit (mean gradient interval)
  double alphaTilde = 0.5;  // exchange weight on the momentum copy x̃
  double chi1 = 0;          // 1/λ₂(Λ): inverse algebraic connectivity
  double chi2 = 0;          // half the largest edge effective resistance
  // True when α̃ = ½ (complete graph): A²CiD² then is exactly the baseline (d stays 0).
  bool equalsBaseline = false;
};

// Constants for the Laplacian Λ = r·(I − (W + Wᵀ)/2), W_ij = (times j is in list i)/|list i|
// (for the symmetric lists of ring, exponential and complete graphs this is the spec's r·(I − W)).
// rate = exchanges each peer takes part in per gradient step. Uses the exact circulant formulas
// when the lists are circulant (ring, exponential, complete), the dense Jacobi path otherwise.
// Throws Error(kInvalidArgument) for fewer than 2 peers, a non-positive rate, a self-loop, an
// out-of-range neighbour, an empty list or a disconnected graph.
AcidConstants computeAcidConstants(const NeighbourLists& neighbours, double rate);

// The circulant path alone (spec §4.4); throws Error(kInvalidArgument) if the lists are not
// circulant.
AcidConstants computeAcidConstantsCirculant(const NeighbourLists& neighbours, double rate);

// The dense path alone: Jacobi eigen-decomposition of Λ, pseudo-inverse for effective resistances.
// O(n³) per sweep; meant for n up to a few hundred.
AcidConstants computeAcidConstantsDense(const NeighbourLists& neighbours, double rate);

// Fraction of the gap x moves over `elapsed` time units: p = −expm1(−2η·max(elapsed, 0))/2 ∈ [0,
// ½).
double mixingFraction(double eta, double elapsed);

}  // namespace murmur::momentum
