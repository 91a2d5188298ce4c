// Soak (not in CI): 2,000 generations and 200 tournaments on one engine; RSS after warm-up must
// grow by less than 50 MB. Prints the figures RELIABILITY.md quotes.
//   npx tsx bench/soak.ts [--generations 2000] [--tournaments 200]
import { parseArgs } from "node:util";
import { createEngine } from "../lib/engine.js";
import { loadModel } from "../lib/model.js";
import { createJudge } from "../lib/rrm/judge.js";
import { SeededRandom } from "../lib/random.js";
import { makeTestModel } from "../lib/testmodel/make-model.js";

const { values } = parseArgs({ options: { generations: { type: "string" }, tournaments: { type: "string" } } });
const G = Number(values.generations ?? 2000), T = Number(values.tournaments ?? 200);
const mb = () => process.memoryUsage().rss / 2 ** 20;
const model = await loadModel(makeTestModel({ shape: "tiny", type: "q8_0", vocabulary: "rrm" }));
const engine = createEngine(model, { contextSize: 8192, maxSequences: 32, threads: 2 });
const judge = createJudge(engine);
const rng = new SeededRandom(9);

async function generations(count: number, offset: number) {
  for (let i = 0; i < count; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, count - i) }, (_, k) => {
      const ac = new AbortController();
      const p = engine.generate({ prompt: `soak ${offset + i + k} ${"x ".repeat(rng.int(200))}`, n: 1 + rng.int(4), maxTokens: 4 + rng.int(24), ignoreEos: true, seed: i + k, signal: ac.signal });
      if (rng.int(10) === 0) setTimeout(() => ac.abort(), rng.int(20));
      return p.catch((e) => { if (e.name !== "AbortError") throw e; });
    }));
  }
}
async function tournaments(count: number, offset: number) {
  for (let i = 0; i < count; i++) {
    const n = 3 + rng.int(4);
    await judge.rank(`query ${offset + i}`, Array.from({ length: n }, (_, k) => `candidate ${k} of ${offset + i}`), { strategy: i % 2 ? "elo" : "knockout", votes: 2, thinkingBudget: 3, maxTokens: 8, seed: i });
  }
}

const t0 = Date.now();
const start = mb();
await generations(200, 0); // warm-up: allocator pools, code caches, the prefix cache fills
await tournaments(20, 0);
global.gc?.();
const warm = mb();
await generations(G, 1000);
await tournaments(T, 1000);
global.gc?.();
const end = mb();
const s = engine.stats();
console.log(`soak: ${G} generations + ${T} tournaments after warm-up in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
console.log(`RSS: start ${start.toFixed(0)} MB, after warm-up ${warm.toFixed(0)} MB, end ${end.toFixed(0)} MB, growth ${(end - warm).toFixed(1)} MB (limit 50)`);
console.log(`engine: ${s.requestsDone} requests, ${s.generatedTokens} tokens, live sequences ${s.liveSequences}, prefix cache ${s.prefixCacheEntries} entries / ${s.prefixCacheCells} cells`);
engine.dispose();
model.dispose();
process.exitCode = end - warm < 50 && s.liveSequences === 0 ? 0 : 1;
