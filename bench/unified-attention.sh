#!/usr/bin/env bash
# Unified vs split KV decode on the CPU, the cost issue 17 part 3 is about: B sequences share one
# prompt and each decodes L tokens. In a unified cache a query used to visit every sequence's
# cells; with patches 0006 (masked cells skipped four at a time) and 0007 (each sequence's cells in
# runs) it should cost about its own. One llama-batched-bench run per row, all in one invocation:
#   unified, placement as before (LLAMA_KV_RUN=0: 0006 only)
#   unified, run placement (the default: 0006 + 0007)
#   split (one stream per sequence: the target)
#   and, with BASE_BIN=dir (a build without 0006/0007, e.g. a copy of build/bin made before), its
#   unified and split rows.
# Usage: bash bench/unified-attention.sh [L ...]   (default 512 2048; B=16, prompt 600, 2 threads,
#        best of REPEAT=2 runs per row)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then LENGTHS=("$@"); else LENGTHS=(512 2048); fi
B="${B:-16}" PROMPT="${PROMPT:-600}" THREADS="${THREADS:-2}"
MODEL="${MODEL:-$(npx tsx lib/cli/entry.ts make-model --shape tiny --type q8_0 2>/dev/null)}"
BIN="${BIN:-build/bin}"

# The best of REPEAT runs (default 2): this machine's neighbours move single runs by 10-15%.
run() { # bin kv L [env...]
  local best=0 s
  for _ in $(seq "${REPEAT:-2}"); do
    s=$(run_once "$@")
    best=$(awk -v a="$s" -v b="$best" 'BEGIN { print (a > b ? a : b) }')
  done
  echo "$best"
}

run_once() { # bin kv L [env...]
  local bin=$1 kv=$2 L=$3; shift 3
  local ctx
  if [ "$kv" = unified ]; then ctx=$(( PROMPT + B * (L + 64) + 512 )); else ctx=$(( B * (PROMPT + L + 64) + 512 )); fi
  env "$@" "$bin/llama-batched-bench" -m "$MODEL" -c "$ctx" -b 2048 -ub 512 -npp "$PROMPT" -ntg "$L" -npl "$B" -pps \
    $([ "$kv" = unified ] && echo -kvu) -t "$THREADS" -tb "$THREADS" -fa auto 2>/dev/null |
    awk -F'|' -v B="$B" '$4+0 == B && $2+0 > 0 { gsub(/ /, "", $9); print $9 }'
}

echo "model $MODEL, B = $B, shared prompt $PROMPT, $THREADS threads, best of ${REPEAT:-2}, $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf "| L | build | KV | placement | S_TG t/s | vs split |\n|---|---|---|---|---|---|\n"
for L in "${LENGTHS[@]}"; do
  split=$(run "$BIN" split "$L")
  rows=()
  for r in ${ROWS:-interleaved mask-per-token runs split}; do
    case $r in
      interleaved) rows+=("patched|unified|interleaved|$(run "$BIN" unified "$L" LLAMA_KV_RUN=0)") ;;
      mask-per-token) rows+=("patched|unified|runs of 64, mask per token|$(run "$BIN" unified "$L" LLAMA_KV_MASK_BY_CELL=0)") ;;
      runs) rows+=("patched|unified|runs of 64|$(run "$BIN" unified "$L")") ;;
      split) rows+=("patched|split|own stream|$split") ;;
    esac
  done
  if [ -n "${BASE_BIN:-}" ]; then
    base_split=$(run "$BASE_BIN" split "$L")
    rows+=("base|unified|interleaved|$(run "$BASE_BIN" unified "$L")" "base|split|own stream|$base_split")
  fi
  for r in "${rows[@]}"; do
    IFS='|' read -r build kv place s <<< "$r"
    printf "| %s | %s | %s | %s | %s | %s |\n" "$L" "$build" "$kv" "$place" "$s" "$(awk -v a="$s" -v b="$split" 'BEGIN { printf "%.2fx", a / b }')"
  done
done
