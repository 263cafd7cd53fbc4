#include "tools/sim/lbgm_edges.h"

#include "runtime/error.h"

namespace murmur::sim {
namespace {

void toDouble(const float* values, std::size_t n, std::vector<double>& out) {
  out.assign(values, values + n);
}

}  // namespace

LbgmEdges::LbgmEdges(const std::vector<std::size_t>& tensorSizes, compression::LbgmOptions options)
    : units_(compression::lbgmUnits(tensorSizes)), options_(options) {
  compression::requireLbgmDelta(options_.delta);  // now, not at the first exchange
  compression::requireLbgmTopk(options_.topk);
}

LbgmEdges::Edge& LbgmEdges::edge(std::uint32_t from, std::uint32_t to) {
  std::unique_ptr<Edge>& e = edges_[{from, to}];
  if (!e) {
    e = std::make_unique<Edge>(Edge{compression::LbgmPublicCopy(units_, options_),
                                    compression::LbgmPublicCopy(units_, options_)});
  }
  return *e;
}

std::shared_ptr<const compression::LbgmMessage> LbgmEdges::publish(std::uint32_t from,
                                                                   std::uint32_t to,
                                                                   const std::vector<double>& x,
                                                                   std::vector<double>& view) {
  Edge& e = edge(from, to);
  scratch_.assign(x.begin(), x.end());
  auto message = std::make_shared<compression::LbgmMessage>();
  e.out.publish(scratch_.data(), e.in.seq() != e.out.seq(), *message);
  toDouble(e.out.values(), e.out.numel(), view);
  return message;
}

void LbgmEdges::apply(std::uint32_t from,
                      std::uint32_t to,
                      const compression::LbgmMessage& message,
                      std::vector<double>& view) {
  Edge& e = edge(from, to);
  compression::LbgmApplied applied = e.in.apply(message);
  MURMUR_CHECK(applied == compression::LbgmApplied::kApplied,
               "peer",
               to,
               " could not apply peer",
               from,
               "'s publish: ",
               compression::lbgmAppliedName(applied));
  toDouble(e.in.values(), e.in.numel(), view);
}

void LbgmEdges::consensus(std::vector<double>& self, std::vector<double>& partner, double gamma) {
  // The views came from float copies: through float and back they are unchanged.
  std::vector<float> a(self.begin(), self.end());
  std::vector<float> b(partner.begin(), partner.end());
  std::vector<float> aOut(a.size());
  std::vector<float> bOut(b.size());
  compression::lbgmConsensusViews(
      a.data(), b.data(), aOut.data(), bOut.data(), a.size(), static_cast<float>(0.5 - gamma));
  toDouble(aOut.data(), aOut.size(), self);
  toDouble(bOut.data(), bOut.size(), partner);
}

compression::LbgmUnitStats LbgmEdges::totals() const {
  compression::LbgmUnitStats sum;
  for (const auto& [key, e] : edges_) {
    for (const compression::LbgmUnitStats& s : e->out.stats()) {
      sum.skip += s.skip;
      sum.scalar += s.scalar;
      sum.full += s.full;
      sum.reset += s.reset;
    }
  }
  return sum;
}

}  // namespace murmur::sim
