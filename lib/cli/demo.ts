// `rrm demo`: a small knockout tournament, with the bracket, the winner and the throughput. By
// default on the trained arithmetic judge the package ships (demo-trained.ts); with --random,
// --judge or --shape on a random-weight test model the command writes itself (the machinery on
// any judge family and shape; its verdicts are noise).
import { createEngine } from "../engine.js";
import { loadModel } from "../model.js";
import { judgePresets, type JudgePreset } from "../judges/index.js";
import { createJudge } from "../rrm/judge.js";
import { makeTestModel, type JudgeFamilyName } from "../testmodel/make-model.js";
import { HELP } from "./commands.js";
import { judgeLine } from "./judge-choice.js";
import { intFlag, parse, UsageError } from "./options.js";
import { ProgressBar } from "./progress.js";
import { trainedDemo } from "./demo-trained.js";

const QUERY = "Explain in one paragraph why the sky is blue.";
const CANDIDATES = [
  "Sunlight scatters off air molecules; shorter blue wavelengths scatter most (Rayleigh scattering), so blue light reaches our eyes from every direction.",
  "Because the sky reflects the ocean.",
  "Rayleigh scattering: molecules scatter light with intensity proportional to 1/wavelength^4, so blue dominates the diffuse skylight.",
  "The sky is blue because of the ozone layer's color.",
  "Air molecules scatter blue light more than red; at sunset the long path removes the blue, which is why sunsets are red.",
  "Blue is the default color of the atmosphere.",
  "Light from the Sun is scattered by nitrogen and oxygen; violet scatters even more, but our eyes are more sensitive to blue.",
  "Nobody knows.",
];

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { candidates: { type: "string" }, votes: { type: "string" }, shape: { type: "string" }, threads: { type: "string" }, seed: { type: "string" }, "thinking-budget": { type: "string" }, judge: { type: "string" }, random: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) return console.log(HELP.demo), 0;
  const trained = !values.random && values.judge === undefined && values.shape === undefined && values["thinking-budget"] === undefined;
  // On the trained judge: 4 answers, 5 votes a match (early stop after 3 that agree; its votes run
  // to EOS, ~80 tokens, not to a budget). Its single votes on 2-digit problems are right 87% of the
  // time, but a bracket of 8 near misses needs 3 matches in a row right: over seeds 1-12 the demo
  // named the right answer 10 times with 4 answers, 7 with 8 (models/arithmetic-judge.md).
  const n = intFlag(values, "candidates", trained ? 4 : 8)!;
  const votes = intFlag(values, "votes", trained ? 5 : 4)!;
  const seed = intFlag(values, "seed", 1)!;
  if (trained) {
    if (n < 2 || n > 16) throw new UsageError(`--candidates takes 2..16 with the trained judge, got ${n}`);
    return trainedDemo({ candidates: n, votes, seed, threads: intFlag(values, "threads") });
  }
  const budget = intFlag(values, "thinking-budget", 32)!;
  const candidates = Array.from({ length: n }, (_, i) => CANDIDATES[i % CANDIDATES.length] + (i >= CANDIDATES.length ? ` (variant ${Math.floor(i / CANDIDATES.length)})` : ""));

  // --judge: that family's test model. A random-weight model never writes a verdict, so the demo
  // needs one the thinking budget can force.
  const name = (values.judge as string | undefined) ?? "rrm";
  const preset = (judgePresets as Record<string, JudgePreset>)[name];
  const forcible = Object.values(judgePresets).filter((p) => p.forced).map((p) => p.name);
  if (!preset) throw new UsageError(`--judge expects one of ${Object.keys(judgePresets).join(", ")}, got ${JSON.stringify(name)}`);
  if (!preset.forced) throw new UsageError(`the demo's random-weight model never writes a verdict and the ${name} judge's cannot be forced (${preset.rule}); try --judge ${forcible.join(", ")}`);
  console.log(`Writing (or reusing) a ${name} test model (${values.shape ?? "tiny"}, random weights)...`);
  const path = makeTestModel({ shape: (values.shape as never) ?? "tiny", type: "q8_0", judge: name as JudgeFamilyName });
  console.log(`  ${path}`);
  const model = await loadModel(path);
  const engine = createEngine(model, { contextSize: 16384, maxSequences: Math.min(240, votes * Math.ceil(n / 2)), threads: intFlag(values, "threads") });
  const judge = createJudge(engine, { judge: name as never });
  console.log(judgeLine(judge));
  const bar = new ProgressBar("knockout", n - 1);
  try {
    const r = await judge.rank(QUERY, candidates, {
      strategy: "knockout", votes, thinkingBudget: budget, maxTokens: budget + 16, seed,
      onProgress: (p) => { bar.items = p.matchesDone; bar.tokens = p.generatedTokens; bar.update(); },
    });
    bar.votes = r.stats.judgments;
    bar.done();
    console.log(`\nQuery: ${QUERY}\n`);
    for (let round = 1; round <= r.rounds; round++) {
      console.log(`Round ${round}:`);
      for (const m of r.matches.filter((x) => x.round === round)) {
        const tb = m.tieBreak ? ` (tie broken by ${m.tieBreak})` : "";
        console.log(`  #${m.a} vs #${m.b}  votes ${m.votes.a}-${m.votes.b}${m.votes.invalid ? ` (+${m.votes.invalid} invalid)` : ""}  ->  #${m.winner}${tb}`);
      }
      const byes = r.bracket?.[round - 1].reduce<number[]>((acc, x, k, arr) => (k % 2 === 0 && (arr[k + 1] === null) && x !== null ? [...acc, x] : acc), []) ?? [];
      if (byes.length) console.log(`  byes: ${byes.map((b) => "#" + b).join(", ")}`);
    }
    const s = engine.stats();
    const secs = r.stats.ms / 1000;
    console.log(`\nWinner: #${r.winner}: ${candidates[r.winner]}`);
    console.log(`\n${r.stats.matches} matches, ${r.stats.judgments} judgments, ${r.stats.generatedTokens} tokens generated in ${secs.toFixed(2)}s ` +
      `(${Math.round(r.stats.generatedTokens / secs)} tok/s); prompt tokens computed ${s.promptTokensComputed} of ${s.promptTokensSubmitted} submitted ` +
      `(${s.promptTokensReused} reused from the prefix cache); ${s.steps} decode steps.`);
    console.log(`(A random-weight model judges noise: the point is the machinery. Point --model at a real RRM GGUF with \`rrm rank\`.)`);
    return 0;
  } finally {
    engine.dispose();
    model.dispose();
  }
}
