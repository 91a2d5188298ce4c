// The share of step time spent sampling at n = 8, 32 and 64 (PERF.md): a short shared prompt,
// 32 tokens per sample, temperature 0.6 (the one-pass path) and top-k 40 / top-p 0.95 (llama.cpp's
// sampler chain), with sampling on 1 thread and in parallel.
//   npx tsx bench/sampling.ts [--threads 2]
import { parseArgs } from "node:util";
import { createEngine } from "../lib/engine.js";
import { loadModel } from "../lib/model.js";
import { makeTestModel } from "../lib/testmodel/make-model.js";
import { machineLine, table } from "./lib/machine.js";

export async function samplingBenchmark(threads: number, sizes = [8, 32, 64]) {
  const model = await loadModel(makeTestModel({ shape: "0.5b", type: "q8_0" }));
  const prompt = Array.from({ length: 64 }, (_, i) => 1000 + i * 37);
  const rows: (string | number)[][] = [];
  for (const n of sizes) {
    for (const [label, sampling] of [["temperature 0.6", { temperature: 0.6 }], ["top-k 40, top-p 0.95", { temperature: 0.6, topK: 40, topP: 0.95 }]] as const) {
      for (const samplingThreads of [1, threads]) {
        const engine = createEngine(model, { contextSize: 64 + n * 40, maxSequences: n, threads, samplingThreads });
        const t0 = performance.now();
        await engine.generate({ prompt, n, maxTokens: 32, ignoreEos: true, seed: 1, prefixCache: false, ...sampling });
        const ms = performance.now() - t0;
        const s = engine.stats();
        rows.push([n, label, samplingThreads, (ms / 1000).toFixed(2), (s.decodeMs / s.steps).toFixed(1), (s.sampleMs / s.steps).toFixed(1), (100 * s.sampleMs / s.busyMs).toFixed(1) + "%", Math.round(s.generatedTokens / (ms / 1000))]);
        engine.dispose();
      }
    }
  }
  model.dispose();
  return rows;
}

export function printSampling(rows: (string | number)[][], threads: number) {
  console.log(`\n## Sampling share: 64-token shared prompt, 32 tokens per sample, Qwen2.5-0.5B-shaped Q8_0, ${threads} decode threads`);
  console.log(machineLine());
  console.log(table(["n", "sampler", "sampling threads", "total s", "decode ms/step", "sample ms/step", "sampling share", "tok/s"], rows));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { threads: { type: "string" } } });
  const threads = Number(values.threads ?? 2);
  printSampling(await samplingBenchmark(threads), threads);
}
