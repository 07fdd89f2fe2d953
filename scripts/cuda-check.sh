#!/usr/bin/env bash
# The CUDA build check, for a machine with a GPU and PyTorch's CUDA wheel (node, node_modules and
# dist/ already in place): builds the native addon against that wheel's libtorch (Gloo headers
# from GLOO_INCLUDE or /usr/include, nccl.h from the nvidia-nccl wheel), then runs an NCCL
# process group + DDP smoke check, the fcn_r18-d8 step on the GPU against PyTorch, and the
# tensor-level tests with SEGKIT_PYTHON pointing at the same PyTorch. Logs go to ${OUT:-build/cuda-check}.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-build/cuda-check}; mkdir -p "$OUT"
T0=$(date +%s); step() { echo "[+$(( $(date +%s) - T0 ))s] $*"; }
PY=${SEGKIT_PYTHON:-$(command -v python3)}
TORCH=$("$PY" -c 'import torch, os; print(os.path.dirname(torch.__file__))') || { echo "no torch in $PY"; exit 1; }
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "(no GPU visible)")'
step "node $(node --version), $(g++ --version | head -1), $(cmake --version | head -1)"
export LIBTORCH=$TORCH
GEN=(); command -v ninja >/dev/null && GEN=(-G Ninja)
cmake -S native -B build/native "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release ${NODE_INCLUDE:+-DCMAKE_JS_INC=$NODE_INCLUDE} >"$OUT/cmake.log" 2>&1 \
  || { tail -40 "$OUT/cmake.log"; exit 1; }
grep -E "segkit|Found Torch" "$OUT/cmake.log"
cmake --build build/native -j "$(nproc)" >"$OUT/build.log" 2>&1 || { grep -E "error|FAILED" "$OUT/build.log" | head -60; exit 2; }
mkdir -p build/native/Release && cp build/native/segkit_native.node build/native/Release/ 2>/dev/null
step "built"
export SEGKIT_PYTHON=$PY
node -e "import('./dist/src/torch/index.js').then((t) => console.log('libtorch', t.libtorchVersion(), 'cuda devices', t.cuda.deviceCount()))"
step "NCCL + DDP"; timeout 60 node scripts/cuda-nccl-check.mjs 2>&1 | tail -8
step "fcn_r18-d8 step on the GPU"
SEGKIT_BENCH_DEVICE=cuda timeout 120 node dist/bench/fcn-r18-step.js 2>&1 | tail -2
SEGKIT_BENCH_DEVICE=cuda timeout 120 node -e "import('./dist/bench/fcn-r18-step.js').then(async (m) => { const r = await m.benchFcnR18Step({ batch: 16, size: 256, steps: 10, rounds: 2 }); console.log(r.name, 'segkit', r.segkitMs.toFixed(2), 'ms, PyTorch', r.pytorchMs.toFixed(2), 'ms, ratio', r.ratio.toFixed(3)); })"
step "tensor-level tests"
timeout 240 node --test --test-concurrency="$(nproc)" dist/src/torch/ >"$OUT/torch-tests.log" 2>&1
grep -E "^# (tests|pass|fail|skipped)" "$OUT/torch-tests.log"; grep -E "^not ok|^ +not ok" "$OUT/torch-tests.log" | head -30
step "done"
