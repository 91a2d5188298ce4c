#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer, clang, ASan + UBSan) of the native code that takes outside
# bytes (native/fuzz/): the tokenizer guard and llama.cpp's GGUF parser.
#   bash scripts/fuzz-native.sh [--runs N] [--seconds S] [target ...]   # targets: tokenizer gguf
# Needs clang and its runtimes (Debian: apt-get install clang libclang-rt-14-dev). Builds
# build-fuzz/ once (llama.cpp statically with clang, ~10 min on 2 cores), then runs each target
# N executions (default 200000) or S seconds, whichever ends first, from the committed seed corpus
# (test/fuzz/corpus/<target>/) plus what earlier runs found (build-fuzz/corpus/<target>/, kept).
# A crash leaves its input in build-fuzz/crashes/ and fails the run: copy it to
# test/fuzz/regressions/<target>/ (scripts/fuzz-native.sh replays those first, every run).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=200000 seconds=600 targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    tokenizer|gguf) targets+=("$1"); shift ;;
    *) echo "unknown argument $1 (use --runs N, --seconds S, tokenizer, gguf)" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(tokenizer gguf)
command -v clang++ >/dev/null || { echo "clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
# tokenizer_fuzz links the product's own llama.cpp (native/fuzz/CMakeLists.txt says why).
[ -f build/bin/libllama.so ] || { echo "no build/bin/libllama.so: run npm install (or npm run build:native) first" >&2; exit 2; }
node scripts/llama-source.mjs >/dev/null
out=build-fuzz
cmake -S native/fuzz -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$out" --parallel "${RRM_JOBS:-$(nproc)}" --target tokenizer_fuzz gguf_fuzz | grep -v '^\[' || true
# The vocabulary (real Qwen2 BPE + DeepSeek-R1 special tokens) and a valid GGUF seed.
vocab=$(node --import tsx -e 'import { makeTestModel } from "./lib/testmodel/make-model.ts"; console.log(makeTestModel({ shape: "tiny", type: "q8_0", vocabulary: "rrm" }))')
node --import tsx test/fuzz/gguf-seed.ts "$out/seed/gguf"
export RRM_FUZZ_VOCAB=$vocab
# Huge allocations a damaged header asks for are refused (NULL), as in a normal process, not fatal.
export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
mkdir -p "$out/crashes"
status=0
for t in "${targets[@]}"; do
  bin="$out/${t}_fuzz"
  mkdir -p "$out/corpus/$t"
  seeds=(test/fuzz/corpus/$t)
  [ -d "$out/seed/$t" ] && seeds+=("$out/seed/$t")
  # Earlier crashes first: each must now pass.
  if [ -d "test/fuzz/regressions/$t" ] && [ -n "$(ls -A "test/fuzz/regressions/$t")" ]; then
    "$bin" -runs=0 "test/fuzz/regressions/$t"/* >/dev/null 2>"$out/$t.regressions.log" || { echo "FAIL  $t: a committed regression input crashes again ($out/$t.regressions.log)"; status=1; continue; }
  fi
  dict=()
  [ -f "test/fuzz/$t.dict" ] && dict=(-dict="test/fuzz/$t.dict")
  start=$(date +%s)
  if "$bin" "${dict[@]}" -runs="$runs" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=4096 -malloc_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$out/crashes/$t-" "$out/corpus/$t" "${seeds[@]}" >"$out/$t.log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t.log" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$out/$t.log" | tail -1)
    echo "ok    $t: $execs executions in $(( $(date +%s) - start )) s, 0 crashes, $cov edges, corpus $(ls "$out/corpus/$t" | wc -l) inputs"
  else
    echo "FAIL  $t: see $out/$t.log; the input is in $out/crashes/"
    grep -E 'ERROR|SUMMARY|runtime error|tokenizer_fuzz:' "$out/$t.log" | head -5
    status=1
  fi
done
exit $status
