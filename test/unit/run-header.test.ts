// Outputs that cannot be mixed or lost: the run header line, --resume refusing other settings
// (naming each), a non-empty output refused without --overwrite, merge refusing shards of
// different runs; every refusal leaves the file as it was.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runItems, parseShard } from "../../lib/cli/run-items.js";
import { mergeCommand } from "../../lib/cli/merge.js";
import { guardDerivedOutput, headerOf, modelIdentity, settingsDifferences, type RunHeader } from "../../lib/cli/run-header.js";
import { readDone } from "../../lib/cli/jsonl.js";

const dir = mkdtempSync(join(tmpdir(), "rrm-run-header-"));
const input = join(dir, "in.jsonl");
writeFileSync(input, Array.from({ length: 12 }, (_, i) => JSON.stringify({ x: i })).join("\n") + "\n");

const header = (settings: Record<string, unknown>, shard?: string): RunHeader => ({
  command: "compare", version: "0.1.0", model: "judge.gguf",
  settings: { model: { bytes: 100, fingerprint: "abc" }, judge: { votes: 8, swap: "alternate", seed: 0 }, ...settings }, ...(shard ? { shard } : {}),
});
const EIGHT = header({});
const ONE = header({ judge: { votes: 1, swap: "none", seed: 0 } });

async function run(output: string, o: { header?: RunHeader; resume?: boolean; overwrite?: boolean; shard?: string; stopAfter?: number } = {}) {
  let n = 0;
  return runItems({
    input, output, concurrency: 2, resume: o.resume, overwrite: o.overwrite, header: o.header, shard: parseShard(o.shard),
    check: (v) => v as { x: number },
    work: async (item, ctx) => {
      if (o.stopAfter !== undefined && n++ >= o.stopAfter) {
        process.emit("SIGINT");
        await new Promise((r) => setTimeout(r, 5));
      }
      if (ctx.signal.aborted) throw new Error("cancelled");
      return { y: item.x * 2 };
    },
  });
}

const refused = async (p: Promise<unknown>, re: RegExp) => p.then(() => assert.unreachable("not refused"), (e) => assert.match((e as Error).message, re));

test("the header is the output's first line; a resume with the same settings gives the uninterrupted bytes", async () => {
  const full = join(dir, "full.jsonl");
  await run(full, { header: EIGHT });
  const lines = readFileSync(full, "utf8").trim().split("\n");
  assert.equal(headerOf(lines[0]), EIGHT);
  assert.is(lines.length, 13);
  assert.is(readDone(full).size, 12);
  const part = join(dir, "part.jsonl");
  const r = await run(part, { header: EIGHT, stopAfter: 4 });
  assert.ok(r.interrupted);
  await run(part, { header: EIGHT, resume: true });
  assert.is(readFileSync(part, "utf8"), readFileSync(full, "utf8"));
});

test("--resume with other settings is refused, naming each difference; the file is unchanged", async () => {
  const out = join(dir, "mix.jsonl");
  await run(out, { header: EIGHT, stopAfter: 4 });
  const before = readFileSync(out, "utf8");
  await refused(run(out, { header: ONE, resume: true }), /--votes\/--confidence: 8 there, 1 now\n  --swap: "alternate" there, "none" now/);
  await refused(run(out, { header: { ...EIGHT, settings: { ...EIGHT.settings, model: { bytes: 100, fingerprint: "def" } } }, resume: true }), /--model \(file contents\): "abc" there, "def" now/);
  await refused(run(out, { header: { ...EIGHT, command: "eval" }, resume: true }), /command: rrm compare there, rrm eval now/);
  await refused(run(out, { header: header({}, "1/2"), resume: true }), /--shard: \(none\) there, 1\/2 now/);
  assert.is(readFileSync(out, "utf8"), before);
  // A recorded version alone does not refuse: an upgrade need not restart a 10-hour run.
  await run(out, { header: { ...EIGHT, version: "9.9.9" }, resume: true });
  assert.is(readDone(out).size, 12);
});

test("a non-empty output without --resume is refused and left whole; --overwrite replaces it", async () => {
  const out = join(dir, "done.jsonl");
  await run(out, { header: EIGHT });
  const before = readFileSync(out, "utf8");
  await refused(run(out, { header: EIGHT }), /done\.jsonl already holds 12 record\(s\) of an rrm compare run: give --resume to go on with it, --overwrite to replace it, or another --output/);
  assert.is(readFileSync(out, "utf8"), before);
  await run(out, { header: ONE, overwrite: true });
  assert.equal(headerOf(readFileSync(out, "utf8").split("\n")[0]), ONE);
  // Not an rrm file at all: refused too, and a resume of it cannot check settings.
  const other = join(dir, "notes.txt");
  writeFileSync(other, "my notes\n");
  await refused(run(other, { header: EIGHT }), /already holds 1 record/);
  await refused(run(other, { header: EIGHT, resume: true }), /has no run header/);
  assert.is(readFileSync(other, "utf8"), "my notes\n");
  // A run stopped before its first record left only its header: nothing to lose, so not refused.
  const empty = join(dir, "header-only.jsonl");
  writeFileSync(empty, JSON.stringify({ rrmRun: EIGHT }) + "\n");
  await run(empty, { header: ONE });
  assert.is(readDone(empty).size, 12);
});

test("merge: one header without the shard; shards of different runs or splits refused; -o kept without --overwrite", async () => {
  const full = join(dir, "m-full.jsonl");
  await run(full, { header: EIGHT });
  const parts = [0, 1, 2].map((k) => join(dir, `m-shard${k}.jsonl`));
  for (const [k, p] of parts.entries()) await run(p, { header: header({}, `${k}/3`), shard: `${k}/3` });
  const merged = join(dir, "m-merged.jsonl");
  assert.is(await mergeCommand(["-o", merged, ...parts]), 0);
  assert.is(readFileSync(merged, "utf8"), readFileSync(full, "utf8"));
  await refused(mergeCommand(["-o", merged, ...parts]), /already holds 12 record/);
  assert.is(await mergeCommand(["-o", merged, "--overwrite", ...parts]), 0);

  const odd = join(dir, "m-odd.jsonl");
  await run(odd, { header: { ...ONE, shard: "1/3" }, shard: "1/3" });
  await refused(mergeCommand(["-o", join(dir, "x.jsonl"), parts[0], odd, parts[2]]), /m-shard0\.jsonl and .*m-odd\.jsonl are outputs of different runs:\n  --votes\/--confidence: 8 in .*m-shard0\.jsonl, 1 in .*m-odd\.jsonl/);
  const half = join(dir, "m-half.jsonl");
  await run(half, { header: header({}, "1/2"), shard: "1/2" });
  await refused(mergeCommand(["-o", join(dir, "y.jsonl"), parts[0], half]), /shards of different splits/);
});

test("the CPU library (engine.cpuVariant): another one refuses a resume and a merge, naming RRM_CPU_VARIANT; a file from before it was recorded is not refused", async () => {
  const engine = (cpuVariant?: string) => ({ kvType: "f16", batchInvariant: true, reproducible: false, ...(cpuVariant ? { cpuVariant } : {}) });
  const ZEN4 = header({ engine: engine("zen4") }), SSE42 = header({ engine: engine("sse42") }), BEFORE = header({ engine: engine() });
  const out = join(dir, "cpu.jsonl");
  await run(out, { header: ZEN4, stopAfter: 4 });
  const before = readFileSync(out, "utf8");
  await refused(run(out, { header: SSE42, resume: true }), /RRM_CPU_VARIANT \(the CPU library\): "zen4" there, "sse42" now/);
  assert.is(readFileSync(out, "utf8"), before);
  const old = join(dir, "cpu-before.jsonl");
  await run(old, { header: BEFORE, stopAfter: 4 });
  await run(old, { header: ZEN4, resume: true });
  assert.is(readDone(old).size, 12);
  const shards = [0, 1].map((k) => join(dir, `cpu-shard${k}.jsonl`));
  await run(shards[0], { header: { ...ZEN4, shard: "0/2" }, shard: "0/2" });
  await run(shards[1], { header: { ...SSE42, shard: "1/2" }, shard: "1/2" });
  await refused(mergeCommand(["-o", join(dir, "cpu-merged.jsonl"), ...shards]), /different runs:\n  RRM_CPU_VARIANT \(the CPU library\): "zen4" in .*cpu-shard0\.jsonl, "sse42" in .*cpu-shard1\.jsonl/);
});

test("--json/--report files are refused when they hold something, unless --overwrite or --resume", () => {
  const f = join(dir, "summary.json");
  guardDerivedOutput(f, "--json", {});
  writeFileSync(f, "{}");
  assert.throws(() => guardDerivedOutput(f, "--json", {}), /--json .*summary\.json already exists: give --overwrite/);
  guardDerivedOutput(f, "--json", { overwrite: true });
  guardDerivedOutput(f, "--json", { resume: true });
});

test("a model's identity: size and sampled bytes; a missing file is named", () => {
  const m = join(dir, "m.bin");
  const big = Buffer.alloc(3 << 20, 7);
  writeFileSync(m, big);
  const a = modelIdentity(m);
  big[10] = 8;
  writeFileSync(m, big);
  const b = modelIdentity(m);
  big[big.length - 5] = 9;
  writeFileSync(m, big);
  const c = modelIdentity(m);
  assert.is(a.bytes, 3 << 20);
  assert.ok(a.fingerprint !== b.fingerprint && b.fingerprint !== c.fingerprint);
  assert.throws(() => modelIdentity(join(dir, "missing.gguf")), /cannot read the model .*missing\.gguf: no such file or directory \(ENOENT\)/);
  assert.equal(settingsDifferences({ judge: { votes: 8 } }, { judge: { votes: 8 } }), []);
  assert.equal(settingsDifferences({ rounds: null }, { rounds: 6 }), ["--rounds: null there, 6 now"]);
});

test.run();
