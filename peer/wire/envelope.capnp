# Frame 0 of every murmur message. Tensor bytes travel in frames 1..n, never in here.
# Evolve by adding fields with new ordinals; never renumber or retype (STYLE.md §6).
@0xd4a1c9e07b35f2a6;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("murmur::peer::wire::schema");

enum MessageType {
  hello @0;     # heartbeat: "I am alive"
  propose @1;   # exchange handshake (specs/a2cid2.md §3.1)
  accept @2;    # carries the responder's snapshot
  busy @3;
  params @4;    # carries the initiator's snapshot
  done @5;      # the sender finished training (sent as its heartbeat from then on)
  final @6;     # the sender's final model, for the exact end-of-run average
  ping @7;      # SWIM probe (seq); answered by ack
  ack @8;       # answers ping (seq); target: the member it vouches for
  pingReq @9;   # "ping target for me" (seq, target)
  leave @10;    # the sender leaves the swarm (its LEFT update rides along)
  join @11;     # v3: "let me in" (name, address, control, model); answered by one of the two:
  joinAccept @12;   # config (run settings, JSON), members, and a model snapshot in frame 1
  joinRefused @13;  # config: why (another version, another model, a name taken)
  fdaState @14;     # v4: the sender's FDA local state (fda; a sketch in frame 1)
  syncPropose @15;  # v4: "sync epoch e+1 over this view" (sync: epoch, attempt, view)
  ringChunk @16;    # v4: one step of the sync's ring all-reduce (sync; the segment in frame 1)
}

enum MemberState {
  alive @0;
  suspect @1;
  dead @2;
  left @3;
}

# A membership claim piggybacked on any message (gossip/membership.h).
struct MemberUpdate {
  member @0 :UInt32;
  state @1 :MemberState;
  incarnation @2 :UInt64;
  origin @3 :UInt32;  # v2 only (index); v3 uses originName
  name @4 :Text;      # v3: members are named, not numbered (joins make numbering local)
  address @5 :Text;   # where to reach it (lets a member learn of a joiner from gossip)
  control @6 :Text;
  originName @7 :Text;  # suspect: who suspects
}

enum DType {
  float32 @0;
  float64 @1;
  float16 @2;
  bfloat16 @3;
  int64 @4;
  uint8 @5;
}

struct Payload {
  dtype @0 :DType;
  numel @1 :UInt64;
  codec @2 :UInt8;   # compression::CodecId
  frame @3 :UInt32;  # index of the frame holding the bytes (1..n)
}

# FDA_STATE: the sender's local state of its drift from the epoch's reference (specs/fda.md §4.5).
struct FdaState {
  variant @0 :UInt8;  # sync::FdaVariant
  a @1 :Float64;      # |u|^2
  b @2 :Float64;      # xi . u (Linear)
  theta @3 :Float64;  # the sender's threshold (the swarm fires on the mean)
}

# SYNC_PROPOSE and RING_CHUNK: which sync, and which step of its ring.
struct Sync {
  epoch @0 :UInt64;       # the epoch the sync creates (e+1)
  attempt @1 :UInt32;     # retries after a failure count up
  view @2 :List(Text);    # propose: the members, by name
  viewDigest @3 :UInt64;  # chunk: the ring's view
  phase @4 :UInt8;        # chunk: 0 reduce-scatter, 1 all-gather
  ringStep @5 :UInt32;
  segment @6 :UInt32;
  synced @7 :Bool;        # propose: "I synced this epoch already" (you were left out: catch up)
}

# PROPOSE/ACCEPT/PARAMS with --codec lbgm (specs/lbgm.md §5.3): public-copy bookkeeping and the
# per-unit directory of a publish (its FULL/RESET values travel in frame 1).
struct Lbgm {
  heldSeq @0 :UInt64;       # propose/accept: the last publish of yours my copy holds (0: none)
  seq @1 :UInt64;           # accept/params: this publish's number on the edge
  modes @2 :Data;           # accept/params: one compression::LbgmMode per unit
  rhos @3 :List(Float32);   # accept/params: per unit, the look-back coefficient (scalar units)
  copyDigest @4 :UInt64;    # accept/params, every few publishes: the sender's copy after this
                            # publish (compression::LbgmPublicCopy::digest; 0: not sent)
}

struct Envelope {
  version @0 :UInt16;
  type @1 :MessageType;
  sender @2 :UInt32;       # v2 only (index in the peer list); v3 names the sender
  receiver @3 :UInt32;     # v2 only; v3: receiverName
  incarnation @4 :UInt64;  # the sender's SWIM incarnation (starts at its start time in ms)
  seq @5 :UInt64;          # exchange sequence (initiator's numbering)
  runHash @6 :UInt64;      # model signature and run settings: mismatches are refused
  step @7 :UInt64;         # sender's local gradient steps
  senderName @8 :Text;
  payloads @9 :List(Payload);
  target @10 :UInt32;      # v2 only; v3: targetName
  updates @11 :List(MemberUpdate);
  control @12 :Text;       # hello/ping/ack/pingReq/join: the sender's control endpoint
  receiverName @13 :Text;
  targetName @14 :Text;    # ping/ack/pingReq: the member probed
  address @15 :Text;       # hello/ping/ack/pingReq/join: the sender's data address
  modelSignature @16 :UInt64;  # join: the joiner's model (names, shapes, dtypes)
  modelName @17 :Text;         # join
  config @18 :Text;        # joinAccept: run settings (JSON); joinRefused: the reason
  members @19 :List(MemberUpdate);  # joinAccept: every member the seed knows
  epoch @20 :UInt64;       # v4: the sender's sync epoch (accept/params: that of the snapshot)
  fda @21 :FdaState;       # fdaState
  sync @22 :Sync;          # syncPropose, ringChunk
  lbgm @23 :Lbgm;          # v5: propose, accept, params under --codec lbgm
}
