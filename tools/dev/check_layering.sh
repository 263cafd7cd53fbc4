#!/usr/bin/env bash
# The dependency rule of ARCHITECTURE.md §2: tools → peer → {gossip, sync, compression, momentum}
# → runtime. Algorithm folders never include each other or anything above; ZeroMQ and Cap'n Proto
# only in peer/; no torch in gossip/; no foreign internal/ headers; no leftover debug markers.
set -uo pipefail
cd "$(dirname "$0")/../.."
fail=0
report() { echo "layering: $*"; fail=1; }
sources() { find "$1" \( -name '*.h' -o -name '*.cc' -o -name '*.cu' \) 2>/dev/null; }

allowed_runtime="runtime"
allowed_algorithm="runtime"
for dir in runtime momentum compression sync gossip; do
  allowed=$([ "$dir" = runtime ] && echo "$allowed_runtime" || echo "$allowed_algorithm|$dir")
  while IFS= read -r file; do
    grep -nE '#include\s*"[a-z_]+/' "$file" | while IFS= read -r line; do
      folder=$(echo "$line" | sed -E 's/.*#include\s*"([a-z_]+)\/.*/\1/')
      if ! echo "$folder" | grep -qxE "$allowed"; then
        echo "layering: $file includes \"$folder/...\": $line"
      fi
    done
    if grep -nE '#include\s*[<"](zmq|capnp/|kj/|boost/)' "$file"; then
      report "$file uses ZeroMQ/Cap'n Proto/Boost outside peer/"
    fi
  done < <(sources "$dir")
done | tee /tmp/murmur-layering.$$
[ -s /tmp/murmur-layering.$$ ] && fail=1
rm -f /tmp/murmur-layering.$$

while IFS= read -r file; do
  if grep -nE '#include\s*[<"](ATen|torch|c10)' "$file"; then
    report "$file: gossip/ never touches tensors"
  fi
done < <(sources gossip)

while IFS= read -r file; do
  if grep -nE '#include\s*"tools/' "$file"; then
    report "$file: peer/ must not include tools/"
  fi
done < <(sources peer)

if grep -rnE 'MURMUR_DBG|TODO\(now\)' runtime momentum compression sync gossip peer tools tests \
     --include='*.h' --include='*.cc' --include='*.cu'; then
  report "MURMUR_DBG or TODO(now) left in the tree"
fi

if [ $fail -ne 0 ]; then
  exit 1
fi
echo "layering: ok"
