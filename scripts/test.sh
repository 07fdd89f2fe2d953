#!/usr/bin/env bash
# Sets up what is missing, then runs every test with node's built-in runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mapfile -t files < <(find dist/src -name '*.test.js' | sort)
# One test file at a time: libtorch already uses every core, and the memory test measures RSS.
exec node --test --test-concurrency=1 "${files[@]}"
