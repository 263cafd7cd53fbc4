#!/usr/bin/env bash
# murmur-sim against real `murmur swarm` runs on the same workload (issue 8): softmax regression
# on Fashion-MNIST with label-sorted shards, ring, 500 steps of batch 32 at lr 0.05, plain SGD.
# Every variant runs SEEDS times both ways (seeds 1..SEEDS); per variant it prints the mean and
# spread of the mean local test accuracy and the final consensus distance, then, per swarm size,
# the variants ranked by accuracy both ways. Two variants whose means differ by less than the
# larger of their spreads (standard deviations) count as tied: an order between them is noise.
# Usage: [SEEDS=3] tools/bench/sim_agreement.sh [PEERS...]   (default: 4 8; needs build/)
set -euo pipefail
cd "$(dirname "$0")/../.."
data=/usr/share/datasets/fashion-mnist
seeds=${SEEDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(--shard label-sorted --lr 0.05 --topology ring)
field() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
variants=("--no-gossip" "--no-momentum --rate 0.1" "--no-momentum --rate 1" "--rate 1")
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(4 8)
results="$work/results.tsv"
for peers in "${sizes[@]}"; do
  for variant in "${variants[@]}"; do
    for seed in $(seq 1 "$seeds"); do
      echo "peers $peers, $variant, seed $seed" >&2
      # shellcheck disable=SC2086  # variant holds several flags
      build/murmur swarm --peers "$peers" --model logreg --data "$data" --steps 500 --batch 32 \
        --momentum 0 --warmup 0 --eval-interval 0 --no-table --run-dir "$work/run" \
        --seed "$seed" --summary-json "$work/real.json" "${common[@]}" $variant \
        >"$work/swarm.log" 2>&1
      # shellcheck disable=SC2086
      build/murmur-sim --peers "$peers" --workload fmnist-logreg --data "$data" --until 500 \
        --sample-every 250 --seed "$seed" --json "${common[@]}" $variant >"$work/sim.json"
      mean='sum(d["test_accuracy_per_peer"]) / len(d["test_accuracy_per_peer"])'
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$peers" "$variant" \
        "$(field "$work/real.json" "$mean")" "$(field "$work/sim.json" 'd["accuracy"]')" \
        "$(field "$work/real.json" 'd["consensus_distance_final"]')" \
        "$(field "$work/sim.json" 'd["consensus_distance"]')" >>"$results"
    done
  done
done
/usr/bin/python3 - "$results" "$seeds" <<'EOF'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
seeds = sys.argv[2]
runs = {}
for peers, variant, *values in rows:
    runs.setdefault((int(peers), variant), []).append([float(v) for v in values])
def stat(values):
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.mean(values), sd
print(f"peers | variant | real accuracy | sim accuracy | real consensus distance | "
      f"sim consensus distance   (mean ± sd over {seeds} seeds)")
for (peers, variant), vals in runs.items():
    cols = [stat([v[k] for v in vals]) for k in range(4)]
    print(f"{peers} | {variant} | " + " | ".join(
        f"{m:.4f} ± {s:.4f}" if k < 2 else f"{m:.3g} ± {s:.2g}" for k, (m, s) in enumerate(cols)))
def ranking(peers, k):
    entries = sorted(((stat([v[k] for v in vals]), variant)
                      for (p, variant), vals in runs.items() if p == peers), reverse=True)
    text = entries[0][1]
    for (above, _), ((m, s), variant) in zip(entries, entries[1:]):
        tied = above[0] - m < max(above[1], s)
        text += (" ~ " if tied else " > ") + variant
    return entries, text
for peers in sorted({p for p, _ in runs}):
    real, real_text = ranking(peers, 0)
    sim, sim_text = ranking(peers, 1)
    # The orders agree when every pair the one separates (beyond the spreads) the other does not
    # separate the other way round.
    def separated(entries):
        pairs = set()
        for i, ((mi, si), vi) in enumerate(entries):
            for (mj, sj), vj in entries[i + 1:]:
                if mi - mj >= max(si, sj):
                    pairs.add((vi, vj))
        return pairs
    a, b = separated(real), separated(sim)
    clash = [(x, y) for x, y in a if (y, x) in b]
    print(f"{peers} peers, real: {real_text}")
    print(f"{peers} peers, sim:  {sim_text}")
    print(f"{peers} peers: " + ("the orders agree" if not clash else f"the orders disagree on {clash}"))
EOF
