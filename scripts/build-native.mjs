// Builds the addon and llama.cpp from source with cmake-js, into build/bin (the addon, llama.cpp's
// shared libraries and one CPU library per instruction set: the portable layout that prebuilds
// ship; see CMakeLists.txt).
//   node scripts/build-native.mjs            build unless a built addon exists
//   ... --force                              always rebuild
//   ... --cuda | --vulkan | --metal | --cpu  GPU backend (or RRM_GPU=cuda|vulkan|metal|cpu)
//   ... --static                             llama.cpp linked in and tuned for this CPU (-march=native)
//   ... --tools                              also build llama-batched-bench (benchmarks)
//   ... --out DIR                            build folder (default build/; the addon lands in DIR/bin)
//   ... --backend-only                       with --cuda/--vulkan: only that backend's library (and
//                                            ggml-base), not the addon or the CPU variants: what a GPU
//                                            package ships (scripts/prebuild.mjs builds it in build-<gpu>/)
//   ... --sanitize address,undefined         ASan (+ LeakSanitizer) / UBSan (-fno-sanitize-recover) over
//                                            llama.cpp and the addon, in build-sanitize/ unless --out
//                                            (scripts/sanitize-tests.sh runs the tests on it)
// CMAKE_CUDA_ARCHITECTURES, RRM_CMAKE_ARGS ("-DFOO=1 -DBAR=2") and RRM_JOBS pass through.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureLlamaSourceOrExit, llamaDir, llamaSourceCurrent } from "./llama-source.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const outAt = argv.indexOf("--out");
const sanitizeAt = argv.indexOf("--sanitize");
const sanitize = sanitizeAt >= 0 ? (argv[sanitizeAt + 1] ?? "") : "";
if (sanitizeAt >= 0 && !/^(address|undefined)(,(address|undefined))*$/.test(sanitize)) {
  console.error(`--sanitize takes address, undefined or address,undefined (got ${JSON.stringify(sanitize)})`);
  process.exit(2);
}
const buildDir = outAt >= 0 ? resolve(argv[outAt + 1]) : join(root, sanitize ? "build-sanitize" : "build");
const args = new Set(argv);
const built = join(buildDir, "bin", "rrm-engine.node");

const gpu = args.has("--cuda") ? "cuda" : args.has("--vulkan") ? "vulkan" : args.has("--metal") ? "metal"
  : args.has("--cpu") ? "cpu" : (process.env.RRM_GPU ?? (process.platform === "darwin" ? "metal" : "cpu"));
const backendOnly = args.has("--backend-only");
if (backendOnly && gpu !== "cuda" && gpu !== "vulkan") {
  console.error("--backend-only needs --cuda or --vulkan");
  process.exit(2);
}
const tools = args.has("--tools") || process.env.RRM_BUILD_TOOLS === "1";
// Sanitizer builds use the static layout: one CPU backend instead of fourteen instrumented ones.
const portable = !(args.has("--static") || process.env.RRM_PORTABLE === "0" || sanitize);
const force = backendOnly || args.has("--force") || Boolean(sanitize) || tools || args.has("--static") || args.has("--cuda") || args.has("--vulkan") || args.has("--metal") || args.has("--cpu");

if (!force && existsSync(built) && llamaSourceCurrent()) {
  console.log(`[rrm-engine] native addon present (${built}); \`npm run build:native\` rebuilds it`);
  process.exit(0);
}
// (A changed patch set is applied in place below, and the build recompiles what it touches.)

ensureLlamaSourceOrExit();
const defs = [
  `GGML_CUDA=${gpu === "cuda" ? "ON" : "OFF"}`,
  `GGML_VULKAN=${gpu === "vulkan" ? "ON" : "OFF"}`,
  `GGML_METAL=${gpu === "metal" ? "ON" : "OFF"}`,
  `RRM_BUILD_TOOLS=${tools ? "ON" : "OFF"}`,
  `RRM_PORTABLE=${portable && process.platform !== "darwin" ? "ON" : "OFF"}`,
  // The static layout is tuned for this CPU; the portable one never is (CMakeLists.txt forces it).
  `GGML_NATIVE=${portable ? "OFF" : "ON"}`,
  `RRM_SANITIZE=${sanitize}`,
  // The tree the source step checked: deps/llama.cpp, or RRM_LLAMA_CPP_DIR's (CMake's own default
  // is deps/llama.cpp, so without this a tree of one's own was checked and then not built).
  `RRM_LLAMA_DIR=${llamaDir}`,
];
if (process.env.CMAKE_CUDA_ARCHITECTURES) defs.push(`CMAKE_CUDA_ARCHITECTURES=${process.env.CMAKE_CUDA_ARCHITECTURES}`);
for (const extra of (process.env.RRM_CMAKE_ARGS ?? "").split(/\s+/).filter(Boolean)) defs.push(extra.replace(/^-D/, ""));

const require = createRequire(import.meta.url);
const cmakeJs = join(dirname(require.resolve("cmake-js/package.json")), "bin", "cmake-js");
const jobs = process.env.RRM_JOBS ?? String(availableParallelism());
const common = ["--directory", root, "--out", buildDir, "--parallel", jobs, ...defs.map((d) => `--CD${d}`)];
console.log(`[rrm-engine] building the native addon (${gpu}, ${portable ? "portable" : "static"}${tools ? ", tools" : ""}${sanitize ? `, sanitize=${sanitize}` : ""}) with ${jobs} jobs; a CPU build of llama.cpp takes several minutes on 2 cores`);
// Configure every time (cheap) so changed options reach an existing build folder; the build
// itself is incremental.
execFileSync(process.execPath, [cmakeJs, "configure", ...common], { stdio: "inherit", cwd: root });
if (backendOnly) {
  // The GPU library links only ggml-base, which is the same source as the CPU build's: the
  // package's libggml-<gpu>.so loads beside any addon built from this tree and patch set.
  execFileSync("cmake", ["--build", buildDir, "--config", "Release", "--parallel", jobs, "--target", `ggml-${gpu}`], { stdio: "inherit" });
  console.log(`[rrm-engine] built ${join(buildDir, "bin", `libggml-${gpu}.so`)}`);
  process.exit(0);
}
execFileSync(process.execPath, [cmakeJs, "build", ...common], { stdio: "inherit", cwd: root });

// The reference programs come along (tests compare with llama-simple; rrm-batch-invariance checks
// the patches on llama.cpp itself), and llama-batched-bench when asked for.
const targets = ["llama-simple", "rrm-batch-invariance", "rrm-kv-placement", "rrm-opt-check", "rrm-train-judge", ...(tools ? ["llama-batched-bench"] : [])];
execFileSync("cmake", ["--build", buildDir, "--config", "Release", "--parallel", jobs, "--target", ...targets], { stdio: "inherit" });
console.log(`[rrm-engine] built ${built}`);
