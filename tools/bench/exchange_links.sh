#!/usr/bin/env bash
# The exchange benchmark at link speeds users have. Loopback on this machine moves bytes about as
# fast as memory does, so there murmur's passes over the model (snapshot, finite check, A²CiD²
# apply) compete with the socket copies for the same memory and cores; on a real link the wire is
# the limit. Each rate runs `murmur-bench exchange` inside a network namespace of its own whose
# loopback is shaped with `tc tbf` (murmur and raw ZeroMQ see the same link), then prints one row
# per rate: murmur's throughput, raw ZeroMQ's, their ratio, and the best ratio murmur's CPU per
# round allows on this machine's cores.
#
# Usage (root, from the repository root, after building):
#   tools/bench/exchange_links.sh [--params 10000000] [--rounds 20] [--rates "none 10gbit 2gbit"]
#                                 [--training MS]
# "none" is plain loopback; --training MS measures exchanges while the peers train, a step every
# MS milliseconds (murmur-bench exchange --training). Deletes the namespace it creates.
set -euo pipefail

params=10000000
rounds=20
rates="none 10gbit 5gbit 2gbit 1gbit"
mode=()
while [ $# -gt 0 ]; do
  case "$1" in
    --params) params="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --rates) rates="$2"; shift 2 ;;
    --training) mode=(--training "$2"); shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "exchange_links: unknown argument '$1' (--help)" >&2; exit 2 ;;
  esac
done

bench="$(pwd)/build/murmur-bench"
[ "$(id -u)" -eq 0 ] || { echo "exchange_links: needs root (network namespaces, tc)" >&2; exit 2; }
[ -x "$bench" ] || { echo "exchange_links: build first ($bench is missing)" >&2; exit 2; }

ns="mxl$$"
trap 'ip netns delete "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up

printf '%-8s %12s %12s %7s %16s %14s\n' link murmur_GB/s raw_GB/s ratio cpu_ms_murmur/raw best_for_cpu
for rate in $rates; do
  if [ "$rate" = none ]; then
    tc -n "$ns" qdisc del dev lo root 2>/dev/null || true
  else
    # A burst of 8 MB: tbf needs at least a timer tick of traffic at 10 Gbit/s.
    tc -n "$ns" qdisc replace dev lo root tbf rate "$rate" burst 8mb latency 100ms
  fi
  echo "exchange_links: $rate, $params parameters, $rounds rounds..." >&2
  json="$(ip netns exec "$ns" "$bench" exchange --params "$params" --rounds "$rounds" --json \
    "${mode[@]}" 2>/dev/null | tail -1)"
  python3 - "$rate" "$json" <<'EOF'
import json, sys
r = json.loads(sys.argv[2])
print("%-8s %12.2f %12.2f %7.2f %16s %14.2f" % (
    sys.argv[1], r["exchange_gbps"], r["raw_zmq_gbps"], r["ratio"],
    "%.0f/%.0f" % (r["exchange_cpu_ms_per_round"], r["raw_zmq_cpu_ms_per_round"]),
    r["cpu_bound_ratio"]))
EOF
done
