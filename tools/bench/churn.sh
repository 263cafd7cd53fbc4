#!/usr/bin/env bash
# Compute time waiting on comm with and without churn: 4 `murmur run` peers (mlp, Fashion-MNIST,
# 4000 steps); with churn, peer3 is kill -9'ed at 12 s and a peer joins at 15 s. Prints each
# survivor's steps, training seconds, compute-wait seconds and final members.
# Usage: tools/bench/churn.sh OUT_DIR 0|1   (from the repository root, after building)
set -euo pipefail
murmur="$(pwd)/build/murmur"
out="$1"
churn="$2"
mkdir -p "$out" && cd "$out"
printf 'tcp://127.0.0.1:18300 peer0\ntcp://127.0.0.1:18302 peer1\ntcp://127.0.0.1:18304 peer2\ntcp://127.0.0.1:18306 peer3\n' >peers.txt
pids=()
for i in 0 1 2 3; do
  "$murmur" run --peers peers.txt --name "peer$i" --model mlp --steps 4000 --eval-interval 0 \
    --summary-json "peer$i.json" >"peer$i.log" 2>&1 &
  pids+=($!)
done
if [ "$churn" = 1 ]; then
  sleep 12
  kill -9 "${pids[3]}"
  sleep 3
  "$murmur" run --join tcp://127.0.0.1:18300 --name late --bind tcp://127.0.0.1:18310 \
    --model mlp --steps 1500 --eval-interval 0 --summary-json late.json >late.log 2>&1 &
fi
wait || true
for p in peer0 peer1 peer2; do
  python3 -c "import json; d = json.load(open('$p.json')); print('$p', d['steps'], \
round(d['train_seconds'], 2), round(d['compute_wait_seconds'], 3), d['final_members'])"
done
