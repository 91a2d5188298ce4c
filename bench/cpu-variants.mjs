// Which CPU libraries write the same records (README, "Identical results on different machines";
// BENCHMARKS.md). For each library named, a seeded `rrm compare` (3 pairs, 4 votes at temperature
// 0.8) on tiny Q8_0, Q4_K and F16 test models, pinned with RRM_CPU_VARIANT; prints one JSON line per
// library with a hash of the records (the run header left out) and the teacher-forced checker's
// first digest (build/bin/rrm-batch-invariance, given a folder holding only that library).
//   node bench/cpu-variants.mjs native '["sse42","haswell","zen4"]'
//   node bench/cpu-variants.mjs qemu '[["sse42","Nehalem"],["haswell","Haswell"]]'   (under qemu-x86_64 -cpu X)
// NO_DIGEST=1 skips the checker (slow under the x64 and sse42 libraries); QEMU_DIGEST=1 runs it under qemu too.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const bin = join(root, "build", "bin");
const entry = join(root, "lib", "cli", "entry.ts");
const scratch = mkdtempSync(join(tmpdir(), "rrm-cpu-variants-"));
const MODELS = `import { makeTestModel } from ${JSON.stringify(join(root, "lib", "testmodel", "make-model.ts"))};
const m = (type, vocabulary) => makeTestModel({ shape: "tiny", type, vocabulary });
console.log(JSON.stringify({ q8_0: m("q8_0", "rrm"), q4_k: m("q4_k", "rrm"), f16: m("f16", "rrm"), plain: m("q8_0", "qwen2"), plainq4k: m("q4_k", "qwen2") }));`;
const models = JSON.parse(spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", MODELS], { cwd: root, encoding: "utf8" }).stdout);
writeFileSync(join(scratch, "pairs.jsonl"), [0, 1, 2].map((i) => `{"id": ${i}, "query": "Query number ${i}: which answer is better?", "a": "First answer ${i}, short and right", "b": "Second answer ${i}, long and wrong"}`).join("\n") + "\n");
const args = (m, out) => ["compare", "--model", m, "--votes", "4", "--temperature", "0.8", "--seed", "7", "--thinking-budget", "24", "--max-tokens", "32", "--threads", "2", "--no-progress", "--no-early-stop", "-i", join(scratch, "pairs.jsonl"), "-o", out, "--overwrite"];
const h = (s) => createHash("sha256").update(s).digest("hex").slice(0, 12);
const records = (f) => readFileSync(f, "utf8").split("\n").filter((l) => l && !l.startsWith('{"rrmRun"')).join("\n");

function compare(variant, model, qemuCpu) {
  const out = join(scratch, `out-${variant}-${model}-${qemuCpu ?? "native"}.jsonl`);
  const argv = ["--import", "tsx", entry, ...args(models[model], out)];
  const cmd = qemuCpu ? ["nice", ["-n", "19", "qemu-x86_64", "-cpu", qemuCpu, process.execPath, ...argv]] : ["nice", ["-n", "19", process.execPath, ...argv]];
  const t0 = Date.now();
  const r = spawnSync(cmd[0], cmd[1], { cwd: root, encoding: "utf8", env: { ...process.env, RRM_CPU_VARIANT: variant } });
  if (r.status !== 0) return { error: r.stderr.split("\n").filter((l) => !/warning/.test(l)).slice(-3).join(" | ") };
  return { hash: h(records(out)), secs: (Date.now() - t0) / 1000 };
}

// The checker loads the best CPU library in its own folder and the cwd: give it a folder with one.
function digest(variant, model, extra = [], qemuCpu) {
  const d = mkdtempSync(join(tmpdir(), `rrm-var-${variant}-`));
  for (const f of readdirSync(bin)) if (/^lib(llama|ggml)\b/.test(f) && !f.startsWith("libggml-cpu-")) symlinkSync(join(bin, f), join(d, f));
  symlinkSync(join(bin, `libggml-cpu-${variant}.so`), join(d, `libggml-cpu-${variant}.so`));
  copyFileSync(join(bin, "rrm-batch-invariance"), join(d, "rrm-batch-invariance"));
  const exe = join(d, "rrm-batch-invariance");
  const argv = [models[model], "--threads", "2", "--digest", ...extra];
  const r = qemuCpu ? spawnSync("nice", ["-n", "19", "qemu-x86_64", "-cpu", qemuCpu, exe, ...argv], { cwd: d, encoding: "utf8" }) : spawnSync("nice", ["-n", "19", exe, ...argv], { cwd: d, encoding: "utf8" });
  const lines = r.stdout.split("\n").filter((l) => l.startsWith("digest "));
  if (r.status !== 0 || !lines.length) return { error: (r.stdout + r.stderr).slice(-300) };
  return { hash: lines[0].split(" ")[1] };
}

const mode = process.argv[2] ?? "native";
const results = [];
if (mode === "native") {
  const runnable = JSON.parse(process.argv[3]);
  for (const v of runnable) {
    const row = { variant: v, where: "native" };
    for (const m of ["q8_0", "q4_k", "f16"]) { const r = compare(v, m); row[m] = r.hash ?? r.error; row[`${m}_s`] = r.secs; }
    if (!process.env.NO_DIGEST) row.digest_q8 = digest(v, "plain").hash;
    if (process.env.Q4K_DIGEST) row.digest_q4k = digest(v, "plainq4k", ["--repack"]).hash;
    console.log(JSON.stringify(row));
  }
} else {
  // qemu: [[variant, cpu], ...]
  for (const [v, cpu, which] of JSON.parse(process.argv[3])) {
    const row = { variant: v, where: `qemu -cpu ${cpu}` };
    for (const m of which ?? ["q8_0", "q4_k", "f16"]) { const r = compare(v, m, cpu); row[m] = r.hash ?? r.error; row[`${m}_s`] = r.secs; }
    if (process.env.QEMU_DIGEST) row.digest_q8 = digest(v, "plain", [], cpu).hash ?? "?";
    console.log(JSON.stringify(row));
  }
}
