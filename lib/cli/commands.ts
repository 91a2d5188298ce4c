// The `rrm` commands. Each takes argv after its name and returns an exit code.
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import type { CompareOptions } from "../rrm/judge.js";
import { castVotes } from "../rrm/votes.js";
import { rankReportHtml, type RankTexts } from "../report/rank-report.js";
import { addonLoadInfo, loadAddon, type AddonLoadInfo } from "../../bindings/index.js";
import { JUDGE_VOCABULARY, makeTestModel } from "../testmodel/make-model.js";
import { autoJudge } from "../judges/index.js";
import { judgesTable } from "./judge-choice.js";
import { ENGINE_FLAGS, JUDGE_FLAGS, intFlag, openEngine, parse, UsageError } from "./options.js";
import { judgeFlags } from "./flag-checks.js";
import { judgeJsonl, runHelp, RUN_FLAGS } from "./judge-jsonl.js";
import { maxSwissRounds } from "../tournament/swiss.js";
import { formatHint, jsonType, lineObject, stringField } from "../line-fields.js";

export const HELP: Record<string, string> = {
  compare: `rrm compare --model FILE [options]
  Judges pairs. Reads JSONL {"query", "a", "b"} (from --input or stdin), writes JSONL
  {"line", "winner": "a"|"b"|null, "votes", "probabilityA", ...} in input order.
${judgeHelp()}`,
  rank: `rrm rank --model FILE [options]
  Ranks candidates. Reads JSONL {"query", "candidates": [...]}, writes JSONL with the winner's
  index, the ranking and every match.
  --strategy knockout|elo|swiss   tournament (default knockout: n-1 matches; elo: n(n-1)/2;
                            swiss: rounds x floor(n/2))
  --rounds R                swiss: rounds (default ceil(log2 n) + 1)
  --budget N                at most N judgments per item, spent on the least settled matches;
                            --votes then caps one match (default 15)
  --bootstrap N             elo: Bradley–Terry ratings with N bootstrap resamples
  --report FILE             a self-contained HTML report (knockout brackets / ELO ratings /
                            Swiss standings; where a budget went)
${judgeHelp()}`,
  demo: `rrm demo [--candidates 4 (trained) | 8 (random)] [--votes 5 (trained) | 4 (random)] [--seed N] [--threads N] [--random] [--shape tiny|0.5b] [--judge NAME] [--thinking-budget N]
  Runs a knockout tournament on the trained arithmetic judge the package ships (trainedJudgeModel():
  a small Qwen2 model that judges arithmetic answers in the RRM format, and nothing else) over
  answers to a held-out question, one right, and prints the bracket, the winner and one vote's
  reasoning. --random (or --shape, --judge, --thinking-budget): a random-weight RRM test model
  instead, whose verdicts come from the thinking budget's forced answer and are noise; --judge
  rm-r1-reasoning, j1 or think-rm-binary: that judge family's test model and preset.`,
  "make-model": `rrm make-model [--shape tiny|0.5b|1.5b|7b|14b] [--type f16|q8_0|q4_k] [--vocab qwen2|rrm] [--judge NAME] [--seed N] [--out FILE]
  Writes a Qwen2 GGUF with random weights and the real Qwen2 tokenizer; prints its path.
  --judge NAME: a judge family's test model instead (its base model's vocabulary and chat
  template: R1-Distill, Qwen2.5-Instruct, or Llama-3.1 with the llama architecture).`,
  judges: `rrm judges
  Lists the judge presets: models, verdict rule, ties, forced verdicts, and the source each
  prompt and rule were copied from.`,
  info: `rrm info [--model FILE [--context N] [--kv-type f16|q8_0|q4_0] [--max-sequences N]]
  Prints the compiled-in backends, the devices found, the model's metadata, and the KV cache an
  engine gets with these settings (cells, bytes per cell, KV bytes, how the size was chosen).`,
};

export function judgeHelp() {
  return `  -m, --model FILE          GGUF judge model (e.g. an RRM-7B conversion)
  --judge NAME              the judge's prompt and verdict rule: rrm (default), rm-r1-reasoning,
                            rm-r1-instruct, j1, j1-scores, judgelrm, think-rm, think-rm-binary,
                            auto (from the model's name; says what it picked) or custom with
                            --judge-template FILE --judge-verdict REGEX (see \`rrm judges\`)
  -v, --votes N             sampled judgments per pair, majority vote (default 1)
  --confidence C            adaptive votes: waves until the verdict is settled at C (0.5..1,
                            e.g. 0.9), at most --votes per pair (default 9)
  --max-tokens N            reasoning + answer per judgment (default 8192)
  --thinking-budget N       force the verdict after N reasoning tokens
  --temperature T --top-p P sampling (defaults 0.6 and 1, as the authors)
  --swap random|alternate|none   position-bias control (default random)
  --no-early-stop           always run every vote
  --tie-break none|a|b|probability|coin   (default none: a tie has no winner)
  --seed N                  the run's seed (default 0); each item's seed derives from it and the
                            item's index, so runs repeat
  -i, --input FILE  -o, --output FILE   (default stdin / stdout; one flushed line per item)
  --concurrency N           items in flight at once (default 8)
${runHelp()}
${engineHelp()}
  --no-progress             no progress bar on stderr`;
}

export function engineHelp() {
  return `  -t, --threads N           CPU threads (default: llama.cpp's choice; at most 4 per CPU)
  --max-sequences N  --gpu-layers N
  --context N               KV cells (default auto: sized from free memory; see engine.info)
  --no-mmap                 read the weights into memory instead of mapping the file (a model
                            file rewritten in place then cannot change a running judge)
  --kv-mode unified|split|auto  --kv-type f16|q8_0|q4_0
  --no-batch-invariant      the old CPU kernels, whose results move with the load (default on the
                            CPU: batch-invariant, the same seed gives the same tokens and verdicts
                            alone or amid any other work, at the same speed; BENCHMARKS.md)
  --batch-invariant         ask for it where it is not the default (a model on a GPU: placement
                            only, GPU kernels are unchanged)`;
}

/** The judge's options from the flags, range-checked before anything loads (flag-checks.ts). */
export function judgeOptions(values: Record<string, unknown>): CompareOptions {
  return judgeFlags(values);
}

/** One rrm compare input line: {"query", "a", "b", "id"?}. */
export function comparePair(v: unknown, line: number): { query: string; a: string; b: string; id?: unknown } {
  const o = lineObject(v, line, `{"query", "a", "b"}`);
  formatHint(o, line, "compare", `{"query", "a", "b"}`);
  return { query: stringField(o, "query", line), a: stringField(o, "a", line), b: stringField(o, "b", line), id: o.id };
}

/** One rrm rank input line: {"query", "candidates": [...], "id"?}. */
export function rankItem(v: unknown, line: number): { query: string; candidates: string[]; id?: unknown } {
  const o = lineObject(v, line, `{"query", "candidates"}`);
  formatHint(o, line, "rank", `{"query", "candidates": [...]}`);
  const c = o.candidates;
  if (c === undefined) throw new Error(`line ${line}: "candidates" is missing`);
  if (!Array.isArray(c) || c.length === 0 || c.some((x) => typeof x !== "string")) {
    const got = !Array.isArray(c) ? jsonType(c) : c.length === 0 ? "an empty array" : `an array holding ${jsonType(c.find((x) => typeof x !== "string"))}`;
    throw new Error(`line ${line}: "candidates" must be a non-empty array of strings, got ${got}`);
  }
  return { query: stringField(o, "query", line), candidates: c as string[], id: o.id };
}

const withId = (id: unknown) => (id !== undefined ? { id } : {});

export async function compareCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...ENGINE_FLAGS, ...JUDGE_FLAGS, ...RUN_FLAGS });
  if (values.help) return console.log(HELP.compare), 0;
  return judgeJsonl({
    label: "compare", values, defaultConcurrency: 8, pairsPerItem: 1, options: judgeOptions(values),
    check: comparePair,
    work: async (judge, item, opts, bar) => {
      const count = bar.itemCounter();
      const res = await judge.compare(item, { ...opts, onProgress: (p) => count(p.generatedTokens, p.votesDone) });
      count.final(castVotes(res.votes));
      return {
        ...withId(item.id),
        winner: res.winner, reason: res.reason, votes: res.votes, probabilityA: res.probabilityA, earlyStopped: res.earlyStopped,
        samples: res.samples.map((s) => ({ verdict: s.verdict, invalidReason: s.invalidReason, swapped: s.swapped, tokens: s.tokens, finishReason: s.finishReason, probabilityA: s.probabilityA })),
      };
    },
  });
}

export async function rankCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...ENGINE_FLAGS, ...JUDGE_FLAGS, ...RUN_FLAGS, strategy: { type: "string" }, bootstrap: { type: "string" }, rounds: { type: "string" }, budget: { type: "string" }, report: { type: "string" } });
  if (values.help) return console.log(HELP.rank), 0;
  // Whole-run settings fail now, before the model loads, not once per line.
  if (values.strategy !== undefined && !["knockout", "elo", "swiss"].includes(values.strategy)) throw new UsageError(`--strategy must be knockout, elo or swiss, got ${JSON.stringify(values.strategy)}`);
  if (values.bootstrap !== undefined && values.strategy !== "elo") throw new UsageError("--bootstrap applies to --strategy elo only");
  if (values.rounds !== undefined && values.strategy !== "swiss") throw new UsageError("--rounds applies to --strategy swiss only");
  const bootstrap = intFlag(values, "bootstrap");
  const rounds = intFlag(values, "rounds");
  const budget = intFlag(values, "budget");
  if (rounds !== undefined && rounds < 1) throw new UsageError(`--rounds expects an integer of at least 1, got ${rounds}`);
  if (budget !== undefined && budget < 1) throw new UsageError(`--budget expects an integer of at least 1, got ${budget}`);
  const options = judgeOptions(values);
  // Under a budget, an unset --votes means the budget's own cap per match, not 1.
  if (budget !== undefined && values.votes === undefined && values.confidence === undefined) delete options.votes;
  const records: Record<string, unknown>[] = [];
  const texts = new Map<number, RankTexts>(); // the report's query and candidate texts, by input line
  // --rounds beyond a round-robin's worth for a line's candidates: that line plays the most it can,
  // and one warning says so (lines differ in size, so this is per line, not a usage error).
  let warned = false;
  const swissRounds = (n: number, line: number) => {
    if (rounds === undefined || rounds <= Math.max(1, maxSwissRounds(n))) return rounds;
    const most = Math.max(1, maxSwissRounds(n));
    if (!warned) console.error(`rrm rank: --rounds ${rounds} is more than ${n} candidates can play without a pair meeting twice (at most ${most}, a round-robin's worth): line ${line} plays ${most}${values.input ? "; other lines are capped the same way" : ""}`);
    warned = true;
    return most;
  };
  return judgeJsonl({
    label: "rank", values, defaultConcurrency: 2, pairsPerItem: 4, options,
    settings: { strategy: values.strategy ?? "knockout", rounds: rounds ?? null, budget: budget ?? null, bootstrap: bootstrap ?? null },
    derived: [["--report", values.report]],
    check: (v, line) => {
      const item = rankItem(v, line);
      if (values.report) texts.set(line, { query: item.query, candidates: item.candidates });
      return item;
    },
    work: async (judge, item, opts, bar, ctx) => {
      const count = bar.itemCounter();
      const res = await judge.rank(item.query, item.candidates, { ...opts, strategy: values.strategy as never, bootstrap, rounds: swissRounds(item.candidates.length, ctx.line), budget, onProgress: (p) => count(p.generatedTokens, p.judgmentsDone) });
      count.final(res.stats.judgments);
      // No timings and no prefix-cache reuse in the record (both depend on what else ran and
      // when): a resumed or sharded run must write the same bytes.
      const { ms: _ms, prefillTokensComputed: _reused, ...stats } = res.stats;
      return { ...withId(item.id), winner: res.winner, strategy: res.strategy, ranking: res.ranking, rounds: res.rounds, bracket: res.bracket, byes: res.byes, budget: res.budget, matches: res.matches, stats };
    },
    onRecord: (rec) => void (values.report && records.push(rec)),
    finish: (_ms, run) => {
      if (values.report) {
        if (values.input && values.input !== "-") textsFromInput(values.input, records, texts); // the items an earlier run did (--resume)
        writeFileSync(values.report, rankReportHtml(records as never, { title: `rrm rank: ${values.input ?? "stdin"}`, model: basename(String(values.model)), run, texts }));
        console.error(`report: ${values.report}`);
      }
    },
  });
}

/** Texts for records whose items this invocation did not run (a resume): read from the input file, by line. */
function textsFromInput(path: string, records: Record<string, unknown>[], texts: Map<number, RankTexts>) {
  const need = new Set(records.map((r) => r.line as number).filter((l) => !texts.has(l)));
  if (need.size === 0) return;
  try {
    readFileSync(path, "utf8").split("\n").forEach((text, i) => {
      if (!need.has(i + 1)) return;
      try {
        const item = rankItem(JSON.parse(text), i + 1);
        texts.set(i + 1, { query: item.query, candidates: item.candidates });
      } catch {} // a bad line's record says why
    });
  } catch {} // the input is gone: the report says where the texts were
}

export async function makeModelCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { shape: { type: "string" }, type: { type: "string" }, vocab: { type: "string" }, judge: { type: "string" }, seed: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (values.help) return console.log(HELP["make-model"]), 0;
  if (values.judge !== undefined && values.vocab !== undefined) throw new UsageError("--judge picks the vocabulary: give --judge or --vocab, not both");
  if (values.judge !== undefined && !(values.judge in JUDGE_VOCABULARY)) throw new UsageError(`--judge expects one of ${Object.keys(JUDGE_VOCABULARY).join(", ")}, got ${JSON.stringify(values.judge)}`);
  const t0 = Date.now();
  const path = makeTestModel({ shape: values.shape as never, type: values.type as never, vocabulary: values.vocab as never, judge: values.judge as never, seed: intFlag(values, "seed"), path: values.out });
  console.error(`wrote in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  console.log(path);
  return 0;
}

export async function infoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...ENGINE_FLAGS });
  if (values.help) return console.log(HELP.info), 0;
  const sys = loadAddon().systemInfo();
  for (const line of describeLoad(addonLoadInfo())) console.log(line);
  console.log(`backends: ${sys.backends.join(", ")}`);
  console.log(`GPU offload: ${sys.gpuOffload ? "yes" : "no"}`);
  for (const d of sys.devices) console.log(`device ${d.name} (${d.type}): ${d.description}, ${(d.memoryFree / 2 ** 30).toFixed(1)} / ${(d.memoryTotal / 2 ** 30).toFixed(1)} GiB free`);
  console.log(`CPU features: ${sys.features}`);
  if (values.model) {
    const { model, engine } = await openEngine(values, { sequences: 16 });
    const { chatTemplate, ...rest } = model.info;
    console.log(JSON.stringify({ ...rest, chatTemplate: chatTemplate ? `${chatTemplate.length} characters` : null }, null, 2));
    const auto = autoJudge({ name: model.info.name, path: model.info.path });
    console.log(`judge (--judge auto): ${auto.preset.name} (${auto.reason})`);
    const e = engine.info;
    console.log(`engine: ${e.contextSize} KV cells (${e.kvMode}, ${e.kvType}), ${e.bytesPerCell} bytes per cell, ${(e.kvBytes / 2 ** 20).toFixed(0)} MiB of KV; ${e.contextSource}; maxSequences ${e.maxSequences}; admission ${e.admission}`);
    engine.dispose();
    model.dispose();
  }
  return 0;
}


export async function judgesCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { help: { type: "boolean", short: "h" } });
  if (values.help) return console.log(HELP.judges), 0;
  console.log(judgesTable());
  return 0;
}

/** rrm info's account of which binary and backends were loaded, and why. */
export function describeLoad(info: AddonLoadInfo): string[] {
  const from = { env: "RRM_ADDON_PATH", build: "a source build in this package (npm run build:native)", prebuilds: "the prebuilds folder in this package", package: `the platform package ${info.packageName}` }[info.source];
  const m = info.manifest;
  const lines = [`binary: ${info.path}`, `  from ${from}${m ? `; built ${m.builtAt?.slice(0, 10) ?? "?"} for ${m.platform}-${m.arch}${m.libc ? `-${m.libc}` : ""}${m.glibc ? `, needs glibc >= ${m.glibc}` : ""}` : ""}`];
  const b = info.backends;
  if (!b.dynamic) {
    lines.push("  backends linked in (static build, tuned for the machine that built it)");
    return lines;
  }
  const cpu = b.cpu!;
  const others = [...cpu.candidates].sort((a, b) => b.score - a.score).filter((c) => c.variant !== cpu.variant).map((c) => `${c.variant} ${c.score > 0 ? c.score : "unsupported"}`);
  lines.push(`CPU library: ${cpu.variant} (${cpu.forced ? "forced by RRM_CPU_VARIANT" : `best score ${cpu.score} of ${cpu.candidates.length}`}; others: ${others.join(", ") || "none"})`);
  if (b.gpu.length === 0) lines.push("GPU libraries: none found (install a GPU package, e.g. @rrm-engine/linux-x64-gnu-cuda, or build with --cuda)");
  for (const g of b.gpu) lines.push(`GPU library ${g.kind}: ${g.loaded ? "loaded" : "not loaded"} (${g.reason}) ${g.path}`);
  return lines;
}

export { UsageError };
