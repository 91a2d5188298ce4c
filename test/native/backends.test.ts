// The portable addon's backends: the CPU library chosen by score (or forced), and GPU libraries
// that fail their test load in a child process (not loadable, or aborting the process that loads
// them, as a broken driver does) leave one line on stderr and the engine on the CPU.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tinyModel } from "../helpers/models.js";

const dir = mkdtempSync(join(tmpdir(), "rrm-backends-"));
const model = tinyModel();
const SCRIPT = `
import { addonLoadInfo } from "${new URL("../../bindings/index.ts", import.meta.url).pathname}";
import { loadModel } from "${new URL("../../lib/model.ts", import.meta.url).pathname}";
import { createEngine } from "${new URL("../../lib/engine.ts", import.meta.url).pathname}";
const info = addonLoadInfo();
const m = await loadModel(${JSON.stringify(model)});
const e = createEngine(m, { contextSize: 512, maxSequences: 2, threads: 2 });
const r = await e.generate({ prompt: m.tokenize("Which answer is better"), n: 1, maxTokens: 16, temperature: 0, ignoreEos: true });
console.log(JSON.stringify({ backends: info.backends, tokens: Array.from(r.completions[0].tokens) }));
e.dispose(); m.dispose();
`;
writeFileSync(join(dir, "run.mts"), SCRIPT);
const run = (env: Record<string, string>) => spawnSync(process.execPath, ["--import", "tsx", join(dir, "run.mts")], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
const result = (r: ReturnType<typeof run>) => JSON.parse(r.stdout.trim().split("\n").pop()!);

let best: { backends: { dynamic: boolean; cpu: { variant: string; score: number; candidates: { variant: string; score: number }[] } }; tokens: number[] };

test("the CPU library with the best score is loaded; a forced one gives the same greedy tokens", () => {
  const r = run({});
  assert.is(r.status, 0, r.stderr);
  best = result(r);
  if (!best.backends.dynamic) return; // a static build (npm run build:native -- --static)
  const top = Math.max(...best.backends.cpu.candidates.map((c) => c.score));
  assert.is(best.backends.cpu.score, top);
  assert.ok(best.backends.cpu.candidates.length >= 2);
  const forced = run({ RRM_CPU_VARIANT: "sse42" });
  assert.is(forced.status, 0, forced.stderr);
  const f = result(forced);
  assert.is(f.backends.cpu.variant, "sse42");
  assert.equal(f.tokens, best.tokens);
  const unsupported = best.backends.cpu.candidates.find((c) => c.score === 0);
  if (unsupported) {
    const bad = run({ RRM_CPU_VARIANT: unsupported.variant });
    assert.is.not(bad.status, 0);
    assert.match(bad.stderr, `the CPU library "${unsupported.variant}" needs instructions this CPU lacks`);
  }
});

test("a GPU library that is not loadable, or that aborts its process, falls back to the CPU with one line", () => {
  if (!best.backends.dynamic) return;
  const garbage = join(dir, "garbage");
  execFileSync("mkdir", ["-p", garbage]);
  writeFileSync(join(garbage, "libggml-cuda.so"), "not an ELF file");
  const aborting = join(dir, "aborting");
  execFileSync("mkdir", ["-p", aborting]);
  // What a broken driver does to the process that loads it.
  writeFileSync(join(dir, "abort.c"), "#include <stdlib.h>\n__attribute__((constructor)) static void broken_driver(void) { abort(); }\nint ggml_backend_score(void) { return 1; }\n");
  execFileSync("cc", ["-shared", "-fPIC", "-o", join(aborting, "libggml-vulkan.so"), join(dir, "abort.c")]);
  const r = run({ RRM_BACKEND_DIR: `${garbage}:${aborting}` });
  assert.is(r.status, 0, r.stderr);
  const out = result(r);
  assert.equal(out.tokens, best.tokens);
  const lines = r.stderr.split("\n").filter((l) => l.includes("did not load"));
  assert.is(lines.length, 2, r.stderr);
  assert.match(lines.find((l) => l.includes("CUDA"))!, /running on the CPU/);
  assert.match(lines.find((l) => l.includes("VULKAN"))!, /killed by SIGABRT/);
  assert.equal(out.backends.gpu.map((g: { kind: string; loaded: boolean }) => [g.kind, g.loaded]).sort(), [["cuda", false], ["vulkan", false]]);
  const off = run({ RRM_BACKEND_DIR: garbage, RRM_GPU: "off" });
  assert.is(off.status, 0);
  assert.not.match(off.stderr, /did not load/);
});

test.run();
