#!/usr/bin/env bash
# The main job: install, build (Release), and run a 4-peer swarm training LeNet-5 on
# Fashion-MNIST on this machine. Extra arguments go to `murmur swarm` (try --help).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/dev/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMURMUR_BUILD_TESTS=OFF >/dev/null
cmake --build build --target murmur -j "$(nproc)"
exec ./build/murmur swarm "$@"
