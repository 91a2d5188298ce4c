# Shared by bench/unified-attention.sh and bench/unified-prefill.sh (sourced): the model, the
# llama-batched-bench binaries checked, and the best-of helper. Rows are taken in turn within
# each repeat: this machine's neighbours move single runs by 10-15% for minutes at a time, so
# rows run back to back would compare one quiet spell with one busy spell.
MODEL="${MODEL:-$(npx tsx lib/cli/entry.ts make-model --shape tiny --type q8_0 2>/dev/null)}"
BIN="${BIN:-build/bin}"
for b in "$BIN" ${BASE_BIN:+"$BASE_BIN"}; do
  [ -x "$b/llama-batched-bench" ] || { echo "$b/llama-batched-bench not found: build it with npm run build:tools" >&2; exit 2; }
done
best() { awk -v a="$1" -v b="${2:-0}" 'BEGIN { print (a > b ? a : b) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
