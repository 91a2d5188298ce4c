// The real RRM workload (PERF.md, issue "real RRM workloads"): pairs x 8 votes at the paper's
// maxTokens 8192, each judgment ending at a length the scheduler cannot see in advance, drawn from
// a log-normal distribution (median 1,500 tokens, sigma 0.6, capped at 8,192; seeded). Every pair
// is in flight at once, as `rrm compare` over a file. Two KV memory budgets, each shared by the
// modes beside it, all in one run:
//   16k   16,384 f16 cells (a 7B model's KV in ~0.9 GB: a laptop or desktop GPU)
//   66k   the bytes of one worst-case request in f16: prompt + 8 x 8,192 cells
// and the admission modes:
//   worst-case  every request reserves prompt + n x maxTokens cells (the old admission). At 16k a
//               pair's 8 votes cannot be one request (65k cells), so they go as 8 requests of n = 1
//               (the only way the old engine runs them there); their prompt is shared by the cache.
//   by-use      admission by the cells in use + headroom, preemption to host memory
//   by-use q8_0 the same with K and V stored as q8_0 (the same bytes hold ~1.9x the cells)
// Each mode runs in its own process so its peak RSS is its own.
//   npx tsx bench/workload.ts [--shape tiny|0.5b] [--pairs 3] [--median 1500] [--threads 2]
//                             [--modes "16k worst-case,16k by-use"] [--base-addon PATH]
//                             [--old-kernels-too]
// --base-addon runs every mode a second time, in the same invocation, on another build of the
// addon (RRM_ADDON_PATH; its llama.cpp libraries beside it): before/after a change, side by side.
// --old-kernels-too runs every mode a second time with `batchInvariant: false` (the engine's
// default is batch-invariant on the CPU): what invariance costs on this workload, side by side.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createEngine, type EngineOptions } from "../lib/engine.js";
import { kvBytesPerCell } from "../lib/kv-budget.js";
import { loadModel } from "../lib/model.js";
import { SeededRandom } from "../lib/random.js";
import { RrmPrompter } from "../lib/rrm/prompt.js";
import { makeTestModel } from "../lib/testmodel/make-model.js";
import { machineLine, table } from "./lib/machine.js";

const MAX_TOKENS = 8192;
const VOTES = 8;
const SIGMA = 0.6;

const { values } = parseArgs({
  options: {
    shape: { type: "string", default: "tiny" },
    pairs: { type: "string", default: "3" },
    median: { type: "string", default: "1500" },
    threads: { type: "string", default: "2" },
    "max-sequences": { type: "string", default: "48" },
    mode: { type: "string" },
    modes: { type: "string" },
    "base-addon": { type: "string" },
    "old-kernels-too": { type: "boolean", default: false },
    "no-batch-invariant": { type: "boolean", default: false },
  },
});
const shape = values.shape as "tiny" | "0.5b";
const pairs = Number(values.pairs);
const medianLen = Number(values.median);
const threads = Number(values.threads);
const maxSequences = Number(values["max-sequences"]);

/** Standard normal from two uniforms (Box-Muller), so the draws repeat for a seed. */
function lengths(seed: number, count: number): number[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, () => {
    const u = Math.max(1e-12, rng.next()), v = rng.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(1, Math.min(MAX_TOKENS, Math.round(medianLen * Math.exp(SIGMA * z))));
  });
}

const WORDS = "the a model answer because water light energy value system result method data first second however therefore example shows which where when reason simple clear step point number".split(" ");
const text = (seed: number, words: number) => {
  const rng = new SeededRandom(seed);
  return Array.from({ length: words }, () => WORDS[rng.int(WORDS.length)]).join(" ") + ".";
};

interface ModeResult {
  mode: string;
  build?: string;
  contextSize: number;
  ms: number;
  judgments: number;
  generated: number;
  meanLive: number;
  peakLive: number;
  preemptions: number;
  swapMiB: number;
  swapMs: number;
  recomputed: number;
  peakRssMiB: number;
}

const MODES = ["16k worst-case", "16k by-use", "16k by-use q8_0", "66k worst-case", "66k by-use"];

async function runMode(mode: string): Promise<ModeResult> {
  const model = await loadModel(makeTestModel({ shape, type: "q8_0", vocabulary: "rrm" }));
  const prompter = new RrmPrompter(model);
  const prompts = Array.from({ length: pairs }, (_, k) => prompter.tokens({ query: "Question: " + text(10 + k, 40), first: text(100 + k, 90), second: text(200 + k, 90) }));
  const longest = Math.max(...prompts.map((p) => p.length));
  // The memory budget in bytes of f16 cells (llama.cpp sizes the cache in multiples of 256 cells).
  const f16Cells = mode.startsWith("16k") ? 16384 : Math.ceil((longest + VOTES * MAX_TOKENS) / 256) * 256;
  const budgetBytes = kvBytesPerCell(model.info, "f16") * f16Cells;
  const kvType = mode.endsWith("q8_0") ? "q8_0" : "f16";
  const cells = Math.floor(budgetBytes / kvBytesPerCell(model.info, kvType) / 256) * 256;
  const worstCase = mode.includes("worst-case");
  const options: EngineOptions = { contextSize: cells, kvType, maxSequences, threads, admission: worstCase ? "worst-case" : "by-use", ...(values["no-batch-invariant"] ? { batchInvariant: false } : {}) };
  const engine = createEngine(model, options);
  const draws = lengths(20261129, pairs * VOTES);
  // Old admission at a budget smaller than one 8-vote request: 8 requests of one vote each.
  const onePerVote = worstCase && longest + VOTES * MAX_TOKENS > cells;
  let liveSum = 0, polls = 0;
  const poll = setInterval(() => { const st = engine.stats(); liveSum += st.liveSequences; polls++; if (process.env.RRM_DEBUG && polls % 40 === 0) console.error(JSON.stringify(st)); }, 50);
  const t0 = performance.now();
  // Sample i of pair k has seed 1000 + k + i and length draws[k * 8 + i] either way.
  await Promise.all(prompts.flatMap((prompt, k) => onePerVote
    ? Array.from({ length: VOTES }, (_, i) => engine.generate({ prompt, n: 1, maxTokens: MAX_TOKENS, temperature: 0.6, seed: 1000 + k + i, ignoreEos: true, sampleMaxTokens: [draws[k * VOTES + i]] }))
    : [engine.generate({ prompt, n: VOTES, maxTokens: MAX_TOKENS, temperature: 0.6, seed: 1000 + k, ignoreEos: true, sampleMaxTokens: draws.slice(k * VOTES, (k + 1) * VOTES) })]));
  const ms = performance.now() - t0;
  clearInterval(poll);
  const s = engine.stats();
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  engine.dispose();
  model.dispose();
  return {
    mode, contextSize: cells, ms, judgments: pairs * VOTES, generated: s.generatedTokens,
    meanLive: polls ? liveSum / polls : 0, peakLive: s.peakLiveSequences, preemptions: s.preemptions,
    swapMiB: s.swapBytes / 2 ** 20, swapMs: s.swapMs, recomputed: 0, peakRssMiB: hwm ? Number(hwm[1]) / 1024 : process.memoryUsage().rss / 2 ** 20,
  };
}

if (values.mode) {
  console.log(JSON.stringify(await runMode(values.mode)));
} else {
  const draws = lengths(20261129, pairs * VOTES);
  const sorted = [...draws].sort((a, b) => a - b);
  console.log(`Workload: ${shape} Qwen2-shaped Q8_0 model (RRM vocabulary), ${pairs} pairs x ${VOTES} votes, maxTokens ${MAX_TOKENS}, temperature 0.6, ${threads} threads, maxSequences ${maxSequences}`);
  console.log(`Judgment lengths: log-normal, median ${medianLen}, sigma ${SIGMA}, cap ${MAX_TOKENS} (drawn: median ${sorted[sorted.length >> 1]}, mean ${Math.round(draws.reduce((a, b) => a + b, 0) / draws.length)}, max ${sorted[sorted.length - 1]}, total ${draws.reduce((a, b) => a + b, 0)})`);
  console.log(machineLine());
  const modes = values.modes ? values.modes.split(",").map((m) => m.trim()) : MODES;
  const unknown = modes.filter((m) => !MODES.includes(m));
  if (unknown.length) throw new Error(`unknown mode(s) ${unknown.join(", ")}; known: ${MODES.join(", ")}`);
  const baseAddon = values["base-addon"];
  const builds: { name: string; env: NodeJS.ProcessEnv; args?: string[] }[] = [{ name: "this", env: process.env }];
  if (baseAddon) builds.push({ name: "base", env: { ...process.env, RRM_ADDON_PATH: baseAddon } });
  if (baseAddon) console.log(`Builds: this = the package's own addon; base = ${baseAddon}`);
  if (values["old-kernels-too"]) {
    builds[0].name = "default";
    builds.push({ name: "batchInvariant: false", env: process.env, args: ["--no-batch-invariant"] });
  }
  const twoColumns = builds.length > 1;
  const rows: ModeResult[] = [];
  const self = fileURLToPath(import.meta.url);
  for (const mode of modes) {
    // The builds of one mode back to back, so a slow spell of this machine hits both.
    for (const build of builds) {
      const r = spawnSync(process.execPath, ["--import", "tsx", self, "--mode", mode, "--shape", shape, "--pairs", String(pairs), "--median", String(medianLen), "--threads", String(threads), "--max-sequences", String(maxSequences), ...(build.args ?? [])], { encoding: "utf8", maxBuffer: 16 << 20, env: build.env });
      const line = r.stdout.trim().split("\n").pop() ?? "";
      if (r.status !== 0 || !line.startsWith("{")) throw new Error(`mode ${mode} (${build.name}) failed: ${r.stderr.slice(-2000)}`);
      rows.push({ ...JSON.parse(line), build: build.name });
      process.stderr.write(`  ${mode}, ${build.name}: ${(rows[rows.length - 1].ms / 1000).toFixed(1)} s\n`);
    }
  }
  // Each mode against the worst-case mode of its own budget and build.
  const base = (r: ModeResult) => rows.find((x) => x.build === r.build && x.mode === r.mode.split(" ")[0] + " worst-case");
  const head = ["budget, admission", "KV cells", "s", "judgments/min", "vs worst-case", "tok/s", "mean live", "peak live", "preemptions", "swapped MiB", "swap ms", "recomputed tok", "peak RSS MiB"];
  console.log(table(
    twoColumns ? ["build", ...head] : head,
    rows.map((r) => {
      const w = base(r);
      const cells = [r.mode, r.contextSize, r.ms / 1000, (r.judgments / r.ms) * 60000, w ? `${(w.ms / r.ms).toFixed(2)}x` : "-", (r.generated / r.ms) * 1000, r.meanLive, r.peakLive, r.preemptions, r.swapMiB, r.swapMs, r.recomputed, r.peakRssMiB];
      return twoColumns ? [r.build!, ...cells] : cells;
    }),
  ));
}
