#!/usr/bin/env bash
# Installs the benchmark peer (node-llama-cpp 3.21.1) into bench/peer with only this platform's
# CPU binary: its optional CUDA/Vulkan builds are ~600 MB that a CPU benchmark does not use.
set -euo pipefail
cd "$(dirname "$0")/peer"
platform="$(node -p 'process.platform + "-" + process.arch' | sed 's/^darwin-arm64$/mac-arm64-metal/; s/^darwin-x64$/mac-x64/; s/^win32-/win-/')"
npm install --no-save --no-audit --no-fund --omit=optional "node-llama-cpp@3.21.1" "@node-llama-cpp/${platform}@3.21.1"
