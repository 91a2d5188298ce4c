#!/usr/bin/env bash
# GPU benchmark, run from the repo root on a GPU machine, in under 10 minutes (issue 18):
#  1. builds with the GPU backend: CUDA for sm_90a into build/ with llama-batched-bench (~4-5 min
#     on 16 cores), or Vulkan as the package ships it (build-vulkan/, beside the CPU build),
#  2. writes the model: Qwen2-7B-shaped Q4_K (or the tiny one for a rehearsal),
#  3. checks the GPU against the CPU on a short prompt (greedy token equal, log-probs within
#     tolerance: bench/gpu-check.ts),
#  4. runs `rrm bench` (the command users run): shared prompt, B = 1/8/32/64/128, unified and split
#     KV, sampling on the CPU and in the graph, beside llama-batched-bench with the same settings
#     (--compare-llama), writing the calibration that kvMode "auto" reads (--calibrate),
#  5. prints the table last. Logs, JSON and SVG go to $OUT (or .out/).
# Settings (environment):
#   RRM_GPU_KIND     cuda | vulkan | cuda,vulkan   (default cuda; vulkan needs glslc, libvulkan-dev)
#   RRM_GPU_SHAPE    7b | tiny                     (default 7b; tiny rehearses the script)
#   RRM_GPU_BATCHES  (default 1,8,32,64,128)   RRM_GPU_PROMPT (1024)   RRM_GPU_GEN (128)
# Rehearsal on Mesa's lavapipe (no GPU; Vulkan on the CPU, as llama.cpp's CI runs it):
#   GGML_VK_VISIBLE_DEVICES=0 GGML_VK_DISABLE_F16=1 RRM_GPU_KIND=vulkan RRM_GPU_SHAPE=tiny \
#     RRM_GPU_PROMPT=64 RRM_GPU_GEN=16 RRM_GPU_BATCHES=1,8 bash bench/gpu.sh
# Without network: `bash scripts/pack-device.sh` here first, then carry .device.
# RRM_GPU_DRYRUN=1 runs the check on the CPU with the tiny model (syntax and CPU-checkable parts).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/.out}"
mkdir -p "$OUT"
export RRM_MODEL_CACHE="${RRM_MODEL_CACHE:-$PWD/.models}"
KINDS="${RRM_GPU_KIND:-cuda}"
SHAPE="${RRM_GPU_SHAPE:-7b}"
TYPE=$([ "$SHAPE" = 7b ] && echo q4_k || echo q8_0)
BATCHES="${RRM_GPU_BATCHES:-1,8,32,64,128}"
PROMPT="${RRM_GPU_PROMPT:-1024}"
GEN="${RRM_GPU_GEN:-128}"
export RRM_JOBS="${RRM_JOBS:-$(nproc)}"
t0=$(date +%s)
stamp() { echo "[gpu.sh +$(( $(date +%s) - t0 ))s] $*" | tee -a "$OUT/steps.log"; }
rrm() { node bin/rrm.js "$@"; }

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

build() {
  case "$1" in
    cuda)
      export CMAKE_CUDA_ARCHITECTURES="${CMAKE_CUDA_ARCHITECTURES:-90a}"
      stamp "building with CUDA (sm_$CMAKE_CUDA_ARCHITECTURES) into build/"
      node scripts/build-native.mjs --cuda --tools > "$OUT/build-cuda.log" 2>&1 || { tail -50 "$OUT/build-cuda.log"; exit 1; } ;;
    vulkan)
      command -v glslc > /dev/null || { stamp "vulkan skipped: no glslc (apt-get install glslc libvulkan-dev spirv-headers)"; return 1; }
      stamp "building the Vulkan library (build-vulkan/) beside the addon and llama-batched-bench (build/)"
      { { [ -f build/bin/rrm-engine.node ] && [ -x build/bin/llama-batched-bench ]; } || node scripts/build-native.mjs --tools
        node scripts/build-native.mjs --vulkan --backend-only --out build-vulkan; } > "$OUT/build-vulkan.log" 2>&1 || { tail -50 "$OUT/build-vulkan.log"; exit 1; }
      export RRM_BACKEND_DIR="$PWD/build-vulkan/bin" ;;
  esac
  stamp "built"
  # Only this kind's library loads (a CUDA build leaves libggml-cuda.so beside the addon).
  export RRM_GPU="$1"
}

stamp "writing the $SHAPE-shaped $TYPE model"
npx tsx lib/cli/entry.ts make-model --shape "$SHAPE" --type "$TYPE" > "$OUT/model.log" 2>&1
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt" || true

tables=()
for kind in ${KINDS//,/ }; do
  unset RRM_GPU  # build-native.mjs reads it as the kind to build
  build "$kind" || continue
  rrm info 2>&1 | tee "$OUT/info-$kind.log"
  grep -q "GPU library $kind: loaded" "$OUT/info-$kind.log" || { stamp "$kind: the backend did not load (see $OUT/info-$kind.log)"; exit 1; }
  stamp "$kind: GPU vs CPU check"
  npx tsx bench/gpu-check.ts --shape "$SHAPE" 2>&1 | tee "$OUT/check-$kind.log"
  # Backend sampling is refused on Vulkan (a llama.cpp bug there: patches/README.md).
  samplings=$([ "$kind" = vulkan ] && echo cpu || echo cpu,backend)
  stamp "$kind: rrm bench vs llama-batched-bench (B = $BATCHES, prompt $PROMPT shared, $GEN tokens each)"
  rrm bench --shape "$SHAPE" --type "$TYPE" --gpu-layers 999 --prompt "$PROMPT" --gen "$GEN" \
    --batch "$BATCHES" --kv unified,split --sampling "$samplings" --batch-size 512 --compare-llama auto \
    --calibrate --no-progress --svg "$OUT/bench-$kind.svg" --save-json "$OUT/bench-$kind.json" \
    > "$OUT/table-$kind.md" 2> "$OUT/bench-$kind.log" || { tail -30 "$OUT/bench-$kind.log"; exit 1; }
  grep -h "calibration:" "$OUT/bench-$kind.log" || true
  tables+=("$kind")
done
stamp "done"
for kind in "${tables[@]}"; do
  echo
  echo "## $kind: $(grep -h '^device Vulkan0\|^device CUDA0' "$OUT/info-$kind.log" | head -1)"
  grep -h "CHECK" "$OUT/check-$kind.log" || true
  cat "$OUT/table-$kind.md"
done
