#!/usr/bin/env bash
# Unified vs split KV decode on the CPU, the cost issue 17 part 3 is about: B sequences share one
# prompt and each decodes L tokens. In a unified cache a query used to visit every sequence's
# cells; with patches 0006 (masked cells skipped in groups), 0007 (each sequence's cells in runs)
# and 0009 (the mask built from one pass over the cells) it should cost about its own. One
# llama-batched-bench run per row and repeat, all in one invocation (ROWS picks, default all four):
#   interleaved: unified, placement as before (LLAMA_KV_RUN=0)
#   mask-per-token: unified, run placement, the mask built per token (LLAMA_KV_MASK_BY_CELL=0)
#   runs: unified, everything on (the default)
#   split: one stream per sequence (the target)
#   and, with BASE_BIN=dir (a build without 0006-0010, e.g. a copy of build/bin made before), its
#   unified and split rows.
# Usage: bash bench/unified-attention.sh [L ...]   (default 512 2048; B=16, prompt 600, 2 threads,
#        best of REPEAT=2 runs per row, the rows in turn)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then LENGTHS=("$@"); else LENGTHS=(512 2048); fi
B="${B:-16}" PROMPT="${PROMPT:-600}" THREADS="${THREADS:-2}"
source bench/lib/batched-bench.sh

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
  declare -A S=()
  names=()
  for r in ${ROWS:-interleaved mask-per-token runs split}; do names+=("$r"); done
  [ -n "${BASE_BIN:-}" ] && names+=(base-unified base-split)
  for _ in $(seq "${REPEAT:-2}"); do
    for r in "${names[@]}"; do
      case $r in
        interleaved) s=$(run_once "$BIN" unified "$L" LLAMA_KV_RUN=0) ;;
        mask-per-token) s=$(run_once "$BIN" unified "$L" LLAMA_KV_MASK_BY_CELL=0) ;;
        runs) s=$(run_once "$BIN" unified "$L") ;;
        split) s=$(run_once "$BIN" split "$L") ;;
        base-unified) s=$(run_once "$BASE_BIN" unified "$L") ;;
        base-split) s=$(run_once "$BASE_BIN" split "$L") ;;
      esac
      S[$r]=$(best "$s" "${S[$r]:-0}")
    done
  done
  split=${S[split]:-}
  [ -n "$split" ] || split=$(run_once "$BIN" split "$L")
  for r in "${names[@]}"; do
    case $r in
      interleaved) row="patched|unified|interleaved" ;;
      mask-per-token) row="patched|unified|runs of 64, mask per token" ;;
      runs) row="patched|unified|runs of 64" ;;
      split) row="patched|split|own stream" ;;
      base-unified) row="base|unified|interleaved" ;;
      base-split) row="base|split|own stream" ;;
    esac
    IFS='|' read -r build kv place <<< "$row"
    printf "| %s | %s | %s | %s | %s | %s |\n" "$L" "$build" "$kv" "$place" "${S[$r]}" "$(ratio "${S[$r]}" "$split")"
  done
  unset S
done
