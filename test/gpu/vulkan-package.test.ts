// The Vulkan package as a user gets it: staged from build-vulkan/ (npm run prebuild -- --vulkan),
// packed beside the main and CPU packages, installed into an empty project with no toolchain and
// install scripts off. There the loader's child test load finds lavapipe, `rrm info` names the
// device, and `rrm compare` with every layer offloaded returns verdicts.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tinyRrmModel } from "../helpers/models.js";
import { jsonRecords } from "../helpers/rrm-process.js";
import { du, pathWithoutToolchain } from "../helpers/scratch-project.js";
import { testNeeding } from "../helpers/system-tools.js";
import { LAVAPIPE, LAVAPIPE_ENV, VULKAN_LIBRARY } from "../helpers/vulkan.js";

const gpuTest = testNeeding(test, LAVAPIPE, VULKAN_LIBRARY);
const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "rrm-vulkan-package-"));
const tarballs = join(work, "tarballs");
const project = join(work, "project");
// No RRM_BACKEND_DIR: the library must come from the installed package.
const env = (extra: Record<string, string> = {}) => ({ ...process.env, PATH: join(work, "path"), npm_config_ignore_scripts: "true", RRM_ADDON_PATH: "", RRM_BACKEND_DIR: "", RRM_VOCAB_GGUF: "", RRM_MODEL_CACHE: join(work, "models"), ...extra });
const rrm = (args: string[], extra: Record<string, string> = {}, input?: string) =>
  spawnSync(process.execPath, [join(project, "node_modules", "rrm-engine", "bin", "rrm.js"), ...args], { cwd: project, env: env(extra), encoding: "utf8", input, timeout: 600_000 });

gpuTest("prebuild -- --vulkan stages the Vulkan library with a manifest naming libvulkan.so.1; pack:all packs it", () => {
  execFileSync(process.execPath, [join(root, "scripts", "prebuild.mjs"), "--no-build", "--vulkan"], { cwd: root, stdio: "inherit" });
  const manifest = JSON.parse(readFileSync(join(root, "prebuilds", "linux-x64-gnu-vulkan", "manifest.json"), "utf8"));
  assert.equal(manifest.gpu, ["vulkan"]);
  assert.ok(manifest.needs.includes("libvulkan.so.1"), JSON.stringify(manifest.needs));
  execFileSync(process.execPath, [join(root, "scripts", "pack-all.mjs"), "--out", tarballs], { cwd: root, stdio: "inherit" });
  const files = readdirSync(tarballs);
  assert.ok(files.some((f) => /^rrm-engine-linux-x64-gnu-vulkan-\d/.test(f)), files.join(" "));
});

gpuTest("npm install of the main, CPU and Vulkan tarballs into an empty project, without a toolchain", () => {
  pathWithoutToolchain(work);
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "scratch", version: "1.0.0", private: true, type: "module" }));
  const files = readdirSync(tarballs).filter((f) => f.endsWith(".tgz") && !/-cuda-/.test(f)).map((f) => join(tarballs, f));
  const r = spawnSync("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", ...files], { cwd: project, env: env(), encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  const vk = join(project, "node_modules", "@rrm-engine", "linux-x64-gnu-vulkan");
  assert.ok(readdirSync(vk).includes("libggml-vulkan.so"));
  console.log(`Vulkan package: ${(du(vk) / 2 ** 20).toFixed(1)} MiB installed`);
});

gpuTest("rrm info: the package's Vulkan library passed its test load and lavapipe is listed as a device", () => {
  const r = rrm(["info"], LAVAPIPE_ENV);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /GPU library vulkan: loaded \(test load passed \(1 device\)\) .*node_modules\/@rrm-engine\/linux-x64-gnu-vulkan\/libggml-vulkan\.so/);
  assert.match(r.stdout, /device Vulkan0 \((gpu|igpu)\): llvmpipe/);
  assert.match(r.stdout, /GPU offload: yes/);
});

gpuTest("without a usable device (lavapipe not named), one line says so and the CPU runs", () => {
  const r = rrm(["info"], { GGML_VK_VISIBLE_DEVICES: "" });
  assert.is(r.status, 0, r.stderr);
  const lines = r.stderr.split("\n").filter((l) => l.includes("did not load"));
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0], /VULKAN backend .* did not load: .*no device.*; running on the CPU/);
  assert.match(r.stdout, /GPU library vulkan: not loaded/);
});

gpuTest("rrm compare with every layer on the device returns a verdict for each item", () => {
  const input = [
    { query: "What is 2 + 2?", a: "4", b: "5" },
    { query: "Name a colour.", a: "Blue.", b: "A chair." },
  ].map((x) => JSON.stringify(x)).join("\n") + "\n";
  const r = rrm(["compare", "--model", tinyRrmModel(), "--gpu-layers", "999", "--votes", "2", "--thinking-budget", "8", "--max-tokens", "24", "--seed", "1", "--no-progress"], LAVAPIPE_ENV, input);
  assert.is(r.status, 0, r.stderr);
  const records = jsonRecords(r.stdout); // without the run header line
  assert.is(records.length, 2);
  for (const rec of records) {
    assert.not.ok(rec.error, JSON.stringify(rec));
    assert.is(rec.votes.a + rec.votes.b + rec.votes.invalid, 2, JSON.stringify(rec));
  }
});

test.run();
