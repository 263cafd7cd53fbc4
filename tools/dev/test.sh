#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   1. static checks: layering rule, clang-format, forbidden markers;
#   2. Release build, -Werror: unit and integration tests (real murmur processes on loopback,
#      Fashion-MNIST training, kill -9 of a peer, the CLI's errors);
#   3. AddressSanitizer + UndefinedBehaviorSanitizer: the unit tests, including a real Peer under
#      hostile input on real sockets. (Training under ASan is ~50x slower: its allocator hands
#      LibTorch fresh pages for every tensor, so integration runs on the Release build.)
#   4. ThreadSanitizer: the runtime, gossip and peer suites (state machines, shared model state,
#      transport, a real comm thread).
set -euo pipefail
cd "$(dirname "$0")/../.."
jobs=$(nproc)
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.cache/ccache}"
export CTEST_OUTPUT_ON_FAILURE=1
start=$(date +%s)
stage() { echo; echo "=== [$(( $(date +%s) - start ))s] $*"; }

stage "setup"
tools/dev/setup.sh

stage "static checks"
tools/dev/check_layering.sh
tools/dev/check_format.sh

stage "build: Release, -Werror"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMURMUR_WERROR=ON >/dev/null
cmake --build build -j "$jobs"

stage "tests: unit and integration (Release)"
(cd build && ctest -L "unit|integration" --no-tests=error -j "$jobs" --timeout 600 --output-on-failure)

stage "build: address+undefined sanitizers (unit tests)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMURMUR_SANITIZE=address,undefined -DMURMUR_WERROR=ON -DMURMUR_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs" --target murmur_runtime_test murmur_momentum_test \
  murmur_gossip_test murmur_sync_test murmur_compression_test murmur_peer_test \
  murmur_sim_test murmur_plot_test

stage "tests: unit (ASan/UBSan)"
# LibTorch and libzmq are not instrumented: container annotations would mismatch across the
# boundary, and their process-lifetime globals are not leaks of ours (tests/lsan.supp).
(cd build-asan &&
  ASAN_OPTIONS="detect_container_overflow=0" \
  LSAN_OPTIONS="suppressions=$PWD/../tests/lsan.supp:print_suppressions=0" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  ctest -L unit --no-tests=error -j "$jobs" --timeout 600 --output-on-failure)

stage "build: ThreadSanitizer (threaded suites: runtime, gossip, peer)"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMURMUR_SANITIZE=thread \
  -DMURMUR_BUILD_BENCH=OFF >/dev/null
tsan_suites=(murmur_runtime_test murmur_gossip_test murmur_peer_test)
cmake --build build-tsan -j "$jobs" --target "${tsan_suites[@]}"

stage "tests: ThreadSanitizer"
# Each suite runs whole, directly: a failure or a TSan report makes its binary exit non-zero.
# ignore_noninstrumented_modules: libzmq's I/O thread calls libstdc++ (uninstrumented), whose
# memcmp on a zmq-owned string TSan once reported with no libzmq frame left to suppress by.
for suite in "${tsan_suites[@]}"; do
  TSAN_OPTIONS="halt_on_error=1:ignore_noninstrumented_modules=1:suppressions=$PWD/tests/tsan.supp" \
    "build-tsan/tests/$suite" --gtest_brief=1
done

stage "all tests passed"
