// Batch invariance (EngineOptions.batchInvariant, on by default on the CPU; llama.cpp patches
// 0002 and 0012-0014): on llama.cpp itself, a teacher-forced sequence's logits equal bit for bit
// across batch shapes and placements (native/tests/batch_invariance.cpp), with Q8_0 weights, Q4_K
// weights repacked (the default load) and a q8_0 KV cache; on the default engine, a sampled
// request's tokens, verdict and probabilities do not move with the load or with preemption. Each
// check has its control: the same thing with `batchInvariant: false` (the old kernels) differs, so
// the check could fail.
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

// (A q8_0 KV cache with Q8_0 weights has no control that differs: a quantized cache takes the
// one-chunk attention in every mode, and for Q8_0 weights vec_dot and tinyBLAS round alike here.
// With repacked Q4_K weights the old kernels' gemv does differ.)
for (const [label, model, extra] of [
  ["Q4_K weights repacked (the default load)", () => tinyModel({ type: "q4_k" }), ["--repack"]],
  ["Q4_K weights repacked and a q8_0 KV cache", () => tinyModel({ type: "q4_k" }), ["--repack", "--kv-type", "q8_0"]],
] as const) {
  test(`llama.cpp: the same checks with ${label}; the control differs`, () => {
    const on = spawnSync(checker, [model(), "--threads", "2", ...extra], { encoding: "utf8" });
    assert.is(on.status, 0, on.stdout + on.stderr);
    assert.match(on.stdout, /batch-invariant: 0 of 10 scenarios differ/);
    const off = spawnSync(checker, [model(), "--threads", "2", "--control", ...extra], { encoding: "utf8" });
    assert.is(off.status, 0, off.stdout + off.stderr);
    const differ = Number(/control \(batch invariance off\): (\d+) of 10/.exec(off.stdout)?.[1]);
    assert.ok(differ >= 3, `the control should differ:\n${off.stdout}`);
  });
}

// The proof that 0012-0014 are in the binary, by behaviour: llama_set_batch_invariant with the old
// reference kernels (LLAMA_BATCH_INVARIANT_REF=1: use_ref, which leaves repacked weights' gemv in
// place) is not invariant on repacked Q4_K weights; with the fast kernels (above) it is.
test("llama.cpp: with LLAMA_BATCH_INVARIANT_REF=1 (the reference kernels) repacked Q4_K rows move, so the invariant rows above come from patches 0012-0014", () => {
  const r = spawnSync(checker, [tinyModel({ type: "q4_k" }), "--threads", "2", "--repack"], { encoding: "utf8", env: { ...process.env, LLAMA_BATCH_INVARIANT_REF: "1" } });
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /batch-invariant: [1-9]\d* of 10 scenarios differ/);
});

// Patch 0015's attention kernel (fa-invariant.cpp): one reduction order per query row, whatever
// the thread count (with 3 threads a lone row's chunks are spread over the threads and merged
// after; with 2 each kv head takes a thread). The proof that it is in the binary: with
// GGML_CPU_FA_ONE_CHUNK=1 (0012's one-chunk kernel, invariant too) every scenario's rows are
// other numbers, still equal across scenarios.
test("llama.cpp: the invariant attention (0015) gives the same rows with 1, 2 and 3 threads; GGML_CPU_FA_ONE_CHUNK=1 gives other (still invariant) rows", () => {
  const model = tinyModel();
  const digests = (threads: string, env: Record<string, string> = {}) => {
    // passive: 3 OpenMP threads spinning on 2 cores took minutes instead of seconds
    const r = spawnSync(checker, [model, "--threads", threads, "--digest"], { encoding: "utf8", env: { ...process.env, OMP_WAIT_POLICY: "passive", ...env } });
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /batch-invariant: 0 of 10 scenarios differ/);
    return r.stdout.split("\n").filter((l) => l.startsWith("digest ")).map((l) => l.split(" ")[1]);
  };
  const two = digests("2");
  assert.is(two.length, 11);
  assert.equal(digests("3"), two);
  assert.equal(digests("1"), two);
  const oneChunk = digests("2", { GGML_CPU_FA_ONE_CHUNK: "1" });
  assert.ok(oneChunk.every((d, i) => d !== two[i]), `one-chunk ${oneChunk.join(",")} vs ${two.join(",")}`);
});

test("on the CPU an engine is batch-invariant by default, with repacked weights; batchInvariant: false turns it off", async () => {
  const model = await loadModel(tinyModel({ type: "q4_k" }));
  try {
    assert.ok(model.repack);
    const byDefault = createEngine(model, { contextSize: 1024 });
    assert.is(byDefault.info.batchInvariant, true);
    byDefault.dispose();
    const off = createEngine(model, { contextSize: 1024, batchInvariant: false });
    assert.is(off.info.batchInvariant, false);
    off.dispose();
    assert.throws(() => createEngine(model, { contextSize: 1024, batchInvariant: "yes" as never }), (e: Error) => e instanceof RrmOptionError && /batchInvariant/.test(e.message));
  } finally {
    model.dispose();
  }
});

test("temperature 0.8: a request preempted in a 256-cell cache gives a roomy run's tokens; without batch invariance it does not", async () => {
  const req: GenerateRequest = { prompt: "The history of the printing press begins in", n: 6, maxTokens: 120, ignoreEos: true, temperature: 0.8, seed: 5 };
  // undefined: the default engine
  const equal = async (batchInvariant?: false) => {
    const model = await loadModel(tinyModel());
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
  const on = await equal();
  assert.is(on.same, 6);
  assert.ok(on.relocations > 0, "the small cache filled to its top and was packed");
  const off = await equal(false);
  assert.ok(off.same < 6, "control: without batch invariance the sampled tokens move");
});

// The default engine, Q8_0 and Q4_K (repacked) weights: a compare alone on a fresh engine, then the
// same compare amid 1, 3, 20 and 63 other compares on a warm cache (its prompt cached by earlier
// work), must give the same record. The control (batchInvariant: false) must move somewhere.
for (const type of ["q8_0", "q4_k"] as const) {
  test(`default engine, ${type}: a compare (4 votes, temperature 0.8) alone equals the same compare amid 1, 3, 20 and 63 others on a warm cache; batchInvariant: false moves`, async () => {
    const pair = { query: "Which answer explains photosynthesis better?", a: "Plants turn light into sugar.", b: "Plants eat soil." };
    const opts = { votes: 4, seed: 11, thinkingBudget: 20, earlyStop: false, temperature: 0.8 };
    const record = (r: Awaited<ReturnType<ReturnType<typeof createJudge>["compare"]>>) => JSON.stringify([r.samples.map((s) => [s.text, s.verdict]), r.votes, r.probabilityA]);
    const run = async (batchInvariant?: false) => {
      const model = await loadModel(tinyRrmModel({ type }));
      try {
        const fresh = createEngine(model, { threads: 2, contextSize: 32768, batchInvariant });
        const alone = record(await createJudge(fresh).compare(pair, opts));
        fresh.dispose();
        const warm = createEngine(model, { threads: 2, contextSize: 32768, maxSequences: 240, batchInvariant });
        const judge = createJudge(warm);
        await judge.compare({ ...pair, b: "Warm-up." }, { ...opts, seed: 99 });
        const amid: string[] = [];
        for (const count of [1, 3, 20, 63]) {
          const others = Array.from({ length: count }, (_, i) => judge.compare({ query: pair.query, a: `Answer ${count}-${i}`, b: pair.b }, { ...opts, votes: 1, seed: 200 + i }));
          amid.push(record(await judge.compare(pair, opts)));
          await Promise.all(others);
        }
        warm.dispose();
        return { alone, amid };
      } finally {
        model.dispose();
      }
    };
    const on = await run();
    for (const r of on.amid) assert.is(r, on.alone);
    const off = await run(false);
    assert.ok(off.amid.some((r) => r !== off.alone), "control: with batchInvariant: false the record moves with the load");
  });
}

test.run();
