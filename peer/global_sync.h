// The comm side of global syncs (issue 4, specs/fda.md §4): every peer's FDA state in an epidemic
// table (M1), the trigger (FDA: H(S̄) > Θ·(1 − m); lockstep modes: the compute thread asks), the
// agreement on epoch e+1 and its view without a coordinator, the ring all-reduce over that view
// (members ordered by name, so every peer builds the same ring and gets a bit-identical mean), and
// the install (x += w̄ − snapshot, d = 0, through SharedModelState). A member that fails or a
// ring that stalls makes the sync retry over the survivors as the next attempt; nothing waits for
// ever. Messages of another epoch, attempt or view, or from strangers, are dropped and counted.
// Sans-I/O towards the network: the Peer feeds it what arrives and sends what it returns.
// Thread: comm.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compression/codec.h"
#include "peer/shared_model_state.h"
#include "peer/sync_mailbox.h"
#include "runtime/clock.h"
#include "runtime/ids.h"
#include "runtime/metrics.h"
#include "sync/fda_estimator.h"
#include "sync/fda_threshold.h"
#include "sync/ring_all_reduce.h"
#include "sync/state_table.h"
#include "sync/sync_agreement.h"

namespace murmur::peer {

enum class SyncMode : std::uint8_t { kNone, kFda, kEveryStep, kPeriodic };

const char* syncModeName(SyncMode mode);
std::optional<SyncMode> parseSyncMode(const std::string& name);

struct GlobalSyncOptions {
  SyncMode mode = SyncMode::kNone;
  std::int64_t period = 1;  // lockstep modes: local steps between syncs (every-step: 1)
  sync::FdaVariant variant = sync::FdaVariant::kLinear;
  sync::SketchShape sketch;
  double triggerMargin = 0.05;  // the state table lags: fire at Θ·(1 − m)
  runtime::Duration collectWindow = std::chrono::milliseconds(200);
  runtime::Duration ringTimeout = std::chrono::seconds(2);  // no ring progress: retry
  // --sync-codec: raw; lossless (shuffle + zstd segments, lossless_ring_codec.h); lhc (LHC
  // encodings of the drift from the previous sync's mean, lhc_ring_codec.h). A sync the codec
  // cannot carry is retried raw.
  compression::CodecId ringCodec = compression::CodecId::kRaw;
  double lhcCapacity = 0.05;
  std::uint64_t runSeed = 1;
};

// One message GlobalSync wants sent.
struct SyncSend {
  // kNotice: "I synced proposal.epoch already" to a member left out of it (it catches up).
  enum class Kind : std::uint8_t { kState, kProposal, kChunk, kNotice };
  Kind kind = Kind::kState;
  runtime::PeerId to;
  std::uint64_t step = 0;                       // kState: the step the state was computed at
  double theta = 0;                             // kState: our Θ
  std::shared_ptr<const sync::FdaState> state;  // kState (shared by every recipient)
  sync::SyncProposal proposal;                  // kProposal (ids: the Peer names them)
  sync::RingChunk chunk;                        // kChunk
};

class GlobalSync {
 public:
  // `epoch`: the last synced epoch (0 at the start). `nameOf` orders ring members.
  GlobalSync(GlobalSyncOptions options,
             runtime::PeerId self,
             sync::FdaThreshold threshold,
             SharedModelState& state,
             SyncMailbox& mailbox,
             runtime::MetricsRegistry& metrics,
             std::function<std::string(runtime::PeerId)> nameOf);

  bool enabled() const { return options_.mode != SyncMode::kNone; }

  // The last synced epoch: on every message we send.
  std::uint64_t epoch() const { return epoch_; }

  // Any message from `from` carries its epoch: one beyond ours means the swarm synced without us
  // (a joiner, a healed partition), and our next proposal catches up.
  void noteEpoch(std::uint64_t epoch);

  // FDA_STATE from `from`, of `epoch`, with its Θ.
  void onState(runtime::PeerId from,
               std::uint64_t epoch,
               std::uint64_t step,
               sync::FdaState state,
               double theta,
               runtime::TimePoint now);

  // SYNC_PROPOSE from `from` (its view resolved to our ids).
  void onProposal(runtime::PeerId from,
                  const sync::SyncProposal& proposal,
                  runtime::TimePoint now,
                  std::vector<SyncSend>& out);

  // A notice from `from`: it synced `epoch` already, without us.
  void onSyncedNotice(runtime::PeerId from, std::uint64_t epoch, runtime::TimePoint now);

  // RING_CHUNK from `from`.
  void onChunk(runtime::PeerId from,
               sync::RingChunk chunk,
               runtime::TimePoint now,
               std::vector<SyncSend>& out);

  // Drives the trigger, the agreement, timeouts and retries. `live`: the members that take part
  // (alive or suspect, still training), without us; `unheard`: members we know of but have not
  // heard from yet (starting, or joining). For the first seconds of a run the unheard count as
  // members and no sync is proposed (a late starter must not be left out, and every peer must
  // build the same view); after that they are left out. `step`: our local step.
  void tick(runtime::TimePoint now,
            const std::vector<runtime::PeerId>& live,
            const std::vector<runtime::PeerId>& unheard,
            std::uint64_t step,
            std::vector<SyncSend>& out);

  // A member said it finished training (DONE), or came back as a new process (done = false).
  // A finished member takes part in no new sync, but one that finished after its part of the
  // running ring (it says DONE only then) has not failed that ring: its sum is on its way.
  void noteDone(runtime::PeerId member, bool done);

  // Whether a chunk we could not send yet still belongs to the running ring (worth a resend).
  bool current(const sync::RingChunk& chunk) const {
    return ring_ && chunk.epoch == ring_->epoch() && chunk.attempt == ring_->attempt();
  }

  // Our training ended: we propose nothing more, and take part in the syncs others propose at
  // once (lockstep modes otherwise wait for our compute thread to reach its step boundary).
  void trainingEnded() { trainingEnded_ = true; }

  // A sync is agreed on or running: gossip pauses, DONE and the final average wait.
  bool active() const { return agreement_.pending().has_value() || ring_ != nullptr; }

  // active(), or our install not yet applied by the compute thread: no gossip snapshot now.
  bool holdsGossip() const { return active() || state_.installPending(); }

  // When tick() has something to do next (a window or ring timeout), if anything.
  std::optional<runtime::TimePoint> deadline(runtime::TimePoint now) const;

  // The newest swarm estimate H(S̄) and Θ (FDA), for metrics and /status.
  double estimate() const { return estimate_; }

  double theta() const { return threshold_.theta(); }

  // Θ as the swarm applies it: the mean over the table's current entries (ours until others'
  // arrive).
  double swarmTheta() const;

  std::uint64_t syncs() const { return syncs_; }

 private:
  struct Buffered {
    runtime::PeerId from;
    sync::RingChunk chunk;
  };

  void propose(runtime::TimePoint now,
               const std::vector<runtime::PeerId>& live,
               std::vector<SyncSend>& out);
  void spread(const sync::SyncProposal& proposal, std::vector<SyncSend>& out) const;
  void startRing(const sync::SyncProposal& agreed,
                 runtime::TimePoint now,
                 std::vector<SyncSend>& out);
  void feed(runtime::PeerId from,
            sync::RingChunk chunk,
            runtime::TimePoint now,
            std::vector<SyncSend>& out);
  void emit(std::vector<sync::OutgoingChunk>& chunks, std::vector<SyncSend>& out) const;
  void finishRing(runtime::TimePoint now);
  void retry(runtime::TimePoint now,
             const std::vector<runtime::PeerId>& live,
             const char* why,
             std::vector<SyncSend>& out);
  void dropped(const char* reason);
  // The ring's segment codec could not carry this sync: retry it without.
  void codecFailed(runtime::TimePoint now, std::vector<SyncSend>& out);
  // Tells `to` that we synced our epoch already (once per member and epoch).
  void notice(runtime::PeerId to, std::vector<SyncSend>& out);

  GlobalSyncOptions options_;
  runtime::PeerId self_;
  sync::FdaThreshold threshold_;
  SharedModelState& state_;
  SyncMailbox& mailbox_;
  runtime::MetricsRegistry& metrics_;
  std::function<std::string(runtime::PeerId)> nameOf_;

  std::uint64_t epoch_ = 0;
  std::uint64_t highestSeen_ = 0;  // the highest epoch any member's message carried
  sync::SyncAgreement agreement_;
  sync::StateTable table_;
  std::shared_ptr<const sync::FdaState> ownState_;  // not yet sent
  std::uint64_t ownStep_ = 0;
  std::uint64_t roundStartStep_ = 0;
  std::uint64_t step_ = 0;
  bool requested_ = false;  // the compute thread waits for the next sync
  bool trainingEnded_ = false;
  double estimate_ = 0;
  double estimateAtTrigger_ = 0;
  std::uint64_t syncs_ = 0;
  std::vector<runtime::PeerId> live_;
  std::vector<runtime::PeerId> done_;  // members that said DONE

  // The running ring: members by rank (name order), our contribution, progress.
  std::unique_ptr<sync::RingAllReduce> ring_;
  std::vector<runtime::PeerId> rankToId_;
  std::map<std::uint32_t, std::uint32_t> idToRank_;
  std::shared_ptr<std::vector<float>> contributed_;      // the snapshot, kept for retries
  std::shared_ptr<const std::vector<float>> reference_;  // the last sync's mean (LHC's w_ref)
  std::uint64_t referenceEpoch_ = 0;
  runtime::TimePoint lastProgress_{};
  std::vector<Buffered> early_;  // chunks of a sync we have not started yet

  struct Deferred {
    runtime::PeerId from;
    sync::SyncProposal proposal;
  };

  std::vector<Deferred> deferred_;                  // proposals of the sync after ours
  std::map<std::uint32_t, std::uint64_t> noticed_;  // member → the epoch we told it we synced
  std::optional<runtime::TimePoint> firstTick_;
  runtime::TimePoint lastRetry_{};
};

}  // namespace murmur::peer
