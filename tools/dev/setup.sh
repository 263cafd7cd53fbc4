#!/usr/bin/env bash
# Installs every Debian package murmur needs to build, test and run its demo. Idempotent and
# non-interactive: packages already present are not touched, and apt is skipped entirely when
# nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-openmp
  libzmq3-dev cppzmq-dev
  capnproto libcapnp-dev
  libboost-dev
  libgtest-dev libgmock-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev zlib1g-dev libzstd-dev
  clang-format
  iproute2 nftables
  dataset-fashion-mnist
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
