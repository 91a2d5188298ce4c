#!/usr/bin/env bash
# The long runs CI cannot afford on every push (.github/workflows/nightly.yml runs this weekly;
# figures in RELIABILITY.md). Each step prints its own summary; the script fails if any step does.
#   bash scripts/nightly.sh [step ...]   # steps: sanitize fuzz-native fuzz-parsers damaged-gguf soak http-fuzz serve-soak
# Needs what `npm install` builds, plus clang (fuzz-native) and the sanitizer build (sanitize,
# built here if absent).
set -uo pipefail
cd "$(dirname "$0")/.."
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(sanitize fuzz-native fuzz-parsers damaged-gguf soak http-fuzz serve-soak)
failed=()
run() {
  local name=$1; shift
  echo "== $name: $*"
  local t0=$(date +%s)
  if "$@"; then echo "== $name: ok in $(( $(date +%s) - t0 )) s"; else echo "== $name: FAILED after $(( $(date +%s) - t0 )) s"; failed+=("$name"); fi
}
for s in "${steps[@]}"; do
  case "$s" in
    sanitize)
      [ -f build-sanitize/bin/rrm-engine.node ] || node scripts/build-native.mjs --sanitize address,undefined || { failed+=(sanitize-build); continue; }
      run sanitize bash scripts/sanitize-tests.sh ;;
    fuzz-native) run fuzz-native bash scripts/fuzz-native.sh --runs 2000000 --seconds 1800 ;;
    fuzz-parsers) run fuzz-parsers node --import tsx test/fuzz/run.ts --runs 100000 ;;
    damaged-gguf) run damaged-gguf env RRM_FUZZ_CASES=10000 RRM_TEST_VERBOSE=1 node scripts/run-tests.mjs test/reliability/fuzz.test.ts ;;
    soak) run soak node --expose-gc --import tsx bench/soak.ts ;;
    http-fuzz) run http-fuzz node --import tsx bench/http-fuzz.ts --requests 10000 ;;
    serve-soak) run serve-soak node --import tsx bench/http-fuzz.ts --soak --requests 20000 ;;
    *) echo "unknown step $s (sanitize fuzz-native fuzz-parsers damaged-gguf soak http-fuzz serve-soak)" >&2; exit 2 ;;
  esac
done
if [ ${#failed[@]} -gt 0 ]; then echo "nightly: failed: ${failed[*]}"; exit 1; fi
echo "nightly: all passed"
