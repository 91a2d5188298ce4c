// What batch invariance costs, side by side in one run: the default engine (batch-invariant on the
// CPU, patches 0012-0014) against `batchInvariant: false` (the old kernels), on one model loaded
// the default way (repacked where llama.cpp repacks: Q4_K on AVX2), rows taken in turn:
//   votes        0.5B shape, a 1,024-token prompt, 8 samples x 64 tokens (prefill-heavy: what the
//                invariant engine gives up there is the tiled attention of long prompts)
//   knockout     0.5B shape, 8 candidates x 4 votes, 64 tokens per judgment
//   long votes   the tiny shape, 16 samples x 2,048 tokens after a 600-token prompt (decode at
//                2k-2.6k cells per sample: the attention-bound regime of real judgments)
//   longest      the tiny shape, 8 samples x 8,192 tokens after a 600-token prompt
//   npx tsx bench/invariance-cost.ts [--threads 2] [--reps 3] [--types q8_0,q4_k] [--only votes,knockout,long,longest]
import { parseArgs } from "node:util";
import { createEngine, type Engine } from "../lib/engine.js";
import { loadModel, type Model } from "../lib/model.js";
import { createJudge } from "../lib/rrm/judge.js";
import { makeTestModel } from "../lib/testmodel/make-model.js";
import { machineLine, table } from "./lib/machine.js";

const { values } = parseArgs({ options: { threads: { type: "string", default: "2" }, reps: { type: "string", default: "3" }, only: { type: "string" }, types: { type: "string", default: "q8_0,q4_k" } } });
const types = values.types.split(",") as ("q8_0" | "q4_k")[];
const threads = Number(values.threads), reps = Number(values.reps);
const only = values.only ? new Set(values.only.split(",")) : undefined;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface Case {
  name: string;
  shape: "tiny" | "0.5b";
  /** Runs once on this engine; returns [milliseconds, tokens generated]. */
  run(engine: Engine, rep: number): Promise<[number, number]>;
  engine(model: Model, batchInvariant: false | undefined): Engine;
}

const WORDS = "the a model answer because water light energy value system result method data first second however therefore example shows which where when reason".split(" ");
const text = (seed: number, words: number) => Array.from({ length: words }, (_, i) => WORDS[(seed * 31 + i * 17) % WORDS.length]).join(" ") + ".";

const CASES: Case[] = [
  {
    name: "votes", shape: "0.5b",
    engine: (model, batchInvariant) => createEngine(model, { contextSize: 1024 + 8 * 64 + 256, maxSequences: 8, threads, batchInvariant }),
    async run(engine) {
      const prompt = Array.from({ length: 1024 }, (_, i) => 1000 + ((i * 7919) % 50000));
      const t0 = performance.now();
      const r = await engine.generate({ prompt, n: 8, maxTokens: 64, ignoreEos: true, temperature: 0.8, seed: 1, prefixCache: false });
      return [performance.now() - t0, r.stats.generatedTokens];
    },
  },
  {
    name: "knockout", shape: "0.5b",
    engine: (model, batchInvariant) => createEngine(model, { contextSize: 32768, maxSequences: 16, threads, batchInvariant }),
    async run(engine, rep) {
      const judge = createJudge(engine);
      // Other candidates every rep: each engine meets them cold (nothing in its prefix cache).
      const candidates = Array.from({ length: 8 }, (_, i) => text(100 + i + 10 * rep, 110));
      const t0 = performance.now();
      const before = engine.stats().generatedTokens;
      await judge.rank("Question: " + text(1, 60), candidates, { strategy: "knockout", votes: 4, thinkingBudget: 64, maxTokens: 72, earlyStop: false, seed: 7 });
      return [performance.now() - t0, engine.stats().generatedTokens - before];
    },
  },
  {
    name: "long votes", shape: "tiny",
    engine: (model, batchInvariant) => createEngine(model, { contextSize: 600 + 16 * 2048 + 512, maxSequences: 16, threads, batchInvariant }),
    async run(engine) {
      const prompt = Array.from({ length: 600 }, (_, i) => 1000 + ((i * 7919) % 50000));
      const t0 = performance.now();
      const r = await engine.generate({ prompt, n: 16, maxTokens: 2048, ignoreEos: true, temperature: 0.8, seed: 2, prefixCache: false });
      return [performance.now() - t0, r.stats.generatedTokens];
    },
  },
  {
    name: "longest", shape: "tiny",
    engine: (model, batchInvariant) => createEngine(model, { contextSize: 600 + 8 * 8192 + 512, maxSequences: 8, threads, batchInvariant }),
    async run(engine) {
      const prompt = Array.from({ length: 600 }, (_, i) => 1000 + ((i * 7919) % 50000));
      const t0 = performance.now();
      const r = await engine.generate({ prompt, n: 8, maxTokens: 8192, ignoreEos: true, temperature: 0.8, seed: 3, prefixCache: false });
      return [performance.now() - t0, r.stats.generatedTokens];
    },
  },
];

const rows: (string | number)[][] = [];
for (const type of types) for (const c of CASES) {
  if (only && !only.has(c.name.split(" ")[0]) && !only.has(c.name)) continue;
  const model = await loadModel(makeTestModel({ shape: c.shape, type }));
  // [the old kernels, the default engine]
  const engines = [c.engine(model, false), c.engine(model, undefined)];
  if (!engines[1].info.batchInvariant || engines[0].info.batchInvariant) throw new Error("expected the default engine batch-invariant and the control not");
  // Page the weights in and warm each engine once before timing.
  for (const e of engines) await e.generate({ prompt: [1000, 1001, 1002, 1003], n: 1, maxTokens: 2, ignoreEos: true, prefixCache: false });
  const ms: number[][] = [[], []];
  let tokens = 0;
  for (let rep = 0; rep < reps; rep++) {
    for (const k of rep % 2 ? [1, 0] : [0, 1]) {
      const [t, n] = await c.run(engines[k], rep);
      ms[k].push(t);
      tokens = n;
      process.stderr.write(`  ${c.name} ${type} ${k ? "default (invariant)" : "batchInvariant: false"} rep ${rep + 1}: ${(t / 1000).toFixed(2)} s\n`);
    }
  }
  const [a, b] = ms.map(median);
  rows.push([c.name, type, tokens, (a / 1000).toFixed(2), (b / 1000).toFixed(2), `${((b / a - 1) * 100).toFixed(1)}%`, Math.round(tokens / (a / 1000)), Math.round(tokens / (b / 1000))]);
  for (const e of engines) e.dispose();
  model.dispose();
}

console.log(`Batch invariance, cost: the default engine (batch-invariant) vs batchInvariant: false, ${threads} threads, median of ${reps} alternating reps`);
console.log(machineLine());
console.log(table(["case", "weights", "tokens", "batchInvariant: false s", "default (invariant) s", "cost", "false tok/s", "default tok/s"], rows));
