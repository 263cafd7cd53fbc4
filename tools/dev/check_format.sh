#!/usr/bin/env bash
# clang-format --dry-run -Werror over every C++ source (STYLE.md §10).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v clang-format >/dev/null; then
  echo "format: clang-format not installed (tools/dev/setup.sh installs it)"
  exit 1
fi
files=$(git ls-files '*.h' '*.cc' '*.cu' 2>/dev/null || find . -name '*.h' -o -name '*.cc')
clang-format --dry-run -Werror $files
echo "format: ok ($(echo "$files" | wc -w) files)"
