// Checkpoints of one peer (ARCHITECTURE.md §6): its parameters x and step, written periodically
// and on leave, read back by --resume. A write is atomic (a temporary file, fsync, rename, fsync
// of the directory) and checksummed (CRC-32 over the whole file); a reader that finds the newest
// checkpoint corrupt says why and falls back to the previous one. The last few are kept.
// Not saved: the A²CiD² gap and the optimizer's buffers (they restart at zero, as for a joiner).
// Thread: any (no shared state; one writer per directory and name).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace murmur::peer {

struct Checkpoint {
  std::string name;                  // the peer's
  std::uint64_t modelSignature = 0;  // names, shapes and dtypes of the parameters
  std::int64_t step = 0;
  double unixSeconds = 0;  // when it was taken
  std::vector<float> parameters;
};

// Writes DIR/NAME-STEP.ckpt atomically (creating DIR) and removes all but the `keep` newest of
// this name. Returns the path. Throws Error(kInvalidArgument) naming the path on I/O failure.
std::string writeCheckpoint(const std::string& dir, const Checkpoint& checkpoint, int keep = 3);

// The newest valid checkpoint of `name` in `dir` for a model with `modelSignature`, or nullopt
// when there is none. Each one skipped (corrupt, truncated, another model) is described in
// `problems` (path and why).
std::optional<Checkpoint> loadLatestCheckpoint(const std::string& dir,
                                               const std::string& name,
                                               std::uint64_t modelSignature,
                                               std::vector<std::string>* problems = nullptr);

}  // namespace murmur::peer
