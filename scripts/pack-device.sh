#!/usr/bin/env bash
# Packs what bench/gpu.sh needs on a GPU machine that has no network into .device/ (git-ignored,
# < 64 MiB): the llama.cpp source subset the build uses, and node_modules without TypeScript.
# Then, with the device tool: run(command="bash bench/gpu.sh", carry=[".device"]).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .device && mkdir -p .device
git -C deps/llama.cpp archive HEAD src include ggml common tools/batched-bench tools/CMakeLists.txt \
  examples/simple cmake CMakeLists.txt vendor models/ggml-vocab-qwen2.gguf licenses LICENSE | gzip -1 > .device/llama.cpp.tar.gz
cp deps/llama.cpp/.rrm-source .device/
tar czf .device/node_modules.tar.gz --exclude node_modules/typescript --exclude 'node_modules/@types' node_modules
du -sh .device/*
