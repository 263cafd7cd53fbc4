#include "momentum/acid_constants.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "runtime/error.h"

namespace murmur::momentum {
namespace {

constexpr double kPi = 3.14159265358979323846;
// α̃ within this of ½ is the complete graph up to rounding: snap it so d stays exactly 0.
constexpr double kBaselineTolerance = 1e-9;

void validate(const NeighbourLists& neighbours, double rate) {
  MURMUR_REQUIRE(neighbours.size() >= 2, "A²CiD² needs at least 2 peers, got ", neighbours.size());
  MURMUR_REQUIRE(rate > 0 && std::isfinite(rate), "exchange rate must be > 0, got ", rate);
  const std::size_t n = neighbours.size();
  for (std::size_t i = 0; i < n; ++i) {
    MURMUR_REQUIRE(!neighbours[i].empty(), "peer ", i, " has no neighbours");
    for (std::uint32_t j : neighbours[i]) {
      MURMUR_REQUIRE(
          j < n, "peer ", i, " lists neighbour ", j, " but there are only ", n, " peers");
      MURMUR_REQUIRE(j != i, "peer ", i, " lists itself as a neighbour");
    }
  }
}

AcidConstants finish(double chi1, double chi2) {
  AcidConstants c;
  c.chi1 = chi1;
  c.chi2 = chi2;
  c.eta = 1.0 / (2.0 * std::sqrt(chi1 * chi2));
  c.alphaTilde = 0.5 * std::sqrt(chi1 / chi2);
  if (std::abs(c.alphaTilde - 0.5) < kBaselineTolerance) {
    c.alphaTilde = 0.5;
    c.equalsBaseline = true;
  }
  return c;
}

// Offset weights w_d of list 0, or empty if some list is not the same rotation.
std::map<std::uint32_t, double> circulantOffsets(const NeighbourLists& neighbours) {
  const auto n = static_cast<std::uint32_t>(neighbours.size());
  std::map<std::uint32_t, double> weights;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::map<std::uint32_t, double> row;
    for (std::uint32_t j : neighbours[i]) {
      row[(j + n - i) % n] += 1.0 / static_cast<double>(neighbours[i].size());
    }
    if (i == 0) {
      weights = row;
    } else if (row != weights) {
      return {};
    }
  }
  return weights;
}

// Symmetric Jacobi eigen-decomposition: a (n×n, row-major) is destroyed; returns eigenvalues and
// fills v with eigenvectors as columns.
std::vector<double> jacobiEigen(std::vector<double>& a, std::size_t n, std::vector<double>& v) {
  v.assign(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    v[i * n + i] = 1.0;
  }
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (std::size_t p = 0; p < n; ++p) {
      for (std::size_t q = p + 1; q < n; ++q) {
        off += a[p * n + q] * a[p * n + q];
      }
    }
    if (off < 1e-30) {
      break;
    }
    for (std::size_t p = 0; p < n; ++p) {
      for (std::size_t q = p + 1; q < n; ++q) {
        double apq = a[p * n + q];
        if (std::abs(apq) < 1e-300) {
          continue;
        }
        double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
        double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        double c = 1.0 / std::sqrt(t * t + 1.0);
        double s = t * c;
        for (std::size_t k = 0; k < n; ++k) {
          double akp = a[k * n + p];
          double akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (std::size_t k = 0; k < n; ++k) {
          double apk = a[p * n + k];
          double aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (std::size_t k = 0; k < n; ++k) {
          double vkp = v[k * n + p];
          double vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  std::vector<double> eigen(n);
  for (std::size_t i = 0; i < n; ++i) {
    eigen[i] = a[i * n + i];
  }
  return eigen;
}

}  // namespace

double mixingFraction(double eta, double elapsed) {
  return -std::expm1(-2.0 * eta * std::max(elapsed, 0.0)) / 2.0;
}

AcidConstants computeAcidConstantsCirculant(const NeighbourLists& neighbours, double rate) {
  validate(neighbours, rate);
  std::map<std::uint32_t, double> weights = circulantOffsets(neighbours);
  MURMUR_REQUIRE(!weights.empty(), "the neighbour lists are not circulant");
  const auto n = static_cast<double>(neighbours.size());
  const std::size_t count = neighbours.size();
  // Symmetrised offset weights: the Laplacian uses (W + Wᵀ)/2.
  std::map<std::uint32_t, double> sym;
  for (const auto& [d, w] : weights) {
    sym[d] += w / 2;
    sym[static_cast<std::uint32_t>((count - d) % count)] += w / 2;
  }
  std::vector<double> mu(count);
  double minMu = INFINITY;
  for (std::size_t m = 1; m < count; ++m) {
    double sum = 0;
    for (const auto& [d, w] : sym) {
      sum += w * std::cos(2 * kPi * static_cast<double>(m) * d / n);
    }
    mu[m] = rate * (1.0 - sum);
    minMu = std::min(minMu, mu[m]);
  }
  MURMUR_REQUIRE(minMu > 1e-12, "the graph is disconnected (λ₂ = ", minMu, ")");
  double chi2 = 0;
  for (const auto& [d, w] : sym) {
    if (w <= 0) {
      continue;
    }
    double resistance = 0;
    for (std::size_t m = 1; m < count; ++m) {
      resistance += (2 - 2 * std::cos(2 * kPi * static_cast<double>(m) * d / n)) / mu[m];
    }
    chi2 = std::max(chi2, 0.5 * resistance / n);
  }
  return finish(1.0 / minMu, chi2);
}

AcidConstants computeAcidConstantsDense(const NeighbourLists& neighbours, double rate) {
  validate(neighbours, rate);
  const std::size_t n = neighbours.size();
  std::vector<double> w(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::uint32_t j : neighbours[i]) {
      w[i * n + j] += 1.0 / static_cast<double>(neighbours[i].size());
    }
  }
  std::vector<double> lap(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      double sym = (w[i * n + j] + w[j * n + i]) / 2;
      lap[i * n + j] = rate * ((i == j ? 1.0 : 0.0) - sym);
    }
  }
  std::vector<double> vectors;
  std::vector<double> work = lap;
  std::vector<double> eigen = jacobiEigen(work, n, vectors);
  double largest = *std::max_element(eigen.begin(), eigen.end());
  double tolerance = 1e-9 * std::max(largest, 1.0);
  double lambda2 = INFINITY;
  std::size_t zeros = 0;
  for (double value : eigen) {
    if (value <= tolerance) {
      ++zeros;
    } else {
      lambda2 = std::min(lambda2, value);
    }
  }
  MURMUR_REQUIRE(zeros == 1, "the graph is disconnected (", zeros, " zero eigenvalues)");
  // Λ⁺ = Σ_{λ>0} v vᵀ / λ.
  std::vector<double> pinv(n * n, 0.0);
  for (std::size_t k = 0; k < n; ++k) {
    if (eigen[k] <= tolerance) {
      continue;
    }
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        pinv[i * n + j] += vectors[i * n + k] * vectors[j * n + k] / eigen[k];
      }
    }
  }
  double chi2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      if (lap[i * n + j] == 0) {
        continue;
      }
      double resistance = pinv[i * n + i] + pinv[j * n + j] - 2 * pinv[i * n + j];
      chi2 = std::max(chi2, 0.5 * resistance);
    }
  }
  return finish(1.0 / lambda2, chi2);
}

AcidConstants computeAcidConstants(const NeighbourLists& neighbours, double rate) {
  validate(neighbours, rate);
  if (!circulantOffsets(neighbours).empty()) {
    return computeAcidConstantsCirculant(neighbours, rate);
  }
  return computeAcidConstantsDense(neighbours, rate);
}

}  // namespace murmur::momentum
