#!/usr/bin/env bash
# murmur against torch.distributed DDP (gloo) on slow links. Every peer (and every DDP rank) gets
# a host of its own: a network namespace on a star (a bridge in a hub namespace), its link shaped
# with `tc tbf` to MBIT Mbit/s each way. Same LeNet-5, Fashion-MNIST, batch, steps and shards as
# `murmur swarm` and tools/bench/ddp_fmnist.py. Prints both reports and the ratios.
#
# Usage (root, from the repository root, after building):
#   tools/bench/slow_link.sh [--mbit 100] [--hosts 4] [--steps 2000] [--out DIR] [--skip-ddp]
#                            [-- extra murmur run flags, e.g. --rate 0.5]
# Needs iproute2 and, for DDP, Debian's python3-torch. Deletes every namespace it creates.
set -euo pipefail

mbit=100
hosts=4
steps=2000
out=""
ddp=1
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mbit) mbit="$2"; shift 2 ;;
    --hosts) hosts="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --skip-ddp) ddp=0; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "slow_link: unknown argument '$1' (--help)" >&2; exit 2 ;;
  esac
done

root="$(pwd)"
murmur="$root/build/murmur"
python=/usr/bin/python3
data=/usr/share/datasets/fashion-mnist
[ "$(id -u)" -eq 0 ] || { echo "slow_link: needs root (network namespaces, tc)" >&2; exit 2; }
[ -x "$murmur" ] || { echo "slow_link: build first ($murmur is missing)" >&2; exit 2; }
if [ "$ddp" = 1 ] && ! "$python" -c 'import torch' 2>/dev/null; then
  echo "slow_link: DDP needs Debian's python3-torch (or pass --skip-ddp)" >&2
  exit 2
fi
out="${out:-runs/slow-link-${mbit}mbit-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

tag="msl$$"
hub="$tag-hub"
host() { echo "$tag-h$1"; }
address() { echo "10.252.0.$(($1 + 1))"; }
cleanup() {
  for ((i = 0; i < hosts; i++)); do ip netns delete "$(host "$i")" 2>/dev/null || true; done
  ip netns delete "$hub" 2>/dev/null || true
}
trap cleanup EXIT

# The star: one bridge, one shaped veth per host (tbf on both ends: upload and download).
burst=$((mbit * 1000 / 8 * 3))  # ~3 ms of traffic at the line rate, at least a few packets
burst=$((burst < 16000 ? 16000 : burst))
ip netns add "$hub"
ip -n "$hub" link add br0 type bridge
ip -n "$hub" link set br0 up
for ((i = 0; i < hosts; i++)); do
  ns="$(host "$i")"
  ip netns add "$ns"
  ip link add "h$i$tag" netns "$ns" type veth peer name "p$i$tag" netns "$hub"
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$(address "$i")/24" dev "h$i$tag"
  ip -n "$ns" link set "h$i$tag" up
  ip -n "$hub" link set "p$i$tag" master br0 up
  tc -n "$ns" qdisc add dev "h$i$tag" root tbf rate "${mbit}mbit" burst "$burst" latency 50ms
  tc -n "$hub" qdisc add dev "p$i$tag" root tbf rate "${mbit}mbit" burst "$burst" latency 50ms
done
echo "slow_link: $hosts hosts on a star, ${mbit} Mbit/s each way per host; results in $out"

# murmur: one `murmur run` per host, one time origin, then the same report as `murmur swarm`.
: >"$out/peers.txt"
for ((i = 0; i < hosts; i++)); do echo "tcp://$(address "$i"):7000 peer$i" >>"$out/peers.txt"; done
start=$(date +%s.%N)
pids=()
for ((i = 0; i < hosts; i++)); do
  ip netns exec "$(host "$i")" "$murmur" run --peers "$out/peers.txt" --name "peer$i" \
    --data "$data" --steps "$steps" --control off --start-time "$start" \
    --summary-json "$out/peer$i.json" "${extra[@]}" >"$out/peer$i.out" 2>"$out/peer$i.log" &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || echo "slow_link: a murmur peer failed (see $out/peer*.log)" >&2
"$murmur" report "$out"/peer*.json | tee "$out/murmur-report.txt"
"$murmur" report --json "$out"/peer*.json >"$out/murmur.json" || true

[ "$ddp" = 1 ] || exit "$failed"

# DDP: one rank per host, rank 0's host holds the rendezvous.
start=$(date +%s.%N)
pids=()
for ((i = 0; i < hosts; i++)); do
  ip netns exec "$(host "$i")" env GLOO_SOCKET_IFNAME="h$i$tag" "$python" \
    "$root/tools/bench/ddp_fmnist.py" --procs "$hosts" --rank "$i" \
    --master "$(address 0):29500" --steps "$steps" --start-time "$start" --data "$data" --json \
    >"$out/ddp$i.out" 2>"$out/ddp$i.log" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || { echo "slow_link: a DDP rank failed (see $out/ddp*.log)" >&2; exit 1; }
"$python" - "$out" "$mbit" <<'PY'
import json, sys
out, mbit = sys.argv[1], sys.argv[2]
m = json.load(open(f"{out}/murmur.json"))
d = json.loads(open(f"{out}/ddp0.out").read().strip().splitlines()[-1])
def show(v):
    return f"{v:7.1f} s" if v is not None and v >= 0 else "    never"
print(f"\n=== {m['peers']} hosts, {mbit} Mbit/s each: murmur vs DDP (gloo) ===")
print(f"{'':28}{'murmur':>12}{'DDP':>12}{'DDP/murmur':>12}")
for key, label in [("seconds_to_0.85", "mean test acc >= 0.85"),
                   ("seconds_to_0.88", "mean test acc >= 0.88"),
                   ("wall_seconds", "wall time")]:
    a, b = m.get(key, -1), d.get(key, -1)
    ratio = f"{b / a:10.2f}x" if a and a > 0 and b and b > 0 else "         -"
    print(f"{label:28}{show(a):>12}{show(b):>12}  {ratio}")
print(f"{'final test accuracy':28}{m['test_accuracy_avg_model']:12.4f}{d['test_accuracy']:12.4f}")
PY
