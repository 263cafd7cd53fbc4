#include "tools/bench/join_bench.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "gossip/topology.h"
#include "peer/exchange_budget.h"
#include "peer/join.h"
#include "peer/peer.h"
#include "peer/shared_model_state.h"
#include "runtime/metrics.h"
#include "tools/bench/raw_zmq.h"

#include <nlohmann/json.hpp>

namespace murmur::bench {
namespace {

constexpr std::uint64_t kSignature = 7;

// Seconds of each admission of a fresh joiner by one live member holding `numel` parameters.
std::vector<double> admissions(std::size_t numel, int rounds) {
  using namespace peer;
  runtime::SteadyClock clock;
  std::vector<float> x(numel, 1.5F);
  SharedModelState state(x.data(), numel, momentum::AcidParams{}, clock.now());
  state.stopTraining(clock.now());
  transport::ZmqTransport seedTransport(transport::TransportOptions{"tcp://127.0.0.1:*", "seed"});
  PeerOptions options;
  options.peers = {{seedTransport.boundAddress(), "seed"}};
  options.topology = gossip::NeighbourLists(1);  // alone until the joiners come
  options.topologySpec = "complete";
  options.runHash = 1;
  options.modelSignature = kSignature;
  options.modelName = "bench";
  options.runConfig = "{}";
  ExchangeBudget budget(gossip::CreditOptions{1.0, 0}, 1);
  runtime::MetricsRegistry metrics;
  Peer seed(options, seedTransport, state, budget, metrics, clock);
  std::thread comm([&] { seed.run(); });
  std::vector<double> seconds;
  for (int r = 0; r < rounds + 1; ++r) {  // the first one warms the pool: not timed
    const std::string name = "joiner" + std::to_string(r);
    transport::TransportOptions mine{"tcp://127.0.0.1:*", name};
    mine.maxMessageBytes = numel * sizeof(float) + wire::kMaxEnvelopeBytes;
    transport::ZmqTransport joiner(mine);
    JoinRequest request{name, joiner.boundAddress(), "", "bench", kSignature, 1};
    Clock::time_point start = Clock::now();
    Admission admission = joinSwarm(
        joiner, request, {seedTransport.boundAddress()}, numel, clock, std::chrono::seconds(120));
    if (r > 0) {
      seconds.push_back(secondsSince(start));
    }
    if (admission.model.size() != numel || admission.model[numel / 2] != 1.5F) {
      std::fprintf(stderr, "join bench: the model did not arrive intact\n");
      std::exit(1);
    }
  }
  seed.requestStop();
  comm.join();
  return seconds;
}

}  // namespace

int joinCommand(const std::vector<std::size_t>& sizes, int rounds, bool json) {
  if (!json) {
    std::printf("%12s %10s %12s %14s %8s\n", "params", "MB", "join (s)", "raw zmq (s)", "ratio");
  }
  for (std::size_t numel : sizes) {
    std::vector<double> times = admissions(numel, rounds);
    std::sort(times.begin(), times.end());
    const double median = times[times.size() / 2];
    // The physical limit: the same bytes one way at raw ZeroMQ's ping-pong rate.
    const double bytes = static_cast<double>(numel * sizeof(float));
    const double raw = bytes / (rawZmq(numel, 5).pingPongGbps * 1e9);
    if (json) {
      nlohmann::json out = {{"params", numel},
                            {"join_seconds_median", median},
                            {"join_seconds_max", times.back()},
                            {"raw_zmq_seconds", raw},
                            {"ratio", raw / median}};
      std::puts(out.dump().c_str());
    } else {
      std::printf(
          "%12zu %10.1f %12.3f %14.3f %8.2f\n", numel, bytes / 1e6, median, raw, raw / median);
    }
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace murmur::bench
