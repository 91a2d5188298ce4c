// What storing K and V quantized buys and costs (engine option kvType), on the tiny RRM model:
// cells per GiB, decode tokens/s (8 samples x 256 tokens after a 512-token prompt), and the drift
// of forced-verdict probabilities (probabilityA: 12 pairs, 4 greedy votes, verdict forced after
// 16 tokens) against f16, with how many votes kept exactly f16's reasoning tokens.
//   npx tsx bench/kv-types.ts [--threads 2]
import { parseArgs } from "node:util";
import { createEngine } from "../lib/engine.js";
import type { KvType } from "../lib/kv-budget.js";
import { loadModel } from "../lib/model.js";
import { createJudge } from "../lib/rrm/judge.js";
import { makeTestModel } from "../lib/testmodel/make-model.js";
import { machineLine, table } from "./lib/machine.js";

const { values } = parseArgs({ options: { threads: { type: "string", default: "2" } } });
const threads = Number(values.threads);
const model = await loadModel(makeTestModel({ shape: "tiny", type: "q8_0", vocabulary: "rrm" }));
const prompt = Array.from({ length: 512 }, (_, i) => 1000 + ((i * 7919) % 50000));
const pairs = Array.from({ length: 12 }, (_, i) => ({ query: `Question ${i}: which is better?`, a: `First answer ${i * 3}.`, b: `Second answer ${i * 5}.` }));

interface Result { kvType: KvType; cellsPerGiB: number; tokS: number; probs: number[]; texts: string[] }
const results: Result[] = [];
for (const kvType of ["f16", "q8_0", "q4_0"] as KvType[]) {
  const engine = createEngine(model, { contextSize: 16384, maxSequences: 8, threads, kvType });
  await engine.generate({ prompt: prompt.slice(0, 8), n: 1, maxTokens: 2, ignoreEos: true, prefixCache: false });
  const r = await engine.generate({ prompt, n: 8, maxTokens: 256, ignoreEos: true, temperature: 0.8, seed: 1, prefixCache: false });
  const tokS = r.stats.generatedTokens / (r.stats.timings.decodeMs / 1000);
  const judge = createJudge(engine);
  const probs: number[] = [], texts: string[] = [];
  for (const p of pairs) {
    const v = await judge.compare(p, { votes: 4, temperature: 0, thinkingBudget: 16, earlyStop: false, swap: "none", seed: 3 });
    for (const s of v.samples) {
      probs.push(s.probabilityA!);
      texts.push(s.text);
    }
  }
  results.push({ kvType, cellsPerGiB: Math.floor(2 ** 30 / engine.info.bytesPerCell), tokS, probs, texts });
  engine.dispose();
}
model.dispose();
const f16 = results[0];
console.log("KV types: tiny RRM-vocabulary Q8_0 model, unified KV, 2 threads");
console.log(machineLine());
console.log(table(["kvType", "bytes/cell", "cells per GiB", "decode tok/s (8 x 256)", "vs f16", "votes with f16's tokens", "mean |dP(A)| vs f16", "max |dP(A)|"], results.map((r) => {
  const diffs = r.probs.map((p, i) => Math.abs(p - f16.probs[i]));
  const same = r.texts.filter((t, i) => t === f16.texts[i]).length;
  return [r.kvType, Math.round(2 ** 30 / r.cellsPerGiB), r.cellsPerGiB, r.tokS, `${(r.tokS / f16.tokS).toFixed(2)}x`, `${same}/${r.texts.length}`, (diffs.reduce((a, b) => a + b, 0) / diffs.length).toExponential(2), Math.max(...diffs).toExponential(2)];
})));
