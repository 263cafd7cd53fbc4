// The comm side of one peer: owns the exchange state machine, SWIM membership and the end-of-run
// consensus, and drives them from the transport. Every inbound message is validated (envelope,
// sender, version, run hash, payload) before any state machine or the model sees it; a bad one
// is dropped, counted by reason and logged (rate-limited) with the sender's name.
// Thread: run() is the comm thread; the other public methods are safe from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gossip/exchange_fsm.h"
#include "gossip/membership.h"
#include "gossip/topology.h"
#include "peer/exchange_budget.h"
#include "peer/exchange_codec.h"
#include "peer/global_sync.h"
#include "peer/peer_list.h"
#include "peer/shared_model_state.h"
#include "peer/status_board.h"
#include "peer/transport/zmq_transport.h"
#include "peer/wire/envelope.h"
#include "runtime/clock.h"
#include "runtime/metrics.h"
#include "sync/exact_average.h"

namespace murmur::peer {

struct PeerOptions {
  runtime::PeerId self;
  std::vector<PeerEntry> peers;     // the members known at start (joiners are added as they come)
  gossip::NeighbourLists topology;  // lists for every peer; ours is topology[self]
  std::string topologySpec;         // rebuilt from this when members join ("": complete)
  std::uint64_t runHash = 0;        // model signature and run settings
  std::uint64_t incarnation = 0;
  std::uint64_t seed = 1;
  gossip::ExchangeOptions exchange;
  gossip::MembershipOptions membership;
  // HELLO to members not heard from yet, and DONE to all once finished, every interval.
  runtime::Duration heartbeatInterval = std::chrono::milliseconds(250);
  runtime::Duration leaveTimeout = std::chrono::seconds(2);    // exchange in flight at leave()
  runtime::Duration finalTimeout = std::chrono::seconds(300);  // whole end-of-run phase
  bool gossipEnabled = true;     // false: train alone, meet only for the final average
  std::string control;           // our control endpoint, told to members on probe traffic
  StatusBoard* board = nullptr;  // where the member list and last exchange are posted (optional)
  // What a joiner must match and receives (JOIN / JOIN_ACCEPT).
  std::uint64_t modelSignature = 0;
  std::string modelName;
  std::string runConfig;  // JSON: the run settings a joiner adopts
  // Global syncs (--sync): how, Θ for FDA, and the hand-off with the compute thread (needed
  // unless the mode is none).
  GlobalSyncOptions sync;
  sync::FdaThreshold threshold = sync::FdaThreshold::fixed(1);
  SyncMailbox* mailbox = nullptr;
  // How exchange snapshots travel (--codec, --lbgm-delta); JOIN_ACCEPT and FINAL go raw.
  ExchangeCodecOptions codec;
};

// Outcome of the end-of-run exact average.
struct FinalResult {
  bool averaged = false;             // x now holds the average of `members`
  std::vector<std::string> members;  // whose models are in it, by name
  double consensusDistance = 0;      // (1/m) Σ‖x_i − x̄‖² of the models before averaging
  double conservedMoment = 0;        // SharedModelState::conservedMoment() before averaging
  std::string problem;               // why not averaged, if not
};

class Peer {
 public:
  Peer(PeerOptions options,
       transport::ZmqTransport& transport,
       SharedModelState& state,
       ExchangeBudget& budget,
       runtime::MetricsRegistry& metrics,
       const runtime::Clock& clock);

  // The comm loop; returns after requestStop(). Thread: comm.
  void run();

  // Ends run() soon. Thread: any.
  void requestStop();

  // Training is over: stop initiating, announce DONE, then average exactly with every live peer
  // once all of them are done. Thread: any.
  void finishTraining();

  // Leave the swarm: start no exchange, let the one in flight finish (abort it after the leave
  // timeout), announce LEFT to every member, then end run(). Thread: any.
  void leave();

  // LEFT was announced (run() then returns). Thread: any.
  bool hasLeft() const { return left_.load(); }

  // Blocks until LEFT was announced, at most `timeout`; returns hasLeft(). Thread: any.
  bool waitLeft(runtime::Duration timeout);

  // Credits or steps changed: wake the loop. Thread: any.
  void notify() { transport_.wake(); }

  // Our local step count, carried in envelopes. Thread: compute.
  void setLocalStep(std::uint64_t step) { localStep_.store(step, std::memory_order_relaxed); }

  // The start-up list as the compute thread waits on it.
  struct ListedPeers {
    bool settled = false;                 // none PENDING: each heard from, given up on or refused
    std::vector<std::string> neverHeard;  // pending or given up on
  };

  // Blocks until the start-up list is settled, at most `timeout`. Thread: any.
  ListedPeers waitListedPeers(runtime::Duration timeout);

  // Blocks until the final average is done or failed, at most `timeout`. Thread: any.
  std::optional<FinalResult> waitFinal(runtime::Duration timeout);

  const PeerOptions& options() const { return options_; }

 private:
  void tick(runtime::TimePoint now);
  void refreshUnheard();
  // A listed member that speaks another protocol version or run: it will never be usable.
  void refuseForever(std::optional<runtime::PeerId> member);
  void handle(const transport::InboundMessage& message, runtime::TimePoint now);
  void handleExchange(runtime::PeerId from,
                      const wire::Envelope& envelope,
                      const runtime::Blob* payload,
                      runtime::TimePoint now);
  void processStep(const gossip::ExchangeStep& step,
                   const runtime::Blob* received,
                   runtime::TimePoint now);
  void recordOutcome(const gossip::ExchangeOutcome& outcome, runtime::TimePoint now);
  // Logs `text` at warn level at most once per 5 s per key (a peer and a reason).
  void warnOncePer(const char* subsystem,
                   const std::string& key,
                   runtime::TimePoint now,
                   const std::string& text);
  void maybeInitiate(runtime::TimePoint now);
  void driveMembership(runtime::TimePoint now);
  void advanceLeave(runtime::TimePoint now);
  void sendProbe(const gossip::ProbeMessage& probe);
  void advanceFinal(runtime::TimePoint now);
  // The members a global sync takes part with: heard from, not gone, still training.
  std::vector<runtime::PeerId> syncMembers() const;
  void sendSync(const std::vector<SyncSend>& sends);
  void handleSync(runtime::PeerId from,
                  const wire::Envelope& envelope,
                  std::vector<float> data,
                  std::vector<std::byte> encoded,
                  runtime::TimePoint now);
  void completeFinal(FinalResult result);
  bool sendMessage(runtime::PeerId to,
                   wire::MessageType type,
                   runtime::Seq seq,
                   const std::vector<runtime::Blob>& payloads,
                   std::optional<runtime::PeerId> target = std::nullopt);
  // Fills in what every message carries (names, incarnation, news, epoch, payload directory) and
  // sends; counts bytes by kind. False if the transport refused it.
  bool sendEnvelope(runtime::PeerId to,
                    wire::Envelope& envelope,
                    const std::vector<runtime::Blob>& payloads);
  void postMembers(runtime::TimePoint now);
  // A member we had not heard of (a joiner): connected, PENDING until heard from directly.
  runtime::PeerId addMember(const std::string& name, const std::string& address);
  void rebuildTopology();
  // A member we hold DEAD or LEFT is back at `address` (a new process under its name): point our
  // connection there.
  void relocate(runtime::PeerId id, const std::string& address);
  void handleJoin(const wire::Envelope& envelope, runtime::TimePoint now);
  void refuseJoin(const wire::Envelope& envelope, const std::string& why, runtime::TimePoint now);
  std::vector<wire::WireUpdate> toWire(const std::vector<gossip::MemberUpdate>& updates) const;
  wire::WireUpdate describe(runtime::PeerId id,
                            gossip::MemberState state,
                            std::uint64_t incarnation) const;
  // Resolves named updates to ours, adding members we learn of; drops what names strangers.
  std::vector<gossip::MemberUpdate> fromWire(const std::vector<wire::WireUpdate>& updates);
  std::optional<runtime::PeerId> idOf(const std::string& name) const;
  void drop(const std::string& reason,
            const std::string& who,
            const std::string& detail,
            runtime::TimePoint now);
  runtime::TimePoint nextWakeup(runtime::TimePoint now) const;

  const std::string& nameOf(runtime::PeerId id) const { return peers_[id.value].name; }

  PeerOptions options_;
  transport::ZmqTransport& transport_;
  SharedModelState& state_;
  ExchangeBudget& budget_;
  runtime::MetricsRegistry& metrics_;
  const runtime::Clock& clock_;

  // Comm-thread state.
  gossip::ExchangeFsm fsm_;
  gossip::Membership membership_;
  runtime::Rng rng_;
  std::vector<PeerEntry> peers_;  // the member table: index = our local PeerId
  std::map<std::string, std::uint32_t> idByName_;
  gossip::NeighbourLists topology_;
  std::map<std::string, std::uint32_t> strangerDealers_;  // refused joiners we answered
  std::map<std::string, runtime::TimePoint> admitted_;    // when we sent each joiner its model
  std::shared_ptr<BufferPool::Buffer> ownSnapshot_;       // of the exchange in flight
  std::shared_ptr<const BufferPool::Buffer> ownView_;     // it, as the partner sees it: we mix
                                                          // with this (codec.h)
  std::uint64_t partnerHeldSeq_ = 0;  // LBGM: our publishes the partner's copy holds
  std::unique_ptr<ExchangeCodec> codec_;
  std::uint64_t ownSnapshotEpoch_ = 0;  // the sync epoch it was taken in
  SyncMailbox ownMailbox_;              // when the options bring none
  std::unique_ptr<GlobalSync> globalSync_;
  std::vector<SyncSend> unsentChunks_;  // refused by the transport (connection not up): resent
  runtime::TimePoint exchangeStart_{};
  runtime::TimePoint noPartnerUntil_{};  // no usable neighbour: next look
  runtime::TimePoint nextHeartbeat_{};
  std::vector<bool> doneFrom_;
  std::set<std::uint32_t> incompatible_;  // members refused for their version or run
  std::set<std::uint32_t> givenUp_;       // listed members declared dead before first heard
  std::vector<bool> reached_;  // some message of ours was accepted on a connection to them
  bool doneAnnounced_ = false;
  runtime::TimePoint finishedAt_{};
  std::unique_ptr<sync::ExactAverage> average_;
  std::shared_ptr<BufferPool::Buffer> finalSnapshot_;
  std::map<std::uint32_t, runtime::Blob> earlyFinals_;
  std::vector<runtime::PeerId> finalUnsent_;  // members our final model has not reached yet
  bool closed_ = false;                       // the final average is done: refuse further exchanges
  std::map<std::string, runtime::TimePoint> lastWarning_;
  double conservedMoment_ = 0;  // at the final snapshot
  runtime::TimePoint leaveStarted_{};
  bool leaving_ = false;
  std::vector<std::string> controlOf_;  // members' control endpoints, as they told us
  std::vector<std::uint64_t> stepOf_;   // the step each member's last message carried

  // Cross-thread.
  std::atomic<bool> stop_{false};
  std::atomic<bool> finishRequested_{false};
  std::atomic<bool> leaveRequested_{false};
  std::atomic<bool> left_{false};
  std::atomic<std::uint64_t> localStep_{0};
  std::mutex unheardMu_;
  std::condition_variable unheardChanged_;
  std::vector<std::string> unheard_;  // listed peers never heard from (pending or given up on)
  bool startUpPending_ = false;       // some listed peer is still PENDING
  std::mutex finalMu_;
  std::condition_variable finalReady_;
  std::optional<FinalResult> final_;
};

}  // namespace murmur::peer
