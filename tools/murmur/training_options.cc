#include "tools/murmur/training_options.h"

#include <algorithm>
#include <cstdlib>

#include "runtime/error.h"
#include "runtime/log.h"

#include <fmt/format.h>

namespace murmur::tools {

void addTrainingOptions(CLI::App& app, TrainingFlags& flags) {
  peer::NodeOptions& o = flags.node;
  auto group = [&](CLI::Option* option) { option->group(kTrainingGroup)->capture_default_str(); };
  group(app.add_option(
               "--model",
               o.model,
               "Model to train: mlp, logreg (softmax regression), lenet5, resnet8 or resnet20 "
               "(images; sized for the "
               "data), bagrec (a recommender on "
               "generated bags of item ids: sparse updates under --momentum 0, for "
               "--sync-codec lhc), or FILE.pt, a TorchScript module exported from "
               "Python with torch.jit.save (tools/export_models.py); every peer needs "
               "the same file: it holds the initial weights")
            ->check(CLI::Validator(
                [](const std::string& value) -> std::string {
                  const std::vector<std::string> builtin = peer::builtinModelNames();
                  if (std::find(builtin.begin(), builtin.end(), value) != builtin.end() ||
                      (value.size() > 3 && value.compare(value.size() - 3, 3, ".pt") == 0)) {
                    return {};
                  }
                  return "'" + value + "' is neither a built-in model (" +
                         fmt::format("{}", fmt::join(builtin, ", ")) +
                         ") nor a TorchScript file ending in .pt";
                },
                "MODEL")));
  group(app.add_option("--loss",
                       o.trainer.loss,
                       "Training loss: cross-entropy, or mse (against one-hot labels)")
            ->check(CLI::IsMember({"cross-entropy", "mse"})));
  group(app.add_option("--data",
                       o.dataDir,
                       "Dataset directory: IDX ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; "
                       "Fashion-MNIST: apt-get install dataset-fashion-mnist), CIFAR-10/100 "
                       "binary (data_batch_N.bin and test_batch.bin, or train.bin and test.bin) "
                       "or tensor files train.pt and test.pt (torch.save({\"inputs\": X, "
                       "\"labels\": y}))"));
  group(app.add_option("--synthetic",
                       flags.synthetic,
                       "Train on N generated samples instead of --data (for tests; 0: off)"));
  group(app.add_option("--shard",
                       o.shard,
                       "How the training set is split over peers: iid, label-sorted (non-IID) or "
                       "dirichlet (non-IID, see --dirichlet-alpha)")
            ->check(CLI::IsMember({"iid", "label-sorted", "dirichlet"})));
  group(app.add_option("--dirichlet-alpha",
                       o.dirichletAlpha,
                       "Concentration of the Dirichlet shards: small = very skewed"));
  group(app.add_option("--topology",
                       o.topology,
                       "Gossip graph: complete, ring, exponential (power-of-two peers) or a file "
                       "of edges `a b` (names or indices)"));
  group(app.add_option("--rate",
                       o.rate,
                       "Exchanges each peer takes part in per gradient step (r); A²CiD²'s η "
                       "scales with it, α̃ does not"));
  group(app.add_flag("--no-momentum",
                     flags.noMomentum,
                     "Plain gossip averaging (the baseline): α̃ = ½, no momentum copy"));
  group(app.add_flag("--no-gossip",
                     flags.noGossip,
                     "No exchanges while training: peers only meet for the final average"));
  group(app.add_option("--sync",
                       o.sync,
                       "Global syncs (an exact ring all-reduce of the models over the live "
                       "members): none; fda (when FDA's variance estimate exceeds --fda-theta; "
                       "with --no-gossip this is the FDA paper's local SGD); every-step; periodic "
                       "(every --sync-period steps)")
            ->check(CLI::IsMember({"none", "fda", "every-step", "periodic"})));
  group(app.add_option("--sync-period", o.syncPeriod, "--sync periodic: steps between syncs"));
  group(app.add_option("--fda-variant",
                       o.fdaVariant,
                       "FDA's variance estimator: naive (8 B/step), linear (16 B/step) or "
                       "sketch (an AMS sketch, 4·D·W B/step, tighter on large models)")
            ->check(CLI::IsMember({"naive", "linear", "sketch"})));
  group(app.add_option("--fda-theta",
                       o.fdaTheta,
                       "FDA's threshold Θ on the model variance (1/K)Σ‖x_k − x̄‖², or auto: "
                       "starts at 3.89e-5 × parameters and adapts so rounds last "
                       "--fda-round-steps"));
  group(app.add_option("--fda-sketch", o.fdaSketch, "--fda-variant sketch: D,W (rows, columns)"));
  group(app.add_option("--fda-round-steps",
                       o.fdaRoundSteps,
                       "--fda-theta auto: the round length (steps) Θ adapts towards"));
  group(app.add_option("--fda-check-every",
                       o.fdaCheckEvery,
                       "Steps between FDA's checks: each is a pass over the model and a state "
                       "sent to every member (larger: fewer bytes and passes, later triggers)"));
  group(app.add_option("--codec",
                       o.codec,
                       "How gossip exchanges travel: raw; fp16 or bf16 (half the bytes, lossy: "
                       "both ends mix with the rounded models, so the swarm mean stays exact); "
                       "lossless (byte shuffle + zstd, exact; pays below ~30 MB/s links); lbgm "
                       "(look-back scalars: per tensor one number instead of the update when it "
                       "is nearly parallel to the last one sent in full; exact mean)")
            ->check(CLI::IsMember({"raw", "fp16", "bf16", "lossless", "lbgm"})));
  group(app.add_option("--lbgm-delta",
                       o.lbgmDelta,
                       "--codec lbgm: reuse the look-back vector when sin² of the angle to it is "
                       "at most this (0 < δ < 1; larger: more scalars, slower consensus)"));
  group(app.add_option("--lbgm-topk",
                       o.lbgmTopk,
                       "--codec lbgm: publish only the largest ⌈F·n⌉ entries of each tensor's "
                       "update (index/value pairs; the rest waits in the error feedback), LBGM "
                       "on top (specs/lbgm.md §3). 0: dense updates"));
  group(app.add_flag("--lbgm-sign",
                     o.lbgmSign,
                     "--codec lbgm: publish a·sign(update) per tensor (a = mean |entry|; one bit "
                     "per entry, the rest waits in the error feedback), LBGM on top. Not with "
                     "--lbgm-topk"));
  group(app.add_option("--lbgm-gamma",
                       flags.lbgmGamma,
                       "--codec lbgm: the consensus step γ in (0, 0.5]: an exchange moves each "
                       "model by γ·(partner's public copy − ours); 0.5 is the midpoint. auto: "
                       "0.5, or 0.25 with --lbgm-topk or --lbgm-sign, whose copies lag far "
                       "behind the models (0.5 diverges there; smaller top-k fractions need "
                       "smaller γ)"));
  group(app.add_option("--sync-codec",
                       o.syncCodec,
                       "How global syncs' ring travels: raw (the models); lossless (shuffle + "
                       "zstd, the same mean as raw, ~1.2x fewer bytes: for slow links); or lhc "
                       "(each member's change since the last sync as exact sums, each chunk as "
                       "an index/value list, a lossless homomorphic table, or dense once its "
                       "union outgrows the table: for sparse updates such as embeddings under "
                       "plain SGD). A sync the codec cannot carry is retried raw")
            ->check(CLI::IsMember({"raw", "lossless", "lhc"})));
  group(app.add_option("--lhc-capacity",
                       o.lhcCapacity,
                       "--sync-codec lhc: nonzeros per position the tables are sized for (the "
                       "union over the members of the change since the last sync); a chunk "
                       "whose union outgrows it travels as a list or dense instead"));
  group(app.add_option("--steps", o.steps, "Gradient steps each peer takes"));
  group(app.add_option("--batch", o.trainer.batch, "Samples per gradient step"));
  group(app.add_option("--lr", o.trainer.lr, "Peak learning rate"));
  group(app.add_option("--optimizer", o.trainer.optimizer, "sgd or adam")
            ->check(CLI::IsMember({"sgd", "adam"})));
  group(app.add_option(
      "--momentum", o.trainer.momentum, "SGD momentum (the optimizer's; independent of A²CiD²)"));
  group(app.add_option("--weight-decay", o.trainer.weightDecay, "L2 weight decay"));
  group(app.add_option("--warmup", o.trainer.warmupSteps, "Steps of linear learning-rate warm-up"));
  group(app.add_option("--lr-schedule",
                       o.trainer.schedule,
                       "After the warm-up: constant (the peak rate throughout) or cosine (decays "
                       "to zero at the last of --steps)")
            ->check(CLI::IsMember({"constant", "cosine"})));
  group(app.add_option(
      "--seed", o.seed, "Run seed: initial weights and shards (must match on all peers)"));
  group(app.add_flag("--independent-init",
                     o.independentInit,
                     "Each peer draws its own initial weights (default: all start identical)"));
  group(app.add_option("--eval-interval",
                       o.evalIntervalSeconds,
                       "Seconds between local test-accuracy points of the timeline (0: off)"));
  group(app.add_option("--eval-samples",
                       o.evalSamples,
                       "Test samples per timeline point (the final evaluations use all)"));
  group(app.add_option("--threads", o.threads, "LibTorch intra-op threads per peer"));
  group(app.add_option("--final-timeout",
                       o.finalTimeoutSeconds,
                       "Seconds the end-of-run exact average may take before giving up"));
  group(app.add_option("--start-wait",
                       o.startWaitSeconds,
                       "Seconds a founding peer waits before its first step for every peer in the "
                       "list to come up (it starts as soon as all are heard from, or with those "
                       "that are when the time is up, the others then counted as dead; 0: start "
                       "at once)"));
  group(app.add_option("--exchange-timeout",
                       flags.exchangeTimeoutSeconds,
                       "Seconds to wait for a proposal's answer or the partner's parameters "
                       "(nothing is applied after a timeout)"));
  group(app.add_option("--probe-interval",
                       flags.probeIntervalSeconds,
                       "SWIM: seconds between membership probes (a probe without an answer within "
                       "the period makes its target suspect)"));
  group(app.add_option("--suspicion-timeout",
                       flags.suspicionTimeoutSeconds,
                       "SWIM: seconds a suspect has to refute before it is declared dead (down to "
                       "5/8 of it as other members confirm the suspicion)"));
  group(
      app.add_option("--inject-latency",
                     flags.injectLatencyMs,
                     "Fault injection: milliseconds every message we send waits before it goes "
                     "out (WAN-like latency on loopback or a LAN; nothing is lost or reordered)"));
  group(app.add_option("--log",
                       flags.log,
                       "Log levels: LEVEL or LEVEL,SUBSYSTEM:LEVEL,... (debug, info, warn, "
                       "error, off; subsystems: peer, gossip, momentum)"));
  group(app.add_flag("--log-json", flags.logJson, "Logs as one JSON object per line"));
}

void finishTrainingOptions(TrainingFlags& flags) {
  peer::NodeOptions& o = flags.node;
  o.momentum = !flags.noMomentum;
  o.gossip = !flags.noGossip;
  if (flags.synthetic > 0) {
    o.syntheticData = true;
    o.syntheticSize = flags.synthetic;
  }
  MURMUR_REQUIRE(o.trainer.batch > 0, "--batch must be > 0, got ", o.trainer.batch);
  MURMUR_REQUIRE(o.trainer.lr >= 0, "--lr must be ≥ 0, got ", o.trainer.lr);
  MURMUR_REQUIRE(o.steps >= 0, "--steps must be ≥ 0, got ", o.steps);
  MURMUR_REQUIRE(o.rate > 0, "--rate must be > 0, got ", o.rate);
  MURMUR_REQUIRE(o.threads >= 1, "--threads must be ≥ 1, got ", o.threads);
  MURMUR_REQUIRE(o.syncPeriod >= 1, "--sync-period must be ≥ 1, got ", o.syncPeriod);
  MURMUR_REQUIRE(o.fdaRoundSteps >= 1, "--fda-round-steps must be ≥ 1, got ", o.fdaRoundSteps);
  MURMUR_REQUIRE(o.fdaCheckEvery >= 1, "--fda-check-every must be ≥ 1, got ", o.fdaCheckEvery);
  MURMUR_REQUIRE(o.fdaTheta == "auto" || std::strtod(o.fdaTheta.c_str(), nullptr) > 0,
                 "--fda-theta must be a positive number or auto, got '",
                 o.fdaTheta,
                 "'");
  MURMUR_REQUIRE(
      o.lbgmDelta > 0 && o.lbgmDelta < 1, "--lbgm-delta must be in (0, 1), got ", o.lbgmDelta);
  if (flags.lbgmGamma == "auto") {
    o.lbgmGamma = o.lbgmTopk > 0 || o.lbgmSign ? 0.25 : 0.5;
  } else {
    char* end = nullptr;
    o.lbgmGamma = std::strtod(flags.lbgmGamma.c_str(), &end);
    MURMUR_REQUIRE(end != flags.lbgmGamma.c_str() && *end == '\0',
                   "--lbgm-gamma must be a number in (0, 0.5] or auto, got '",
                   flags.lbgmGamma,
                   "'");
  }
  MURMUR_REQUIRE(
      o.lbgmGamma > 0 && o.lbgmGamma <= 0.5, "--lbgm-gamma must be in (0, 0.5], got ", o.lbgmGamma);
  MURMUR_REQUIRE(!(o.lbgmSign && o.lbgmTopk > 0),
                 "--lbgm-sign and --lbgm-topk do not stack: pick one");
  MURMUR_REQUIRE(o.lbgmTopk >= 0 && o.lbgmTopk < 1,
                 "--lbgm-topk must be in [0, 1) (0: off), got ",
                 o.lbgmTopk);
  MURMUR_REQUIRE(o.lhcCapacity > 0 && o.lhcCapacity <= 1,
                 "--lhc-capacity must be in (0, 1], got ",
                 o.lhcCapacity);
  MURMUR_REQUIRE(o.startWaitSeconds >= 0, "--start-wait must be ≥ 0 s, got ", o.startWaitSeconds);
  MURMUR_REQUIRE(flags.exchangeTimeoutSeconds > 0, "--exchange-timeout must be > 0");
  MURMUR_REQUIRE(flags.probeIntervalSeconds >= 0.05,
                 "--probe-interval must be ≥ 0.05 s, got ",
                 flags.probeIntervalSeconds);
  MURMUR_REQUIRE(flags.suspicionTimeoutSeconds > flags.probeIntervalSeconds,
                 "--suspicion-timeout must exceed --probe-interval");
  o.exchange.replyTimeout = runtime::fromSeconds(flags.exchangeTimeoutSeconds);
  o.exchange.paramsTimeout = runtime::fromSeconds(flags.exchangeTimeoutSeconds * 2);
  o.membership.probeInterval = runtime::fromSeconds(flags.probeIntervalSeconds);
  MURMUR_REQUIRE(flags.injectLatencyMs >= 0, "--inject-latency must be ≥ 0 ms");
  o.injectedLatency = runtime::fromSeconds(flags.injectLatencyMs / 1000);
  // A direct probe must outlive a round trip (4×: queueing behind model payloads included).
  o.membership.probeTimeout = std::max(o.membership.probeInterval * 2 / 5, 4 * o.injectedLatency);
  MURMUR_REQUIRE(o.membership.probeTimeout < o.membership.probeInterval,
                 "--inject-latency ",
                 flags.injectLatencyMs,
                 " ms needs a --probe-interval above 4 round trips (",
                 runtime::toSeconds(4 * o.injectedLatency),
                 " s), got ",
                 flags.probeIntervalSeconds);
  o.membership.suspicionMax = runtime::fromSeconds(flags.suspicionTimeoutSeconds);
  if (o.startWaitSeconds > 0) {
    // A listed peer not heard from when training starts is given up on (DEAD) then, not a
    // minute later: the end-of-run average must not wait for it. If it comes after all, it is
    // pinged as a dead member is and rejoins.
    o.membership.startupGrace = runtime::fromSeconds(o.startWaitSeconds);
  }
  o.membership.suspicionMin = o.membership.suspicionMax * 5 / 8;  // 2.5 s of the default 4
  runtime::configureLogging(flags.log);
  runtime::setLogJson(flags.logJson);
}

std::vector<std::string> forwardTrainingOptions(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_group() != kTrainingGroup || option->count() == 0) {
      continue;
    }
    const std::string name = "--" + option->get_lnames().front();
    if (option->get_expected_max() == 0) {
      out.push_back(name + "=" + (option->as<bool>() ? "true" : "false"));
    } else {
      out.push_back(name);
      out.push_back(option->results().back());
    }
  }
  return out;
}

}  // namespace murmur::tools
