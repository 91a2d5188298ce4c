// npm run pack:all -- --out DIR
// Writes every tarball of a release into DIR, ready to install from files or to publish:
// - one platform package per prebuilds/<tag>/ folder (made by `npm run prebuild` on each platform;
//   a release workflow gathers them all into prebuilds/): @rrm-engine/<tag>, with os/cpu/libc set so
//   npm installs only the one that matches, and GPU packages @rrm-engine/<tag>-cuda etc.;
// - the main package: compiled JS, types, the CLI, the gzipped Qwen2 vocabulary the test models
//   are built from, and the native sources for building from source. No llama.cpp source, no
//   build tools, no install script; optionalDependencies name every platform package of a release.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const outIdx = argv.indexOf("--out");
if (outIdx < 0 || !argv[outIdx + 1]) {
  console.error("usage: npm run pack:all -- --out DIR");
  process.exit(2);
}
const out = resolve(argv[outIdx + 1]);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

// Every platform a release is configured for (.github/workflows/release.yml builds them); the main
// package names them all, and npm installs the one whose os/cpu/libc match.
export const RELEASE_TAGS = ["linux-x64-gnu", "linux-arm64-gnu", "darwin-arm64", "win32-x64-msvc", "linux-x64-gnu-cuda", "linux-x64-gnu-vulkan", "win32-x64-msvc-cuda", "win32-x64-msvc-vulkan"];

function npmPack(dir) {
  const file = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", out], { cwd: dir, encoding: "utf8" }).trim().split("\n").pop();
  console.log(`[pack:all] ${join(out, file)}`);
  return file;
}

function platformFields(tag) {
  const [platform, arch, libc] = tag.split("-");
  return { os: [platform], cpu: [arch], ...(libc === "gnu" ? { libc: ["glibc"] } : libc === "musl" ? { libc: ["musl"] } : {}) };
}

function packPlatform(tag, staging) {
  const src = join(root, "prebuilds", tag);
  const manifest = JSON.parse(readFileSync(join(src, "manifest.json"), "utf8"));
  const dir = join(staging, tag);
  cpSync(src, dir, { recursive: true, dereference: true });
  const gpu = manifest.gpu?.[0];
  const body = {
    name: manifest.name,
    version: pkg.version,
    description: gpu
      ? `rrm-engine's ${gpu.toUpperCase()} backend for ${manifest.platform}-${manifest.arch}: loaded at run time when its driver works, else rrm-engine runs on the CPU`
      : `rrm-engine's native binary for ${manifest.platform}-${manifest.arch}: the addon, llama.cpp and one CPU library per instruction set`,
    license: pkg.license,
    ...platformFields(tag.replace(/-(cuda|vulkan|hip)$/, "")),
    files: readdirSync(dir),
    rrm: { glibc: manifest.glibc, glibcxx: manifest.glibcxx, cpuVariants: manifest.cpuVariants, llamaCpp: manifest.llamaCpp },
  };
  writeFileSync(join(dir, "package.json"), JSON.stringify(body, null, 2) + "\n");
  writeFileSync(join(dir, "README.md"), `# ${manifest.name}\n\n${body.description}. Installed by \`rrm-engine\` as an optional dependency; not used on its own.\n`);
  return npmPack(dir);
}

function packMain(staging) {
  const dir = join(staging, "main");
  mkdirSync(dir, { recursive: true });
  for (const p of ["bin", "dist", "native", "patches", "models", "CMakeLists.txt", "README.md", "LICENSE"]) {
    if (existsSync(join(root, p))) cpSync(join(root, p), join(dir, p), { recursive: true });
  }
  mkdirSync(join(dir, "scripts"));
  for (const f of ["build-native.mjs", "llama-source.mjs", "prebuild.mjs"]) cpSync(join(root, "scripts", f), join(dir, "scripts", f));
  const vocab = join(root, "deps", "llama.cpp", "models", "ggml-vocab-qwen2.gguf");
  if (!existsSync(vocab)) throw new Error(`no ${vocab}: run npm install first (it fetches the llama.cpp source)`);
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "assets", "ggml-vocab-qwen2.gguf.gz"), gzipSync(readFileSync(vocab), { level: 9 }));
  // Source maps point at lib/*.ts, which the package does not carry.
  for (const f of walk(join(dir, "dist"))) if (f.endsWith(".map")) rmSync(f);
  const body = { ...pkg };
  delete body.devDependencies;
  body.scripts = { "build:native": "node scripts/build-native.mjs --force", prebuild: "node scripts/prebuild.mjs" };
  body.files = ["bin/", "dist/", "native/", "patches/", "scripts/", "assets/", "models/", "CMakeLists.txt"];
  body.optionalDependencies = Object.fromEntries(RELEASE_TAGS.filter((t) => !/-(cuda|vulkan|hip)$/.test(t)).map((t) => [`@rrm-engine/${t}`, pkg.version]));
  writeFileSync(join(dir, "package.json"), JSON.stringify(body, null, 2) + "\n");
  return npmPack(dir);
}

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

mkdirSync(out, { recursive: true });
const staging = mkdtempSync(join(tmpdir(), "rrm-pack-"));
try {
  execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  const tags = existsSync(join(root, "prebuilds")) ? readdirSync(join(root, "prebuilds")).filter((t) => existsSync(join(root, "prebuilds", t, "manifest.json"))) : [];
  if (tags.length === 0) throw new Error("no prebuilds/<tag>/manifest.json: run `npm run prebuild` first");
  const files = [packMain(staging), ...tags.map((t) => packPlatform(t, staging))];
  const missing = RELEASE_TAGS.filter((t) => !tags.includes(t));
  console.log(`[pack:all] ${files.length} tarballs in ${out}; built here: ${tags.join(", ")}; configured but not built here: ${missing.join(", ")}`);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
