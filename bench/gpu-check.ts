// GPU against CPU on a short prompt, same build, same model: the greedy next token must match and
// the next-token log-probabilities must agree within a tolerance (GPU kernels reorder float sums;
// Q4_K dequantization and matmul precision differ). Read through the probe of a forced
// continuation over the whole vocabulary: log p differs from the logits only by a constant.
//   npx tsx bench/gpu-check.ts [--shape 7b|tiny] [--dry-run]
import { parseArgs } from "node:util";
import { createEngine } from "../lib/engine.js";
import { loadModel } from "../lib/model.js";
import { makeTestModel } from "../lib/testmodel/make-model.js";

// Tolerances on log-probabilities of the CPU's 50 likeliest tokens.
const MAX_ABS = 0.25, MEAN_ABS = 0.05;

const { values } = parseArgs({ options: { shape: { type: "string" }, "dry-run": { type: "boolean" } } });
const shape = (values.shape ?? "7b") as "7b" | "tiny";
const path = makeTestModel({ shape, type: shape === "7b" ? "q4_k" : "q8_0" });
const prompt = "The three laws of thermodynamics state that";

async function distribution(gpuLayers: number | "auto") {
  const model = await loadModel(path, { gpuLayers });
  const engine = createEngine(model, { contextSize: 256, maxSequences: 1 });
  const all = Array.from({ length: model.info.vocabularySize }, (_, i) => i);
  const r = await engine.generate({ prompt, n: 1, maxTokens: 4, temperature: 0, forced: { afterTokens: 1, unlessToken: -1, tokens: [], probeTokens: all } });
  engine.dispose();
  model.dispose();
  const c = r.completions[0];
  return { first: c.tokens[0], logp: c.probe!.map((p) => Math.log(Math.max(p, 1e-30))) };
}

const cpu = await distribution(0);
const gpu = values["dry-run"] ? await distribution(0) : await distribution("auto");
const top = cpu.logp.map((l, i) => [l, i]).sort((a, b) => b[0] - a[0]).slice(0, 50).map(([, i]) => i);
const diffs = top.map((i) => Math.abs(cpu.logp[i] - gpu.logp[i]));
const maxAbs = Math.max(...diffs), meanAbs = diffs.reduce((a, b) => a + b, 0) / diffs.length;
const argmax = (xs: number[]) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);
const gpuTop = argmax(gpu.logp);
const ok = cpu.first === gpu.first && gpuTop === top[0] && maxAbs <= MAX_ABS && meanAbs <= MEAN_ABS;
console.log(`model ${path}`);
console.log(`greedy token: cpu ${cpu.first}, gpu ${gpu.first}; next-token top: cpu ${top[0]}, gpu ${gpuTop}`);
console.log(`log-prob difference over the CPU's top 50: max ${maxAbs.toExponential(2)} (tolerance ${MAX_ABS}), mean ${meanAbs.toExponential(2)} (tolerance ${MEAN_ABS})`);
console.log(ok ? "CHECK PASSED" : "CHECK FAILED");
process.exitCode = ok ? 0 : 1;
