// The votes benchmark (PERF.md): one pair, a 1024-token prompt, 8 samples x 64 tokens, ignoring
// EOS, the Qwen2.5-0.5B-shaped Q8_0 model, same thread count everywhere. In one run:
// our engine, llama-batched-bench -pps -kvu (a ceiling: it never samples), 8 sequential
// generate({n: 1}) calls, and node-llama-cpp with 8 sequences.
//   npx tsx bench/votes.ts [--reps 3] [--threads 2] [--kv unified|split] [--no-peer]
import { parseArgs } from "node:util";
import { createEngine, type KvMode } from "../lib/engine.js";
import { loadModel } from "../lib/model.js";
import { makeTestModel } from "../lib/testmodel/make-model.js";
import { batchedBench } from "../lib/bench/batched-bench.js";
import { machineLine, median, table, timed } from "./lib/machine.js";
import { loadPeer, peerGenerate } from "./lib/peer.js";

export interface VotesOptions { reps: number; threads: number; kvModes: KvMode[]; peer: boolean; sequential: boolean; prompt: number; n: number; gen: number }

export async function votesBenchmark(o: VotesOptions) {
  const path = makeTestModel({ shape: "0.5b", type: "q8_0" });
  const model = await loadModel(path);
  // A fixed pseudo-random prompt of ordinary tokens.
  const prompt = Array.from({ length: o.prompt }, (_, i) => 1000 + ((i * 7919) % 50000));
  const results: Record<string, number[]> = {};
  const extra: Record<string, unknown> = {};
  const add = (k: string, ms: number) => (results[k] ??= []).push(ms);

  for (let rep = 0; rep < o.reps; rep++) {
    for (const kvMode of o.kvModes) {
      const engine = createEngine(model, { contextSize: o.prompt + o.n * o.gen + 256, maxSequences: o.n, threads: o.threads, kvMode });
      // Touch every weight page first (the model is memory-mapped): llama-batched-bench's timings
      // exclude its model load too.
      await engine.generate({ prompt: prompt.slice(0, 16), n: 1, maxTokens: 2, ignoreEos: true, prefixCache: false });
      const r = await timed(() => engine.generate({ prompt, n: o.n, maxTokens: o.gen, temperature: 0.6, seed: rep, ignoreEos: true, prefixCache: false }));
      add(`rrm-engine (${kvMode})`, r.ms);
      const s = engine.stats();
      extra[`rrm-engine (${kvMode})`] = { prefillComputed: r.value.stats.prefillTokensComputed, generated: r.value.stats.generatedTokens, steps: s.steps, sampleShare: s.sampleMs / s.busyMs };
      if (o.sequential && kvMode === o.kvModes[0]) {
        const seq = await timed(async () => {
          for (let i = 0; i < o.n; i++) await engine.generate({ prompt, n: 1, maxTokens: o.gen, temperature: 0.6, seed: rep * 100 + i, ignoreEos: true, prefixCache: false });
        });
        add(`${o.n} x sequential generate({n: 1})`, seq.ms);
      }
      engine.dispose();
    }
    const bb = batchedBench({ model: path, prompt: o.prompt, gen: o.gen, parallel: [o.n], threads: o.threads, shared: true, unified: true, ctx: o.prompt + o.n * o.gen + 256 });
    add("llama-batched-bench -pps -kvu", bb.rows[0].t * 1000);
    extra.batchedBenchCommand = bb.command;
    if (o.peer) {
      const peer = await loadPeer();
      if (peer) {
        const llama = await peer.getLlama({ gpu: false, build: "never", logLevel: "error" });
        const pm = await llama.loadModel({ modelPath: path });
        const ctx = await pm.createContext({ contextSize: (o.prompt + o.gen + 64) * o.n, sequences: o.n, threads: o.threads, batchSize: 512 });
        const r = await timed(() => peerGenerate(ctx, prompt, o.n, o.gen, rep));
        add(`node-llama-cpp 3.21.1 (${o.n} sequences)`, r.ms);
        await ctx.dispose();
        await pm.dispose();
      } else if (rep === 0) {
        console.error("(node-llama-cpp not installed: run `bash bench/setup-peer.sh` to include it)");
      }
    }
  }
  model.dispose();
  const base = median(results[`rrm-engine (${o.kvModes[0]})`]);
  const rows = Object.entries(results).map(([k, ms]) => [k, median(ms) / 1000, ms.map((x) => (x / 1000).toFixed(2)).join(" "), (median(ms) / base).toFixed(2) + "x"]);
  return { rows, results, extra, base };
}

export function printVotes(r: Awaited<ReturnType<typeof votesBenchmark>>, o: VotesOptions) {
  console.log(`\n## Votes: prompt ${o.prompt} tokens, n = ${o.n} x ${o.gen} tokens, ignoreEos, Qwen2.5-0.5B-shaped Q8_0, ${o.threads} threads, ${o.reps} reps`);
  console.log(machineLine());
  console.log(table(["run", "median s", "runs (s)", "vs rrm-engine"], r.rows));
  for (const [k, v] of Object.entries(r.extra)) console.log(`${k}: ${JSON.stringify(v)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { reps: { type: "string" }, threads: { type: "string" }, kv: { type: "string" }, "no-peer": { type: "boolean" }, "no-sequential": { type: "boolean" } } });
  const o: VotesOptions = {
    reps: Number(values.reps ?? 3), threads: Number(values.threads ?? 2),
    kvModes: (values.kv ? values.kv.split(",") : ["unified", "split"]) as KvMode[],
    peer: !values["no-peer"], sequential: !values["no-sequential"], prompt: 1024, n: 8, gen: 64,
  };
  printVotes(await votesBenchmark(o), o);
}
