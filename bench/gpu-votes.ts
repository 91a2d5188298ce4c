// GPU votes benchmark: B = 32, 64, 128 samples of a shared 1024-token prompt, 128 tokens each,
// real sampling (temperature 0.6), our engine in unified and split KV beside llama-batched-bench
// -pps in both modes, same run. Decode throughput S_TG = generated tokens / decode seconds.
// The roofline (PERF.md): each step reads the weights once plus every sequence's KV cells.
//   npx tsx bench/gpu-votes.ts [--out DIR] [--sizes 32,64,128] [--shape 7b]
import { statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadAddon } from "../bindings/index.js";
import { createEngine, type KvMode } from "../lib/engine.js";
import { loadModel } from "../lib/model.js";
import { makeTestModel } from "../lib/testmodel/make-model.js";
import { SHAPES } from "../lib/testmodel/shapes.js";
import { batchedBench } from "../lib/bench/batched-bench.js";
import { machineLine, table } from "./lib/machine.js";

const { values } = parseArgs({ options: { out: { type: "string" }, sizes: { type: "string" }, shape: { type: "string" }, bandwidth: { type: "string" } } });
const shape = (values.shape ?? "7b") as "7b" | "tiny" | "0.5b";
const sizes = (values.sizes ?? "32,64,128").split(",").map(Number);
const PROMPT = 1024, GEN = 128;
const path = makeTestModel({ shape, type: shape === "7b" ? "q4_k" : "q8_0" });
const gpu = loadAddon().systemInfo().devices.find((d) => d.type === "gpu");
// HBM bandwidth, bytes/s: H100 SXM 3.35 TB/s, H200 4.8 TB/s (vendor figures).
const bandwidth = Number(values.bandwidth ?? (/H200/.test(gpu?.description ?? "") ? 4.8e12 : 3.35e12));
const s = SHAPES[shape];
const kvBytesPerToken = 2 * s.layers * s.kvHeads * (s.embedding / s.heads) * 2; // K and V, f16
const weightBytes = statSync(path).size;

function roofline(b: number) {
  const cells = PROMPT + GEN / 2; // average cells a sequence attends to over the run
  const step = (weightBytes + b * cells * kvBytesPerToken) / bandwidth;
  return b / step;
}

const model = await loadModel(path, { gpuLayers: "auto" });
const prompt = Array.from({ length: PROMPT }, (_, i) => 1000 + ((i * 7919) % 50000));
const rows: (string | number)[][] = [];
const log: string[] = [];
for (const b of sizes) {
  const ours: Record<string, number> = {};
  for (const [label, kvMode, backendSampling] of [["unified", "unified", false], ["split", "split", false], ["split+bs", "split", true], ["unified+bs", "unified", true]] as [string, KvMode, boolean][]) {
    const ctx = kvMode === "unified" ? PROMPT + b * GEN + 512 : PROMPT + GEN + 64;
    const engine = createEngine(model, { contextSize: ctx, maxSequences: b, kvMode, backendSampling, batchSize: Math.max(512, b), prefixCacheSlots: 1 });
    await engine.generate({ prompt: prompt.slice(0, 64), n: Math.min(b, 4), maxTokens: 4, ignoreEos: true, prefixCache: false }); // warm-up
    const r = await engine.generate({ prompt, n: b, maxTokens: GEN, temperature: 0.6, seed: 1, ignoreEos: true, prefixCache: false });
    const st = engine.stats();
    ours[label] = r.stats.generatedTokens / (r.stats.timings.decodeMs / 1000);
    log.push(`ours ${label} B=${b}: ${JSON.stringify({ ...r.stats, sampleMs: st.sampleMs, decodeMs: st.decodeMs, steps: st.steps })}`);
    engine.dispose();
  }
  const bb: Record<string, number> = {};
  for (const unified of [true, false]) {
    const r = batchedBench({ model: path, prompt: PROMPT, gen: GEN, parallel: [b], threads: availableParallelism(), shared: true, unified, ctx: unified ? PROMPT + b * GEN + 512 : (PROMPT + GEN + 64) * b, batch: Math.max(512, b), gpuLayers: 99 });
    bb[unified ? "unified" : "split"] = r.rows[0].sTg;
    log.push(`${r.command}\n  ${JSON.stringify(r.rows[0])}`);
  }
  const roof = roofline(b);
  const best = Math.max(...Object.values(ours));
  rows.push([b, Math.round(ours.unified), Math.round(ours.split), Math.round(ours["unified+bs"]), Math.round(ours["split+bs"]), Math.round(bb.unified), Math.round(bb.split), (best / Math.max(bb.unified, bb.split)).toFixed(2) + "x", Math.round(roof), (100 * best / roof).toFixed(1) + "%"]);
}
model.dispose();
const header = `## GPU votes: Qwen2-${shape}-shaped ${shape === "7b" ? "Q4_K" : "Q8_0"} (${(weightBytes / 2 ** 30).toFixed(2)} GiB), shared ${PROMPT}-token prompt, ${GEN} tokens per sample, temperature 0.6\n${machineLine()}\nS_TG = decode tokens/s (ours: with sampling; batched-bench never samples); roofline = B / ((weights + B x ${PROMPT + GEN / 2} cells x ${kvBytesPerToken} B) / ${(bandwidth / 1e12).toFixed(2)} TB/s)`;
const out = `${header}\n${table(["B", "ours unified", "ours split", "ours unified, backend sampling", "ours split, backend sampling", "batched-bench unified", "batched-bench split", "ours / best bb", "roofline tok/s", "ours / roofline"], rows)}\n`;
const dir = values.out ?? ".";
writeFileSync(join(dir, "table.md"), out);
writeFileSync(join(dir, "votes-detail.log"), log.join("\n") + "\n");
console.log(log.join("\n"));
console.log(out);
