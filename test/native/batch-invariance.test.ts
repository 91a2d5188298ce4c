// Batch invariance (EngineOptions.batchInvariant; llama.cpp patches 0001-0003): on llama.cpp itself,
// a teacher-forced sequence's logits equal bit for bit across batch shapes and placements
// (native/tests/batch_invariance.cpp); on the engine, a sampled request's tokens, verdict and
// probabilities do not move with the load or with preemption. Each check has its control: the
// same thing without batch invariance differs, so the check could fail.
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toolPath } from "../../bindings/index.js";
import { createEngine, type GenerateRequest } from "../../lib/engine.js";
import { RrmOptionError } from "../../lib/errors.js";
import { loadModel } from "../../lib/model.js";
import { createJudge } from "../../lib/rrm/judge.js";
import { tinyModel, tinyRrmModel } from "../helpers/models.js";

const root = new URL("../../", import.meta.url).pathname;
const checker = join(dirname(toolPath("llama-simple")), "rrm-batch-invariance");

test("the built llama.cpp carries every patch in patches/ (the source stamp lists them)", () => {
  const stamp = JSON.parse(readFileSync(join(root, "deps", "llama.cpp", ".rrm-source"), "utf8"));
  const files = readdirSync(join(root, "patches")).filter((f) => f.endsWith(".patch")).sort();
  assert.ok(files.length >= 3, `patches: ${files.join(", ")}`);
  assert.equal(stamp.applied, files);
  const log = execFileSync("git", ["-C", join(root, "deps", "llama.cpp"), "log", "--format=%s", `${stamp.base}..HEAD`], { encoding: "utf8" }).trim().split("\n").reverse();
  assert.is(log.length, files.length, log.join(" | "));
});

test("llama.cpp: teacher-forced logits equal bit for bit across rows 1/2/4/5/64, chunks, holes, copies, a swap, the top of the cache; the control differs", () => {
  const model = tinyModel();
  const on = spawnSync(checker, [model, "--threads", "2"], { encoding: "utf8" });
  assert.is(on.status, 0, on.stdout + on.stderr);
  assert.match(on.stdout, /batch-invariant: 0 of 10 scenarios differ/);
  // The wrap scenario did pack the sequence (ordered placement found no cell above it).
  assert.match(on.stdout, /relocated at forced token \d+/);
  const off = spawnSync(checker, [model, "--threads", "2", "--control"], { encoding: "utf8" });
  assert.is(off.status, 0, off.stdout + off.stderr);
  const differ = Number(/control \(batch invariance off\): (\d+) of 10/.exec(off.stdout)?.[1]);
  assert.ok(differ >= 5, `the control should differ in most scenarios:\n${off.stdout}`);
});

// Patch 0009 builds the attention mask from one pass over the cells; LLAMA_KV_MASK_BY_CELL=0 keeps
// llama.cpp's per-token loop. The mask must be the same value for value, so every logits row of
// every scenario (multi-token ubatches of one sequence, 64 sequences a step, holes, cells shared
// by a copied prefix, a restore, a wrap) must hash the same both ways, with the default kernels
// (--control: tiled attention, default placement) and with batch invariance on.
test("llama.cpp: the mask built by cell (0009) gives the per-token loop's logits bit for bit, in every scenario", () => {
  const model = tinyModel();
  for (const mode of [["--control"], []]) {
    const digests = (byCell: string) => {
      const r = spawnSync(checker, [model, "--threads", "2", "--digest", ...mode], { encoding: "utf8", env: { ...process.env, LLAMA_KV_MASK_BY_CELL: byCell } });
      assert.is(r.status, 0, r.stdout + r.stderr);
      return r.stdout.split("\n").filter((l) => l.startsWith("digest "));
    };
    const byCell = digests("1"), perToken = digests("0");
    assert.is(byCell.length, 11, byCell.join("\n"));
    assert.equal(byCell, perToken);
    // The digests do tell rows apart: in the control, loads change the rows and so the digest.
    if (mode.length) assert.ok(new Set(byCell.map((l) => l.split(" ")[1])).size >= 5, byCell.join("\n"));
  }
});

test("a batch-invariant engine needs the model loaded with repack: false, and says so", async () => {
  const model = await loadModel(tinyModel());
  try {
    assert.throws(() => createEngine(model, { batchInvariant: true, contextSize: 1024 }), (e: Error) => e instanceof RrmOptionError && /repack: false/.test(e.message));
  } finally {
    model.dispose();
  }
});

test("temperature 0.8: a request preempted in a 256-cell cache gives a roomy run's tokens; without batch invariance it does not", async () => {
  const req: GenerateRequest = { prompt: "The history of the printing press begins in", n: 6, maxTokens: 120, ignoreEos: true, temperature: 0.8, seed: 5 };
  const equal = async (batchInvariant: boolean) => {
    const model = await loadModel(tinyModel(), { repack: !batchInvariant });
    const large = createEngine(model, { contextSize: 8192, maxSequences: 8, threads: 2, batchInvariant });
    const small = createEngine(model, { contextSize: 256, maxSequences: 8, threads: 2, sampleHeadroom: 4, batchInvariant });
    try {
      const a = await large.generate(req), b = await small.generate(req);
      assert.ok(b.stats.preemptions >= 6, `every sample preempted: ${b.stats.preemptions}`);
      return { same: a.completions.filter((c, i) => c.tokens.join() === b.completions[i].tokens.join()).length, relocations: small.stats().relocations };
    } finally {
      large.dispose();
      small.dispose();
      model.dispose();
    }
  };
  const on = await equal(true);
  assert.is(on.same, 6);
  assert.ok(on.relocations > 0, "the small cache filled to its top and was packed");
  const off = await equal(false);
  assert.ok(off.same < 6, "control: without batch invariance the sampled tokens move");
});

test("a compare (4 votes, temperature 0.8) alone on a fresh engine equals the same compare amid 20 others on a warm cache; without batch invariance it does not", async () => {
  const pair = { query: "Which answer explains photosynthesis better?", a: "Plants turn light into sugar.", b: "Plants eat soil." };
  const opts = { votes: 4, seed: 11, thinkingBudget: 20, earlyStop: false, temperature: 0.8 };
  const run = async (batchInvariant: boolean) => {
    const model = await loadModel(tinyRrmModel(), { repack: !batchInvariant });
    try {
      const fresh = createEngine(model, { threads: 2, contextSize: 32768, batchInvariant });
      const alone = await createJudge(fresh).compare(pair, opts);
      fresh.dispose();
      const warm = createEngine(model, { threads: 2, contextSize: 32768, batchInvariant });
      const judge = createJudge(warm);
      await Promise.all(Array.from({ length: 3 }, (_, i) => judge.compare({ ...pair, b: `Other ${i}.` }, { ...opts, seed: 100 + i })));
      const others = Array.from({ length: 20 }, (_, i) => judge.compare({ query: pair.query, a: `Answer ${i}`, b: pair.b }, { ...opts, seed: 200 + i }));
      const loaded = await judge.compare(pair, opts);
      await Promise.all(others);
      warm.dispose();
      return { alone, loaded };
    } finally {
      model.dispose();
    }
  };
  const on = await run(true);
  assert.equal(on.loaded.samples.map((s) => s.text), on.alone.samples.map((s) => s.text));
  assert.equal(on.loaded.samples.map((s) => s.verdict), on.alone.samples.map((s) => s.verdict));
  assert.is(on.loaded.probabilityA, on.alone.probabilityA);
  assert.equal(on.loaded.votes, on.alone.votes);
  const off = await run(false);
  const same = off.alone.samples.filter((s, i) => s.text === off.loaded.samples[i].text).length;
  assert.ok(same < 4 || off.alone.probabilityA !== off.loaded.probabilityA, "control: without batch invariance the record moves with the load");
});

test.run();
