#!/usr/bin/env bash
# The whole test suite, as CI runs it: install, then
#   1. AddressSanitizer/UndefinedBehaviorSanitizer, warnings as errors: unit and
#      integration tests (real processes, sockets and Fashion-MNIST);
#   2. ThreadSanitizer on the tests labelled tsan (state machines, shared state, transport);
#   3. static checks: layering rule, clang-format, forbidden markers.
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

stage "build: address+undefined sanitizers, -Werror"
# RelWithDebInfo: the sanitizers catch the same bugs at -O2, and the integration tests train real
# models at a realistic speed.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMURMUR_SANITIZE=address,undefined \
  -DMURMUR_WERROR=ON -DMURMUR_BUILD_BENCH=ON >/dev/null
cmake --build build-asan -j "$jobs"

stage "tests: unit and integration (ASan/UBSan)"
# LibTorch and libzmq are not instrumented: container annotations would mismatch across the
# boundary, and their process-lifetime globals are not leaks of ours (tests/lsan.supp).
export ASAN_OPTIONS="detect_container_overflow=0:abort_on_error=0"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd build-asan && ctest -L "unit|integration" -j "$jobs" --timeout 600 --output-on-failure)

stage "build: ThreadSanitizer (tests labelled tsan)"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMURMUR_SANITIZE=thread \
  -DMURMUR_BUILD_BENCH=OFF >/dev/null
cmake --build build-tsan -j "$jobs" --target murmur_gossip_test murmur_runtime_test murmur_peer_test

stage "tests: tsan"
export TSAN_OPTIONS="halt_on_error=1:suppressions=$PWD/tests/tsan.supp"
(cd build-tsan && ctest -L tsan -j "$jobs" --timeout 600 --output-on-failure)

stage "all tests passed"
