#!/usr/bin/env bash
# murmur-sim against real `murmur swarm` runs on the same workload (issue 8): softmax regression
# on Fashion-MNIST with label-sorted shards, ring, 500 steps of batch 32 at lr 0.05, plain SGD.
# Prints, per variant, the real and the simulated mean local test accuracy and final consensus
# distance. Usage: tools/bench/sim_agreement.sh [PEERS...]   (default: 4 8; needs build/)
set -euo pipefail
cd "$(dirname "$0")/../.."
data=/usr/share/datasets/fashion-mnist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(--shard label-sorted --lr 0.05 --topology ring)
field() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
echo "peers | variant | real accuracy | sim accuracy | real consensus distance | sim consensus distance"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(4 8)
for peers in "${sizes[@]}"; do
  for variant in "--no-gossip" "--no-momentum --rate 0.1" "--no-momentum --rate 1" "--rate 1"; do
    # shellcheck disable=SC2086  # variant holds several flags
    build/murmur swarm --peers "$peers" --model logreg --data "$data" --steps 500 --batch 32 \
      --momentum 0 --warmup 0 --eval-interval 0 --no-table --run-dir "$work/run" \
      --summary-json "$work/real.json" "${common[@]}" $variant >"$work/swarm.log" 2>&1
    # shellcheck disable=SC2086
    build/murmur-sim --peers "$peers" --workload fmnist-logreg --data "$data" --until 500 \
      --sample-every 250 --json "${common[@]}" $variant >"$work/sim.json"
    mean='sum(d["test_accuracy_per_peer"]) / len(d["test_accuracy_per_peer"])'
    printf '%s | %s | %.4f | %.4f | %.4g | %.4g\n' "$peers" "$variant" \
      "$(field "$work/real.json" "$mean")" "$(field "$work/sim.json" 'd["accuracy"]')" \
      "$(field "$work/real.json" 'd["consensus_distance_final"]')" \
      "$(field "$work/sim.json" 'd["consensus_distance"]')"
  done
done
