// The package as a user gets it: stage this platform's prebuild, pack every tarball, install them
// into an empty project with install scripts off and no cmake, compiler or git on PATH, then run
// `rrm demo`, `rrm info` and the API from there; and the same binary under an emulated CPU
// without AVX (qemu-user, -cpu Nehalem) gives the same greedy tokens as natively.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { QEMU_USER, findTool, testNeeding, type SystemTool } from "../helpers/system-tools.js";
import { du, pathWithoutToolchain } from "../helpers/scratch-project.js";
// @ts-expect-error: a plain .mjs script without types
import { runtimeBin } from "../../scripts/install-runtimes.mjs";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "rrm-package-"));
const tarballs = join(work, "tarballs");
const project = join(work, "project");
const env = () => ({ ...process.env, PATH: join(work, "path"), npm_config_ignore_scripts: "true", RRM_ADDON_PATH: "", RRM_MODEL_CACHE: join(work, "models"), RRM_VOCAB_GGUF: "" });
const files: string[] = [];
let installSeconds = 0;

test("prebuild + pack:all write the main tarball and this platform's package, no llama.cpp source", () => {
  execFileSync(process.execPath, [join(root, "scripts", "prebuild.mjs"), "--no-build"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [join(root, "scripts", "pack-all.mjs"), "--out", tarballs], { cwd: root, stdio: "inherit" });
  files.push(...readdirSync(tarballs).filter((f) => f.endsWith(".tgz")));
  assert.ok(files.some((f) => /^rrm-engine-\d/.test(f)), files.join(" "));
  assert.ok(files.some((f) => /^rrm-engine-linux-x64-gnu-\d/.test(f)), files.join(" "));
  const listing = execFileSync("tar", ["tzf", join(tarballs, files.find((f) => /^rrm-engine-\d/.test(f))!)], { encoding: "utf8" });
  assert.not.match(listing, /deps\/llama\.cpp|gitRelease\.bundle|\.cpp\.o/);
  assert.match(listing, /package\/assets\/ggml-vocab-qwen2\.gguf\.gz/);
  assert.match(listing, /package\/dist\/lib\/index\.js/);
});

test("npm install of the tarballs: no toolchain, no install scripts, under 30 s and 30 MB of binaries", () => {
  const path = pathWithoutToolchain(work);
  for (const tool of ["cmake", "g++", "gcc", "git"]) assert.not.ok(existsSync(join(path, tool)), tool);
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "scratch", version: "1.0.0", private: true, type: "module" }));
  const t0 = Date.now();
  const r = spawnSync("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", ...files.filter((f) => !/-(cuda|vulkan)-/.test(f)).map((f) => join(tarballs, f))], { cwd: project, env: env(), encoding: "utf8" });
  installSeconds = (Date.now() - t0) / 1000;
  assert.is(r.status, 0, r.stderr);
  const nm = join(project, "node_modules");
  const binaries = du(join(nm, "@rrm-engine")) + du(join(nm, "rrm-engine"));
  const all = du(nm);
  console.log(`install ${installSeconds.toFixed(1)} s; rrm-engine + platform package ${(binaries / 2 ** 20).toFixed(1)} MiB; node_modules ${(all / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(installSeconds < 30, `install took ${installSeconds} s`);
  assert.ok(binaries < 30 * 2 ** 20, `${binaries} bytes`);
  // The HTTP server's packages are optional peers: a library user does not get them.
  assert.not.ok(existsSync(join(nm, "fastify")), "fastify is not installed for library users");
  assert.ok(all < 30 * 2 ** 20, `node_modules is ${all} bytes`);
  assert.not.ok(existsSync(join(nm, "cmake-js")), "build tools are not installed for users");
  assert.not.ok(existsSync(join(nm, "node-addon-api")));
  // Building from source stays an explicit command, named as the errors name it.
  const pkg = JSON.parse(readFileSync(join(nm, "rrm-engine", "package.json"), "utf8"));
  assert.is(pkg.scripts["build:native"], "node scripts/build-native.mjs --force");
  assert.not.ok(pkg.scripts.install || pkg.scripts.postinstall || pkg.scripts.preinstall, "no install script");
});

test("rrm info names the binary and the CPU library; rrm demo runs", () => {
  const info = spawnSync("npx", ["rrm", "info"], { cwd: project, env: env(), encoding: "utf8" });
  assert.is(info.status, 0, info.stderr);
  assert.match(info.stdout, /from the platform package @rrm-engine\/linux-x64-gnu/);
  assert.match(info.stdout, /CPU library: \w+ \(best score/);
  const demo = spawnSync("npx", ["rrm", "demo", "--candidates", "4", "--votes", "2"], { cwd: project, env: env(), encoding: "utf8", timeout: 300_000 });
  assert.is(demo.status, 0, demo.stderr);
  assert.match(demo.stdout, /winner/i);
});

const GREEDY = `
import { loadModel, createEngine, makeTestModel } from "rrm-engine";
const model = await loadModel(makeTestModel({ shape: "tiny" }));
const engine = createEngine(model, { contextSize: 512, maxSequences: 2, threads: 2 });
const r = await engine.generate({ prompt: model.tokenize("The judge reads both answers"), n: 1, maxTokens: 24, temperature: 0, ignoreEos: true });
console.log(JSON.stringify(Array.from(r.completions[0].tokens)));
engine.dispose(); model.dispose();
`;

let nativeTokens: number[] = [];
test("the API from the installed package: greedy tokens", () => {
  writeFileSync(join(project, "greedy.mjs"), GREEDY);
  const native = spawnSync(process.execPath, ["greedy.mjs"], { cwd: project, env: env(), encoding: "utf8" });
  assert.is(native.status, 0, native.stderr);
  nativeTokens = JSON.parse(native.stdout.trim().split("\n").pop()!);
  assert.is(nativeTokens.length, 24);
});

testNeeding(test, QEMU_USER)("greedy tokens under qemu -cpu Nehalem (no AVX) equal native", () => {
  const qemu = findTool(QEMU_USER)!;
  const emulated = spawnSync(qemu, ["-cpu", "Nehalem", process.execPath, "greedy.mjs"], { cwd: project, env: env(), encoding: "utf8", timeout: 900_000 });
  assert.is(emulated.status, 0, emulated.stderr);
  assert.equal(JSON.parse(emulated.stdout.trim().split("\n").pop()!), nativeTokens);
  const info = spawnSync(qemu, ["-cpu", "Nehalem", process.execPath, join(project, "node_modules", "rrm-engine", "bin", "rrm.js"), "info"], { cwd: project, env: env(), encoding: "utf8", timeout: 900_000 });
  assert.match(info.stdout, /CPU library: (sse42|x64) /);
});

test("rrm serve without its optional server packages says what to install, exit 1", () => {
  const r = spawnSync(process.execPath, [join(project, "node_modules", "rrm-engine", "bin", "rrm.js"), "serve", "--model", "nothing.gguf"], { cwd: project, env: env(), encoding: "utf8" });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /npm install fastify@5\.12\.8 light-my-request@6\.6\.0/);
  assert.not.match(r.stderr, /at .*\.js:\d+/, "no stack trace");
});

// Every runtime the README names: this Node.js, then those scripts/install-runtimes.mjs puts in
// .runtimes/ (CI installs them; elsewhere each missing one is skipped with its install command).
const RUNTIME_NAMES = ["node22", "node24", "node26", "bun"] as const;
const runtimeTool = (name: string): SystemTool => ({ name, candidates: [runtimeBin(name)], install: `node scripts/install-runtimes.mjs ${name}` });

test("with the server packages installed: rrm serve started as `node node_modules/.bin/rrm` answers and drains on SIGTERM", () => {
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "fastify@5.12.8", "light-my-request@6.6.0"], { cwd: project, env: env(), encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  for (const f of readdirSync(join(root, "test", "package", "consumer"))) copyFileSync(join(root, "test", "package", "consumer", f), join(project, f));
  checkServe(process.execPath);
});

function runIn(runtime: string, args: string[], timeout = 300_000) {
  const r = spawnSync(runtime, args, { cwd: project, env: env(), encoding: "utf8", timeout });
  assert.is(r.status, 0, `${runtime} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function checkServe(runtime: string) {
  const s = JSON.parse(runIn(runtime, ["serve.mjs"]).trim().split("\n").pop()!);
  assert.is(s.status, 200, JSON.stringify(s));
  assert.ok(["a", "b", null].includes(s.winner), JSON.stringify(s));
  assert.is(s.exit, 0, JSON.stringify(s));
  assert.ok(s.stopped, "the drain ran");
}

function checkApi(runtime: string) {
  const out = JSON.parse(runIn(runtime, ["api.mjs"]).trim().split("\n").pop()!);
  assert.is(out.votes, 4, JSON.stringify(out));
  assert.is(out.abort, "AbortError", JSON.stringify(out));
  assert.is(out.liveAfterAbort, 0);
  assert.is(out.worker, 8);
  assert.is(out.require, "function", "require() of the package");
}

test(`this Node.js (${process.version}): API (compare with votes, abort, dispose, worker thread, require)`, () => checkApi(process.execPath));

for (const name of RUNTIME_NAMES) {
  testNeeding(test, runtimeTool(name))(`${name}: rrm demo, the API, rrm serve`, () => {
    const bin = runtimeBin(name);
    console.log(`${name}: ${runIn(bin, ["--version"]).trim()}`);
    assert.match(runIn(bin, [join(project, "node_modules", "rrm-engine", "bin", "rrm.js"), "demo", "--candidates", "2", "--votes", "2"]), /winner/i);
    checkApi(bin);
    checkServe(bin);
  });
}

for (const moduleResolution of ["nodenext", "bundler"]) {
  test(`a strict TypeScript consumer type-checks against the packed types (moduleResolution ${moduleResolution})`, () => {
    const tsconfig = join(project, `tsconfig.${moduleResolution}.json`);
    writeFileSync(tsconfig, JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, skipLibCheck: false, target: "ES2022",
        module: moduleResolution === "nodenext" ? "nodenext" : "esnext", moduleResolution,
        typeRoots: [join(root, "node_modules", "@types")], types: ["node"],
      },
      files: ["consumer.ts"],
    }));
    const r = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", tsconfig], { cwd: project, encoding: "utf8" });
    assert.is(r.status, 0, r.stdout + r.stderr);
  });
}

test.run();
