// `rrm bench`'s measurement: batched decoding on this machine, one configuration at a time, in
// llama-batched-bench's terms. For each (prompt PP, generated TG, batch B, KV mode, sampling,
// shared prompt) it runs B samples of TG tokens (EOS ignored, real sampling at temperature 0.8)
// after a PP-token prompt: one request with n = B when the prompt is shared, B requests with
// their own prompts when not. T_PP is the time until the last prompt is computed, T_TG the rest.
import { readFileSync } from "node:fs";
import { gpuDevices, loadAddon } from "../../bindings/index.js";
import { createEngine, type Engine } from "../engine.js";
import type { Model } from "../model.js";

export type KvChoice = "unified" | "split";
export type SamplingChoice = "cpu" | "backend";

export interface BenchConfig { pp: number; tg: number; b: number; kv: KvChoice; sampling: SamplingChoice; shared: boolean }

export interface BenchRow extends BenchConfig {
  nKv: number;
  tPp: number; sPp: number;
  tTg: number; sTg: number;
  t: number; s: number;
  /** Share of the engine's busy time spent sampling. */
  samplingShare: number;
  promptSubmitted: number;
  promptComputed: number;
  kvBytes: number;
  peakRssBytes: number;
  vramUsedBytes?: number;
  /** With --compare-llama: llama-batched-bench's S_TG and T for the same settings. */
  llamaSTg?: number;
  llamaT?: number;
}

export interface SweepOptions { threads?: number; batchSize?: number }

/** Ordinary token ids (no control tokens), different per prompt index. */
function promptTokens(model: Model, length: number, index: number): number[] {
  const n = Math.min(model.info.vocabularySize - 1000, 100000);
  return Array.from({ length }, (_, i) => 1000 + ((i * 7919 + index * 104729) % n));
}

function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {}
  return process.memoryUsage().rss;
}

function vramUsed(): number | undefined {
  const gpus = gpuDevices(loadAddon().systemInfo());
  return gpus.length ? gpus.reduce((s, d) => s + (d.memoryTotal - d.memoryFree), 0) : undefined;
}

export function nKv(c: BenchConfig): number {
  return c.shared ? c.pp + c.b * c.tg : c.b * (c.pp + c.tg);
}

export async function runConfig(model: Model, c: BenchConfig, o: SweepOptions = {}): Promise<BenchRow> {
  const perSeq = c.pp + c.tg + 64;
  const engine: Engine = createEngine(model, {
    contextSize: c.kv === "split" ? perSeq : nKv(c) + 256,
    maxSequences: Math.max(1, c.b),
    kvMode: c.kv,
    threads: o.threads,
    batchSize: o.batchSize,
    backendSampling: c.sampling === "backend",
    // No admission games: every sample fits from the start, as in llama-batched-bench.
    sampleHeadroom: c.tg,
  });
  try {
    // Touch every weight page first (memory-mapped): llama-batched-bench's timings exclude its load.
    await engine.generate({ prompt: promptTokens(model, 8, 999), n: 1, maxTokens: 2, ignoreEos: true, prefixCache: false });
    const before = engine.stats();
    const t0 = performance.now();
    const requests = c.shared
      ? [{ prompt: promptTokens(model, c.pp, 0), n: c.b }]
      : Array.from({ length: c.b }, (_, i) => ({ prompt: promptTokens(model, c.pp, i + 1), n: 1 }));
    const results = await Promise.all(requests.map((r, i) => engine.generate({
      ...r, maxTokens: c.tg, ignoreEos: true, temperature: 0.8, seed: 1 + i, prefixCache: false,
    })));
    const t = (performance.now() - t0) / 1000;
    const s = engine.stats();
    const tPp = Math.min(t, Math.max(...results.map((r) => (r.stats.timings.queuedMs + r.stats.timings.prefillMs) / 1000)));
    const tTg = Math.max(1e-9, t - tPp);
    const ppTokens = c.shared ? c.pp : c.pp * c.b;
    const busy = s.busyMs - before.busyMs;
    return {
      ...c,
      nKv: nKv(c),
      tPp, sPp: ppTokens / Math.max(tPp, 1e-9),
      tTg, sTg: (c.b * c.tg) / tTg,
      t, s: nKv(c) / t,
      samplingShare: busy > 0 ? (s.sampleMs - before.sampleMs) / busy : 0,
      promptSubmitted: s.promptTokensSubmitted - before.promptTokensSubmitted,
      promptComputed: s.promptTokensComputed - before.promptTokensComputed,
      kvBytes: engine.info.kvBytes,
      peakRssBytes: peakRss(),
      vramUsedBytes: vramUsed(),
    };
  } finally {
    engine.dispose();
  }
}

/** Every combination, batch sizes innermost (the order llama-batched-bench prints). */
export function configs(o: { prompts: number[]; gens: number[]; batches: number[]; kvs: KvChoice[]; samplings: SamplingChoice[]; shared: boolean[] }): BenchConfig[] {
  const out: BenchConfig[] = [];
  for (const kv of o.kvs) for (const sampling of o.samplings) for (const shared of o.shared) {
    for (const pp of o.prompts) for (const tg of o.gens) for (const b of o.batches) out.push({ pp, tg, b, kv, sampling, shared });
  }
  return out;
}
