// Where the addon is looked for, and the errors a user gets when it is not there or cannot run.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addonCandidates, checkGlibc, compareVersions, locateAddon, platformPackageName, platformTag, runtimeGlibc } from "../../bindings/locate.js";
import { findGpuLibraries } from "../../bindings/backends.js";

test("platform tags and package names in napi-rs style", () => {
  assert.is(platformTag("linux", "x64", "gnu"), "linux-x64-gnu");
  assert.is(platformTag("darwin", "arm64", null), "darwin-arm64");
  assert.is(platformTag("win32", "x64", "msvc"), "win32-x64-msvc");
  assert.is(platformPackageName("cuda", "linux-x64-gnu"), "@rrm-engine/linux-x64-gnu-cuda");
  assert.is(compareVersions("2.34", "2.4"), 1);
  assert.is(compareVersions("2.28", "2.28.0"), 0);
  assert.is(compareVersions("3.4.29", "3.4.30"), -1);
});

test("no binary: one message with platform, arch, libc, every place looked in, and the ways out", () => {
  const root = mkdtempSync(join(tmpdir(), "rrm-locate-"));
  const prev = process.env.RRM_ADDON_PATH;
  delete process.env.RRM_ADDON_PATH;
  try {
    locateAddon(root);
    assert.unreachable();
  } catch (e) {
    const m = (e as Error).message;
    assert.match(m, `no native binary for ${process.platform} ${process.arch}`);
    if (process.platform === "linux") assert.match(m, runtimeGlibc() ? `glibc ${runtimeGlibc()}` : "musl");
    for (const c of addonCandidates(root)) assert.match(m, c.path);
    assert.match(m, `npm install ${platformPackageName()}`);
    assert.match(m, /npm run build:native/);
    assert.match(m, /RRM_ADDON_PATH/);
  } finally {
    if (prev !== undefined) process.env.RRM_ADDON_PATH = prev;
  }
});

test("glibc too old: found vs required, before anything is loaded", () => {
  const loc = { path: "/x/rrm-engine.node", source: "package" as const, manifest: { name: "@rrm-engine/linux-x64-gnu", platform: "linux", arch: "x64", libc: "gnu" as const, glibc: "2.34" } };
  assert.throws(() => checkGlibc(loc, "2.31"), /glibc is 2\.31; the prebuilt binary in \/x needs glibc 2\.34 or newer/);
  checkGlibc(loc, "2.36");
  checkGlibc(loc, null); // musl or not Linux: nothing to compare
});

test("a prebuilds folder is found, with its manifest", () => {
  const root = mkdtempSync(join(tmpdir(), "rrm-locate-"));
  const dir = join(root, "prebuilds", platformTag());
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "rrm-engine.node"), "");
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ name: "x", platform: process.platform, arch: process.arch, libc: null, glibc: "1.0" }));
  const prev = process.env.RRM_ADDON_PATH;
  delete process.env.RRM_ADDON_PATH;
  try {
    const loc = locateAddon(root);
    assert.is(loc.source, "prebuilds");
    assert.is(loc.manifest?.glibc, "1.0");
  } finally {
    if (prev !== undefined) process.env.RRM_ADDON_PATH = prev;
  }
});

test("GPU libraries: one per kind, the first folder wins", () => {
  const a = mkdtempSync(join(tmpdir(), "rrm-gpu-")), b = mkdtempSync(join(tmpdir(), "rrm-gpu-"));
  const ext = process.platform === "win32" ? ".dll" : process.platform === "darwin" ? ".dylib" : ".so";
  const pre = process.platform === "win32" ? "" : "lib";
  for (const d of [a, b]) writeFileSync(join(d, `${pre}ggml-cuda${ext}`), "");
  writeFileSync(join(b, `${pre}ggml-vulkan${ext}`), "");
  writeFileSync(join(b, `${pre}ggml-cpu-haswell${ext}`), "");
  const found = findGpuLibraries([a, b, "/nonexistent"]);
  assert.equal(found.map((f) => f.kind).sort(), ["cuda", "vulkan"]);
  assert.is(found.find((f) => f.kind === "cuda")!.path, join(a, `${pre}ggml-cuda${ext}`));
});

test.run();
