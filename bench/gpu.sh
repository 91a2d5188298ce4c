#!/usr/bin/env bash
# GPU benchmark (issue 6), run from the repo root on a GPU machine, in under 9 minutes:
#  1. builds the addon and llama-batched-bench with CUDA for sm_90a (~4-5 min on 16 cores),
#  2. writes a Qwen2-7B-shaped Q4_K random model,
#  3. checks the GPU against the CPU on a short prompt (top token equal, log-probs within tolerance),
#  4. runs `rrm bench` (the command users run) at B = 32, 64, 128: shared 1024-token prompt, 128
#     tokens per sample, real sampling on the CPU and in the graph, unified and split KV, beside
#     llama-batched-bench with the same settings (--compare-llama), plus its SVG and JSON,
#  5. prints the table last. Full logs go to $OUT (or .out/).
# Without network: `bash scripts/pack-device.sh` here first, then carry .device.
# RRM_GPU_DRYRUN=1 runs steps 2-3 on the CPU with the tiny model (syntax and CPU-checkable parts).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/.out}"
mkdir -p "$OUT"
export RRM_MODEL_CACHE="${RRM_MODEL_CACHE:-$PWD/.models}"
t0=$(date +%s)
stamp() { echo "[gpu.sh +$(( $(date +%s) - t0 ))s] $*" | tee -a "$OUT/steps.log"; }

if [ -d .device ]; then
  if [ ! -f deps/llama.cpp/.rrm-source ]; then
    mkdir -p deps/llama.cpp && tar xzf .device/llama.cpp.tar.gz -C deps/llama.cpp && cp .device/.rrm-source deps/llama.cpp/
  fi
  [ -d node_modules ] || tar xzf .device/node_modules.tar.gz
fi

if [ "${RRM_GPU_DRYRUN:-0}" = "1" ]; then
  stamp "dry run: CPU only, tiny model"
  npx tsx bench/gpu-check.ts --shape tiny --dry-run 2>&1 | tee "$OUT/check.log"
  exit 0
fi

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt" || true
stamp "building with CUDA (sm_${CMAKE_CUDA_ARCHITECTURES:-90a})"
export CMAKE_CUDA_ARCHITECTURES="${CMAKE_CUDA_ARCHITECTURES:-90a}" RRM_JOBS="${RRM_JOBS:-$(nproc)}"
node scripts/build-native.mjs --cuda --tools > "$OUT/build.log" 2>&1 || { tail -50 "$OUT/build.log"; exit 1; }
stamp "built"
node bin/rrm.js info 2>&1 | tee "$OUT/info.log"

stamp "writing the Qwen2-7B-shaped Q4_K model"
npx tsx lib/cli/entry.ts make-model --shape 7b --type q4_k 2>&1 | tee "$OUT/model.log"
stamp "GPU vs CPU check"
npx tsx bench/gpu-check.ts --shape 7b 2>&1 | tee "$OUT/check.log"
stamp "rrm bench vs llama-batched-bench"
bench=(npx tsx lib/cli/entry.ts bench --shape 7b --type q4_k --gpu-layers 99 --prompt 1024 --gen 128
  --batch 32,64,128 --kv unified,split --sampling cpu,backend --batch-size 512 --compare-llama auto --no-progress)
"${bench[@]}" --svg "$OUT/bench.svg" --save-json "$OUT/bench.json" > "$OUT/table.md" 2> "$OUT/bench.log"
stamp "done"
echo
cat "$OUT/table.md"
