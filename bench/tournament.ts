// The tournament benchmark (PERF.md): knockout of 8 candidates x 4 votes and an ELO round-robin
// of 6 candidates x 2 votes, 64 sampled tokens per judgment, the Qwen2.5-0.5B-shaped Q8_0 model;
// our judge (whole rounds in flight, prefix cache) against the same matches run pair by pair
// through node-llama-cpp (one sequence per vote, every sequence prefilling its own prompt).
//   npx tsx bench/tournament.ts [--threads 2] [--no-peer] [--kv unified|split]
import { parseArgs } from "node:util";
import { createEngine, type KvMode } from "../lib/engine.js";
import { loadModel, type Model } from "../lib/model.js";
import { SeededRandom } from "../lib/random.js";
import { createJudge } from "../lib/rrm/judge.js";
import { makeTestModel } from "../lib/testmodel/make-model.js";
import { machineLine, table, timed } from "./lib/machine.js";
import { loadPeer, peerGenerate } from "./lib/peer.js";

const WORDS = "the a model answer because water light energy value system result method data first second however therefore example shows which where when reason simple clear step point number large small".split(" ");
function text(seed: number, words: number): string {
  const rng = new SeededRandom(seed);
  return Array.from({ length: words }, () => WORDS[rng.int(WORDS.length)]).join(" ") + ".";
}

export interface TournamentOptions { threads: number; peer: boolean; kvMode: KvMode; gen: number }

interface Run { label: string; strategy: "knockout" | "elo"; n: number; votes: number }
const RUNS: Run[] = [
  { label: "knockout 8 x 4 votes", strategy: "knockout", n: 8, votes: 4 },
  { label: "ELO 6 x 2 votes", strategy: "elo", n: 6, votes: 2 },
];

function commonPrefix(a: number[], b: number[]) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

export async function tournamentBenchmark(o: TournamentOptions) {
  const path = makeTestModel({ shape: "0.5b", type: "q8_0" });
  const model: Model = await loadModel(path);
  const query = "Question: " + text(1, 60);
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  for (const run of RUNS) {
    const candidates = Array.from({ length: run.n }, (_, i) => text(100 + i, 110));
    const pairsInRound = run.strategy === "elo" ? (run.n * (run.n - 1)) / 2 : run.n / 2;
    // Split KV gives every sequence its own contextSize cells; unified shares them all.
    const engine = createEngine(model, { contextSize: o.kvMode === "split" ? 1024 : 32768, maxSequences: Math.min(240, pairsInRound * run.votes), threads: o.threads, kvMode: o.kvMode });
    const judge = createJudge(engine);
    await engine.generate({ prompt: [1000, 1001, 1002, 1003], n: 1, maxTokens: 2, ignoreEos: true, prefixCache: false }); // page the weights in
    // Budget = gen: every judgment samples `gen` tokens, then its verdict is read (forced).
    const ours = await timed(() => judge.rank(query, candidates, { strategy: run.strategy, votes: run.votes, thinkingBudget: o.gen, maxTokens: o.gen + 8, earlyStop: false, seed: 7 }));
    const s = engine.stats();
    // The bound of PERF.md: the prefix all prompts share, once, plus each match's own suffix.
    const prompts = ours.value.matches.map((m) => judge.prompter.tokens({ query, first: candidates[m.a], second: candidates[m.b] }));
    const shared = prompts.reduce((acc, p) => Math.min(acc, commonPrefix(prompts[0], p)), prompts[0].length);
    const bound = shared + prompts.reduce((acc, p) => acc + p.length - shared, 0);
    rows.push([`${run.label}: rrm-engine (${engine.kvMode})`, ours.ms / 1000, "1.00x", ours.value.stats.matches, s.promptTokensSubmitted, s.promptTokensComputed, bound, s.steps, Math.round(s.generatedTokens / (ours.ms / 1000)), (100 * s.sampleMs / s.busyMs).toFixed(1) + "%"]);
    notes.push(`${run.label}: prompts ${Math.min(...prompts.map((p) => p.length))}-${Math.max(...prompts.map((p) => p.length))} tokens, shared prefix ${shared}; winner #${ours.value.winner}`);
    engine.dispose();

    if (o.peer) {
      const peer = await loadPeer();
      if (!peer) {
        notes.push("node-llama-cpp not installed (bash bench/setup-peer.sh)");
        continue;
      }
      const llama = await peer.getLlama({ gpu: false, build: "never", logLevel: "error" });
      const pm = await llama.loadModel({ modelPath: path });
      const maxPrompt = Math.max(...prompts.map((p) => p.length));
      const ctx = await pm.createContext({ contextSize: (maxPrompt + o.gen + 64) * run.votes, sequences: run.votes, threads: o.threads, batchSize: 512 });
      // The same matches, one after another, each as `votes` sequences of node-llama-cpp.
      let generated = 0;
      const t = await timed(async () => {
        for (let k = 0; k < prompts.length; k++) generated += await peerGenerate(ctx, prompts[k], run.votes, o.gen, k);
      });
      const submitted = prompts.reduce((a, p) => a + p.length * run.votes, 0);
      rows.push([`${run.label}: node-llama-cpp pair by pair`, t.ms / 1000, (t.ms / ours.ms).toFixed(2) + "x", prompts.length, submitted, submitted, "-", "-", Math.round(generated / (t.ms / 1000)), "-"]);
      await ctx.dispose();
      await pm.dispose();
    }
  }
  model.dispose();
  return { rows, notes };
}

export function printTournament(r: Awaited<ReturnType<typeof tournamentBenchmark>>, o: TournamentOptions) {
  console.log(`\n## Tournaments: ${o.gen} sampled tokens per judgment, Qwen2.5-0.5B-shaped Q8_0, ${o.threads} threads`);
  console.log(machineLine());
  console.log(table(["run", "s", "vs ours", "matches", "prompt tok submitted", "computed", "bound", "steps", "gen tok/s", "sampling"], r.rows));
  for (const n of r.notes) console.log(n);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { threads: { type: "string" }, "no-peer": { type: "boolean" }, kv: { type: "string" } } });
  const o: TournamentOptions = { threads: Number(values.threads ?? 2), peer: !values["no-peer"], kvMode: (values.kv ?? "unified") as KvMode, gen: 64 };
  printTournament(await tournamentBenchmark(o), o);
}
