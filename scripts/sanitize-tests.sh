#!/usr/bin/env bash
# Runs the native and reliability tiers on the sanitizer build: AddressSanitizer with
# LeakSanitizer and UndefinedBehaviorSanitizer (no recovery) over llama.cpp and our addon.
#   npm run build:native -- --sanitize address,undefined   # build-sanitize/ (once)
#   bash scripts/sanitize-tests.sh [FILTER...]              # default: the native and reliability tiers
# Node itself is not instrumented, so the ASan runtime is preloaded (LD_PRELOAD) before the addon
# loads; the suppressions in scripts/sanitize/ cover Node's and V8's own reports, each explained.
set -euo pipefail
cd "$(dirname "$0")/.."
addon=build-sanitize/bin/rrm-engine.node
[ -f "$addon" ] || { echo "no $addon: run npm run build:native -- --sanitize address,undefined" >&2; exit 2; }
asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
export RRM_ADDON_PATH="$PWD/$addon"
# V8 reserves huge virtual ranges and installs its own signal handlers: keep ASan out of both.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:allow_user_segv_handler=1:handle_segv=0:use_sigaltstack=0:detect_odr_violation=0:fast_unwind_on_malloc=1:malloc_context_size=6:log_path=${SANITIZE_LOG_DIR:-/tmp}/rrm-asan"
export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitize/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/scripts/sanitize/ubsan.supp:log_path=${SANITIZE_LOG_DIR:-/tmp}/rrm-ubsan"
rm -f "${SANITIZE_LOG_DIR:-/tmp}"/rrm-asan.* "${SANITIZE_LOG_DIR:-/tmp}"/rrm-ubsan.*
filters=("$@")
[ ${#filters[@]} -gt 0 ] || filters=(test/native/ test/reliability/)
start=$(date +%s)
status=0
# Only node gets the runtimes preloaded (and every process it starts, by inheritance), not this shell.
LD_PRELOAD="$asan:$ubsan" node scripts/run-tests.mjs "${filters[@]}" || status=$?
echo "sanitized run: $(( $(date +%s) - start )) s"
reports=$(ls "${SANITIZE_LOG_DIR:-/tmp}"/rrm-asan.* "${SANITIZE_LOG_DIR:-/tmp}"/rrm-ubsan.* 2>/dev/null || true)
if [ -n "$reports" ]; then
  echo "sanitizer reports:"; for f in $reports; do echo "== $f"; head -60 "$f"; done
  exit 1
fi
exit $status
