// Does a result move with the load? (issue "real RRM workloads", part 3) On the tiny model:
//  1. preemption: 6 samples x 120 tokens in a 256-cell context (every sample preempted) against
//     an 8,192-cell context (none), greedy and seeded (temperature 0.8): samples with equal tokens;
//  2. load: one compare (4 votes, seed 11, thinking budget 20) alone on a fresh engine, then amid
//     20 other compares on a warm engine: equal reasoning tokens, and the probabilityA drift.
// Each case runs with the old kernels (`batchInvariant: false`) and on the default engine, which is
// batch-invariant on the CPU (patches 0012-0015); both load the model the default way (repacked
// where llama.cpp repacks).
//   npx tsx bench/determinism.ts [--threads 2] [--types q8_0,q4_k]
import { parseArgs } from "node:util";
import { createEngine, type GenerateResult } from "../lib/engine.js";
import { loadModel } from "../lib/model.js";
import { createJudge } from "../lib/rrm/judge.js";
import { makeTestModel } from "../lib/testmodel/make-model.js";
import { machineLine, table } from "./lib/machine.js";

const { values } = parseArgs({ options: { threads: { type: "string", default: "2" }, types: { type: "string", default: "q8_0,q4_k" } } });
const types = values.types.split(",") as ("q8_0" | "q4_k")[];
const threads = Number(values.threads);
const rows: (string | number)[][] = [];
const same = (a: GenerateResult, b: GenerateResult) => a.completions.filter((c, i) => c.tokens.join() === b.completions[i].tokens.join()).length;

for (const type of types) for (const batchInvariant of [false, undefined]) {
  const mode = batchInvariant === false ? "batchInvariant: false" : "default (invariant)";
  const plain = await loadModel(makeTestModel({ shape: "tiny", type }));
  for (const temperature of [0, 0.8]) {
    const req = { prompt: "The history of the printing press begins in", n: 6, maxTokens: 120, ignoreEos: true, temperature, seed: 5 };
    const large = createEngine(plain, { contextSize: 8192, maxSequences: 8, threads, batchInvariant });
    const small = createEngine(plain, { contextSize: 256, maxSequences: 8, threads, sampleHeadroom: 4, batchInvariant });
    const a = await large.generate(req), b = await small.generate(req);
    rows.push([mode, type, `preempted (256 cells) vs not (8192), temperature ${temperature}`, `${same(a, b)}/6 samples`, `${b.stats.preemptions} preemptions, ${small.stats().relocations} relocations`, "-"]);
    large.dispose();
    small.dispose();
  }
  plain.dispose();

  const rrm = await loadModel(makeTestModel({ shape: "tiny", type, vocabulary: "rrm" }));
  const pair = { query: "Which answer explains photosynthesis better?", a: "Plants turn light into sugar.", b: "Plants eat soil." };
  const opts = { votes: 4, seed: 11, thinkingBudget: 20, earlyStop: false };
  const fresh = createEngine(rrm, { threads, contextSize: 32768, batchInvariant });
  const alone = await createJudge(fresh).compare(pair, opts);
  fresh.dispose();
  const warm = createEngine(rrm, { threads, contextSize: 32768, batchInvariant });
  const judge = createJudge(warm);
  await Promise.all(Array.from({ length: 5 }, (_, i) => judge.compare({ ...pair, b: `Other ${i}.` }, { ...opts, seed: 100 + i })));
  const others = Array.from({ length: 20 }, (_, i) => judge.compare({ query: pair.query, a: `Answer ${i}`, b: pair.b }, { ...opts, seed: 200 + i }));
  const loaded = await judge.compare(pair, opts);
  await Promise.all(others);
  warm.dispose();
  rrm.dispose();
  const sameVotes = alone.samples.filter((s, i) => s.text === loaded.samples[i].text).length;
  rows.push([mode, type, "compare alone on a fresh engine vs amid 20 others on a warm cache", `${sameVotes}/4 votes`, `P(A) ${alone.probabilityA?.toFixed(6)} vs ${loaded.probabilityA?.toFixed(6)}`, Math.abs((alone.probabilityA ?? 0) - (loaded.probabilityA ?? 0)).toExponential(2)]);
}

console.log(`Determinism under load and preemption: tiny models (${types.join(", ")}, loaded the default way), CPU, ${threads} threads`);
console.log(machineLine());
console.log(table(["engine", "weights", "case", "equal tokens", "detail", "|dP(A)|"], rows));
