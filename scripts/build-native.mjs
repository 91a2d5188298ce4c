// Builds the addon (and llama.cpp, statically) with cmake-js.
//   node scripts/build-native.mjs            build unless a prebuilt or built addon exists
//   ... --force                              always rebuild
//   ... --cuda | --vulkan | --metal | --cpu  GPU backend (or RRM_GPU=cuda|vulkan|metal|cpu)
//   ... --tools                              also build llama-batched-bench (benchmarks)
// CMAKE_CUDA_ARCHITECTURES, RRM_CMAKE_ARGS ("-DFOO=1 -DBAR=2") and RRM_JOBS pass through.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureLlamaSource } from "./llama-source.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));
const prebuilt = join(root, "prebuilds", `${process.platform}-${process.arch}`, "rrm-engine.node");
const built = join(root, "build", "Release", "rrm-engine.node");

const gpu = args.has("--cuda") ? "cuda" : args.has("--vulkan") ? "vulkan" : args.has("--metal") ? "metal"
  : args.has("--cpu") ? "cpu" : (process.env.RRM_GPU ?? (process.platform === "darwin" ? "metal" : "cpu"));
const tools = args.has("--tools") || process.env.RRM_BUILD_TOOLS === "1";
const force = args.has("--force") || tools || args.has("--cuda") || args.has("--vulkan") || args.has("--metal") || args.has("--cpu");

if (!force && (existsSync(prebuilt) || existsSync(built))) {
  console.log(`[rrm-engine] native addon present (${existsSync(prebuilt) ? prebuilt : built}); \`npm run build\` rebuilds it`);
  process.exit(0);
}

ensureLlamaSource();
const defs = [
  `GGML_CUDA=${gpu === "cuda" ? "ON" : "OFF"}`,
  `GGML_VULKAN=${gpu === "vulkan" ? "ON" : "OFF"}`,
  `GGML_METAL=${gpu === "metal" ? "ON" : "OFF"}`,
  `RRM_BUILD_TOOLS=${tools ? "ON" : "OFF"}`,
  // Portable by default when building prebuilds; native tuning for local builds.
  `GGML_NATIVE=${process.env.RRM_PORTABLE === "1" ? "OFF" : "ON"}`,
];
if (process.env.CMAKE_CUDA_ARCHITECTURES) defs.push(`CMAKE_CUDA_ARCHITECTURES=${process.env.CMAKE_CUDA_ARCHITECTURES}`);
for (const extra of (process.env.RRM_CMAKE_ARGS ?? "").split(/\s+/).filter(Boolean)) defs.push(extra.replace(/^-D/, ""));

const require = createRequire(import.meta.url);
const cmakeJs = join(dirname(require.resolve("cmake-js/package.json")), "bin", "cmake-js");
const jobs = process.env.RRM_JOBS ?? String(availableParallelism());
const common = ["--directory", root, "--parallel", jobs, ...defs.map((d) => `--CD${d}`)];
console.log(`[rrm-engine] building the native addon (${gpu}${tools ? ", tools" : ""}) with ${jobs} jobs; a CPU build of llama.cpp takes several minutes on 2 cores`);
// Configure every time (cheap) so changed options reach an existing build folder; the build
// itself is incremental.
execFileSync(process.execPath, [cmakeJs, "configure", ...common], { stdio: "inherit", cwd: root });
execFileSync(process.execPath, [cmakeJs, "build", ...common], { stdio: "inherit", cwd: root });

// The reference programs come along when asked for (tests compare with llama-simple).
const targets = ["llama-simple", ...(tools ? ["llama-batched-bench"] : [])];
execFileSync("cmake", ["--build", join(root, "build"), "--config", "Release", "--parallel", jobs, "--target", ...targets], { stdio: "inherit" });
console.log(`[rrm-engine] built ${built}`);

if (args.has("--prebuild")) {
  mkdirSync(dirname(prebuilt), { recursive: true });
  cpSync(built, prebuilt);
  console.log(`[rrm-engine] copied to ${prebuilt}`);
}
