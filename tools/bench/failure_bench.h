// murmur-bench failure: how long a crashed member takes to be declared dead by every survivor
// (SWIM with the default timings), over many kills of one member of a 4-peer swarm on loopback.
#pragma once

namespace murmur::bench {

int failureCommand(int kills, bool json);

}  // namespace murmur::bench
