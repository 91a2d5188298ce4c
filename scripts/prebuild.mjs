// npm run prebuild [-- --cuda|--vulkan] [--no-build]
// Builds the portable binaries for this platform (scripts/build-native.mjs) and stages what a
// platform package ships into prebuilds/<tag>/ (tag: linux-x64-gnu, darwin-arm64, win32-x64-msvc):
// the addon, llama.cpp's shared libraries under the names the loader asks for (real files, no
// symlinks: npm tarballs drop them), one CPU library per instruction set, stripped, and a
// manifest.json that records what it was built for and the glibc it needs (read from the symbol
// versions the files import).
// A GPU backend goes into its own folder, prebuilds/<tag>-cuda/ or <tag>-vulkan/. With --cuda or
// --vulkan its library is built alone in build-<gpu>/ (build-native.mjs --backend-only), so build/
// keeps its CPU-only addon; a GPU library that a full `build:native -- --cuda` put in build/bin is
// staged too. A GPU manifest names the system libraries the backend needs (libvulkan.so.1, the
// CUDA runtime) and that the package does not carry.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describeLlamaSource } from "./llama-source.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const bin = join(root, "build", "bin");
const GPU_KINDS = ["cuda", "vulkan", "hip"];
const gpuAsked = GPU_KINDS.filter((k) => args.includes(`--${k}`));
const gpuBin = (kind) => join(root, `build-${kind}`, "bin");

function libc() {
  if (process.platform === "win32") return "msvc";
  if (process.platform !== "linux") return null;
  return process.report.getReport().header.glibcVersionRuntime ? "gnu" : "musl";
}
export const tag = [process.platform, process.arch, libc()].filter(Boolean).join("-");

const libExt = process.platform === "win32" ? ".dll" : process.platform === "darwin" ? ".dylib" : ".so";
const isLib = (name) => name.endsWith(libExt) || (process.platform === "linux" && /\.so\.\d+$/.test(name));

function readelf(args, file) {
  try {
    return execFileSync("readelf", [...args, file], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return "";
  }
}

/** Highest GLIBC_ / GLIBCXX_ version a file imports (Linux). */
function versionsNeeded(file) {
  const text = readelf(["-W", "--version-info"], file);
  const max = { GLIBC: "0", GLIBCXX: "0" };
  for (const m of text.matchAll(/Name: (GLIBC|GLIBCXX)_([0-9.]+)/g)) {
    if (cmp(m[2], max[m[1]]) > 0) max[m[1]] = m[2];
  }
  return max;
}
function cmp(a, b) {
  const pa = a.split(".").map(Number), pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** Shared libraries (by the name the loader asks for) that `file` needs from build/bin. */
function neededFromBuild(file) {
  if (process.platform !== "linux") return [];
  return [...readelf(["-d"], file).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]).filter((n) => existsSync(join(bin, n)));
}

function strip(file) {
  if (process.platform === "win32") return;
  try {
    execFileSync("strip", process.platform === "darwin" ? ["-x", file] : ["--strip-unneeded", file], { stdio: "ignore" });
  } catch {
    console.warn(`[prebuild] could not strip ${file}`);
  }
}

// Loaded from the system, never shipped: the C and C++ runtimes and ggml's own libraries (the CPU
// package carries those).
const SYSTEM_OR_OURS = /^(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|ld-linux.*|libggml.*|libllama)\.so/;

/** What a GPU library needs from the system, by soname (Linux): e.g. libvulkan.so.1, libcudart.so.12. */
function systemNeeds(file) {
  if (process.platform !== "linux") return [];
  return [...readelf(["-d"], file).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]).filter((n) => !SYSTEM_OR_OURS.test(n));
}

function stage(dir, files, gpu) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let glibc = "0", glibcxx = "0";
  for (const [name, src] of files) {
    const dst = join(dir, name);
    copyFileSync(realpathSync(src), dst);
    strip(dst);
    if (process.platform === "linux") {
      const v = versionsNeeded(dst);
      if (cmp(v.GLIBC, glibc) > 0) glibc = v.GLIBC;
      if (cmp(v.GLIBCXX, glibcxx) > 0) glibcxx = v.GLIBCXX;
    }
  }
  const manifest = {
    name: `@rrm-engine/${tag}${gpu ? `-${gpu}` : ""}`,
    platform: process.platform,
    arch: process.arch,
    libc: libc(),
    ...(process.platform === "linux" && libc() === "gnu" ? { glibc, glibcxx } : {}),
    cpuVariants: gpu ? undefined : files.map(([n]) => /ggml-cpu-(.+?)\./.exec(n)?.[1]).filter(Boolean),
    gpu: gpu ? [gpu] : [],
    ...(gpu ? { needs: files.flatMap(([, src]) => systemNeeds(src)) } : {}),
    llamaCpp: describeLlamaSource(),
    builtAt: new Date().toISOString(),
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  const bytes = readdirSync(dir).reduce((s, n) => s + statSync(join(dir, n)).size, 0);
  console.log(`[prebuild] ${dir}: ${readdirSync(dir).length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB${manifest.glibc ? `, needs glibc >= ${manifest.glibc}, GLIBCXX >= ${manifest.glibcxx}` : ""}${manifest.needs?.length ? `, and from the system ${manifest.needs.join(", ")}` : ""}`);
  return manifest;
}

export function prebuild() {
  if (!args.includes("--no-build")) {
    const passOn = args.filter((a) => a.startsWith("--") && a !== "--no-build" && !gpuAsked.includes(a.slice(2)));
    const buildNative = join(root, "scripts", "build-native.mjs");
    execFileSync(process.execPath, [buildNative, "--force", ...passOn], { stdio: "inherit" });
    for (const kind of gpuAsked) execFileSync(process.execPath, [buildNative, `--${kind}`, "--backend-only", "--out", join(root, `build-${kind}`)], { stdio: "inherit" });
  }
  const addon = join(bin, "rrm-engine.node");
  if (!existsSync(addon)) throw new Error(`no ${addon}: run the build first`);
  const names = readdirSync(bin).filter(isLib);
  const prefix = process.platform === "win32" ? "" : "lib";
  const gpuLib = (n) => GPU_KINDS.find((k) => n === `${prefix}ggml-${k}${libExt}`);
  const cpuLibs = names.filter((n) => /ggml-cpu-/.test(n) && n.endsWith(libExt));
  // The addon's own dependencies, and theirs, under the names the dynamic loader asks for.
  const deps = new Map();
  const queue = [addon, ...cpuLibs.map((n) => join(bin, n))];
  while (queue.length) {
    for (const n of neededFromBuild(queue.pop())) {
      if (!deps.has(n)) {
        deps.set(n, join(bin, n));
        queue.push(join(bin, n));
      }
    }
  }
  if (process.platform !== "linux") for (const n of names) if (!/ggml-cpu-/.test(n) && !gpuLib(n)) deps.set(n, join(bin, n));
  const cpuFiles = [["rrm-engine.node", addon], ...deps, ...cpuLibs.map((n) => [n, join(bin, n)])];
  const out = [stage(join(root, "prebuilds", tag), cpuFiles)];
  const gpuFiles = new Map();
  for (const n of names) {
    const kind = gpuLib(n);
    if (kind) gpuFiles.set(kind, [n, join(bin, n)]);
  }
  for (const kind of gpuAsked) {
    const n = `${prefix}ggml-${kind}${libExt}`;
    if (!existsSync(join(gpuBin(kind), n))) throw new Error(`no ${join(gpuBin(kind), n)}: run \`npm run prebuild -- --${kind}\` without --no-build (or npm run build:${kind})`);
    gpuFiles.set(kind, [n, join(gpuBin(kind), n)]);
  }
  for (const [kind, file] of gpuFiles) out.push(stage(join(root, "prebuilds", `${tag}-${kind}`), [file], kind));
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) prebuild();
