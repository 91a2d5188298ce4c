// The GPU tier runs llama.cpp's Vulkan backend on Mesa's lavapipe, a Vulkan 1.3 driver that runs on
// the CPU, the way llama.cpp's own CI runs it (build-vulkan.yml, job ubuntu-llvmpipe):
// - GGML_VK_VISIBLE_DEVICES=0: ggml-vulkan skips CPU-type devices unless a device is named;
// - GGML_VK_DISABLE_F16=1: lavapipe's f16 shader path drifts (a batched f16 matmul was ~5e-2 off);
// - RRM_BACKEND_DIR: the loader finds build-vulkan/bin/libggml-vulkan.so (npm run build:vulkan)
//   as it finds an installed @rrm-engine/<platform>-vulkan package.
// Mesa caches compiled shaders (~/.cache/mesa_shader_cache), so only the first file pays for them.
import { join } from "node:path";
import type { SystemTool } from "./system-tools.js";

const root = join(import.meta.dirname, "..", "..");
export const VULKAN_BUILD_DIR = join(root, "build-vulkan", "bin");

export const LAVAPIPE: SystemTool = {
  name: "lavapipe (Mesa's Vulkan driver on the CPU)",
  candidates: ["/usr/share/vulkan/icd.d/lvp_icd.x86_64.json", "/usr/share/vulkan/icd.d/lvp_icd.aarch64.json"],
  install: "apt-get install mesa-vulkan-drivers",
};

export const VULKAN_LIBRARY: SystemTool = {
  name: "the Vulkan backend library (build-vulkan/bin/libggml-vulkan.so)",
  candidates: [join(VULKAN_BUILD_DIR, "libggml-vulkan.so")],
  install: "apt-get install libvulkan-dev glslc spirv-headers, then npm run build:vulkan",
};

export const LAVAPIPE_ENV = { GGML_VK_VISIBLE_DEVICES: "0", GGML_VK_DISABLE_F16: "1" } as const;

/** Sets the environment before the addon loads (ggml-vulkan reads it when it starts). */
export function useLavapipe(backendDir = VULKAN_BUILD_DIR): void {
  Object.assign(process.env, LAVAPIPE_ENV, { RRM_BACKEND_DIR: backendDir });
}
