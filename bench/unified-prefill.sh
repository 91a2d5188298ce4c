#!/usr/bin/env bash
# A prompt entering a unified KV cache that other sequences already fill, against split KV: the
# other half of issue 17 part 3 (bench/unified-attention.sh is the decode half). B sequences get
# an L-token prompt each, decoded one after another in ubatches of 512, so the k-th prompt's
# queries face the k-1 earlier prompts' cells. Prompts of 64 tokens or more take the CPU's tiled
# flash attention, which used to convert every 64x64 mask tile of the other sequences before
# skipping it (patch 0008 recognises them from the raw bits), and the host mask is n_tokens x
# n_kv (0009 builds it from one pass over the cells). One llama-batched-bench run per row and repeat:
#   runs: unified, everything on (the default)
#   split: one stream per sequence (the target)
#   and, with BASE_BIN=dir (a build without 0008/0009, e.g. a copy of build/bin made before), its
#   unified row.
# Usage: bash bench/unified-prefill.sh [L ...]   (default 1024 2048 4096; B=16, 2 threads,
#        best of REPEAT=2 runs per row, the rows in turn)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then LENGTHS=("$@"); else LENGTHS=(1024 2048 4096); fi
B="${B:-16}" THREADS="${THREADS:-2}"
source bench/lib/batched-bench.sh

run_once() { # bin kv L
  local bin=$1 kv=$2 L=$3
  "$bin/llama-batched-bench" -m "$MODEL" -c $(( B * (L + 64) + 512 )) -b 2048 -ub 512 -npp "$L" -ntg 4 -npl "$B" \
    $([ "$kv" = unified ] && echo -kvu) -t "$THREADS" -tb "$THREADS" -fa auto 2>/dev/null |
    awk -F'|' -v B="$B" '$4+0 == B && $2+0 > 0 { gsub(/ /, "", $7); print $7 }'
}

echo "model $MODEL, B = $B prompts of L tokens, $THREADS threads, best of ${REPEAT:-2}, $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf "| L | build | KV | S_PP t/s | vs split |\n|---|---|---|---|---|\n"
for L in "${LENGTHS[@]}"; do
  declare -A S=()
  names=(unified split)
  [ -n "${BASE_BIN:-}" ] && names+=(base-unified)
  for _ in $(seq "${REPEAT:-2}"); do
    for r in "${names[@]}"; do
      case $r in
        unified) s=$(run_once "$BIN" unified "$L") ;;
        split) s=$(run_once "$BIN" split "$L") ;;
        base-unified) s=$(run_once "$BASE_BIN" unified "$L") ;;
      esac
      S[$r]=$(best "$s" "${S[$r]:-0}")
    done
  done
  for r in "${names[@]}"; do
    case $r in
      unified) build=patched kv=unified ;;
      split) build=patched kv=split ;;
      base-unified) build=base kv=unified ;;
    esac
    printf "| %s | %s | %s | %s | %s |\n" "$L" "$build" "$kv" "${S[$r]}" "$(ratio "${S[$r]}" "${S[split]}")"
  done
  unset S
done
