// `rrm demo` on the trained arithmetic judge (models/arithmetic-judge.md): a knockout over
// answers to a held-out arithmetic question, one right and the others plausibly wrong, then one
// vote's reasoning written out, so a new user sees verdicts that mean something.
import { createEngine } from "../engine.js";
import { loadModel } from "../model.js";
import { SeededRandom } from "../random.js";
import { createJudge } from "../rrm/judge.js";
import { drawCandidateSet, heldOut } from "../train/arithmetic.js";
import { trainedJudgeModel } from "../train/trained-model.js";
import { ProgressBar } from "./progress.js";

export interface TrainedDemoOptions { candidates: number; votes: number; seed: number; threads?: number }

export async function trainedDemo(o: TrainedDemoOptions): Promise<number> {
  const path = trainedJudgeModel();
  console.log(`Trained arithmetic judge (RRM prompt and verdict format; it knows arithmetic judging only):\n  ${path}`);
  const r = new SeededRandom(o.seed);
  const task = drawCandidateSet(r, r.coin() ? "add2" : "sub2", o.candidates, heldOut);
  const model = await loadModel(path);
  const engine = createEngine(model, { contextSize: 16384, maxSequences: Math.min(64, o.votes * Math.ceil(o.candidates / 2)), threads: o.threads });
  const judge = createJudge(engine);
  const bar = new ProgressBar("knockout", o.candidates - 1);
  try {
    console.log(`\nQuery: ${task.query}`);
    task.candidates.forEach((c, i) => console.log(`  #${i}: ${c}`));
    const res = await judge.rank(task.query, task.candidates, {
      strategy: "knockout", votes: o.votes, maxTokens: 256, seed: o.seed,
      onProgress: (p) => { bar.items = p.matchesDone; bar.tokens = p.generatedTokens; bar.update(); },
    });
    bar.votes = res.stats.judgments;
    bar.done();
    for (let round = 1; round <= res.rounds; round++) {
      console.log(`Round ${round}:`);
      for (const m of res.matches.filter((x) => x.round === round)) {
        console.log(`  #${m.a} vs #${m.b}  votes ${m.votes.a}-${m.votes.b}${m.votes.invalid ? ` (+${m.votes.invalid} invalid)` : ""}  ->  #${m.winner}`);
      }
    }
    const right = res.winner === task.right;
    // Say so when the bracket was settled without valid votes (rare with the shipped model:
    // models/arithmetic-judge.md).
    const invalid = res.matches.reduce((t, m) => t + m.votes.invalid, 0);
    if (invalid) console.log(`(${invalid} of ${res.stats.judgments} votes had no valid verdict; a match without a majority went to its tie-break)`);
    console.log(`\nWinner: #${res.winner}: ${task.candidates[res.winner]}  (${right ? "right" : `wrong: the right answer is #${task.right}`})`);
    if (!right) console.log("(this small judge's single votes are wrong about one time in eight on 2-digit problems, mostly where its own sum or difference is wrong, and a knockout needs every match of the winner right: models/arithmetic-judge.md)");
    const secs = res.stats.ms / 1000;
    console.log(`${res.stats.matches} matches, ${res.stats.judgments} judgments, ${res.stats.generatedTokens} tokens generated in ${secs.toFixed(2)}s (${Math.round(res.stats.generatedTokens / secs)} tok/s)`);

    // One vote written out: the right answer against the strongest wrong one (the runner-up).
    const other = res.winner === task.right ? res.matches[res.matches.length - 1] : undefined;
    const rival = other ? (other.a === task.right ? other.b : other.a) : res.winner;
    const one = await judge.compare({ query: task.query, a: task.candidates[task.right], b: task.candidates[rival] }, { votes: 1, maxTokens: 256, seed: o.seed, swap: "none" });
    console.log(`\nOne vote, #${task.right} shown as Assistant 1 and #${rival} as Assistant 2 (${one.samples[0]?.tokens ?? 0} tokens, ${one.samples[0]?.finishReason}):\n<think>\n${one.samples[0]?.text ?? ""}`);
    return 0;
  } finally {
    engine.dispose();
    model.dispose();
  }
}
