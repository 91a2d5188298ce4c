// What compare, rank and eval share: check the whole run's flags, open the input and lock the
// output, open the engine, run the JSONL items through the judge with a progress bar (resumable,
// shardable, one flushed line per finished item), report failed items, free everything. Exit
// codes: exit-codes.ts.
import { addonLoadInfo, loadAddon } from "../../bindings/index.js";
import { createJudge, type CompareOptions, type Judge } from "../rrm/judge.js";
import { itemSeed } from "../random.js";
import { EXIT, signalExit, UsageError } from "./exit-codes.js";
import { cpuVariantOf, engineSettings, guardDerivedOutput, guardOutput, judgeSettings, makeHeader, type RunHeader } from "./run-header.js";
import { concurrencyFlag, engineFlags } from "./flag-checks.js";
import { openInput, type JsonlSource } from "./jsonl.js";
import { openEngine } from "./options.js";
import { judgeLine, judgeSpecFromFlags } from "./judge-choice.js";
import { lockOutput, type OutputLock } from "./output-lock.js";
import { ProgressBar } from "./progress.js";
import { checkResume, parseShard, runItems, type ItemContext, type Shard } from "./run-items.js";
import { voteCeiling } from "../rrm/adaptive-votes.js";
import { kvString, readGgufHeader } from "../gguf/reader.js";

export const RUN_FLAGS = {
  resume: { type: "boolean" },
  overwrite: { type: "boolean" },
  shard: { type: "string" },
  reproducible: { type: "boolean" },
} as const;

export function runHelp() {
  return `  --resume                  skip the items already in --output (same input, checked by a hash of
                            each line; same settings, checked against the file's first line) and
                            append the rest
  --overwrite               replace a non-empty --output (and --json/--report files); without it
                            or --resume such a file is refused and left as it is
  --shard K/N               only the items whose index is K modulo N (join shards with rrm merge)
  --reproducible            every item's result the same whatever the interruptions, shards or
                            other work: on the CPU that is the default (a batch-invariant engine,
                            items still batched together; refused with --no-batch-invariant); on
                            a GPU, whose kernels are not batch-invariant, one item at a time`;
}

export interface JudgeJsonlSpec<T> {
  label: string;
  values: Record<string, any>;
  /** Items in flight unless --concurrency says otherwise. */
  defaultConcurrency: number;
  pairsPerItem: number;
  options: CompareOptions;
  check: (value: unknown, line: number) => T;
  work: (judge: Judge, item: T, options: CompareOptions, bar: ProgressBar, ctx: ItemContext) => Promise<object>;
  onRecord?: (record: Record<string, unknown>, fresh: boolean) => void;
  /** The command's own settings that change results (rank: strategy, rounds, ...), for the run header. */
  settings?: Record<string, unknown>;
  /** Files written from the records at the end ([flag, path]): refused like the output when they hold something. */
  derived?: [string, string | undefined][];
  /** After the run, before the engine is freed (summaries, reports). */
  finish?: (elapsedMs: number, header: RunHeader) => void;
}

export async function judgeJsonl<T>(s: JudgeJsonlSpec<T>): Promise<number> {
  const { values } = s;
  // Everything that can be wrong with the run as a whole fails here, before the model loads.
  const shard = parseShard(values.shard);
  checkResume(values.resume, values.output);
  const reproducible = !!values.reproducible;
  // Batch invariance holds on the CPU backend (llama.cpp patches 0012-0014, on by default there);
  // GPU kernels are llama.cpp's own, so there the old way stays: one item at a time, no prompt
  // cache across items.
  const flags = engineFlags(values);
  const onGpu = flags.gpuLayers !== 0 && loadAddon().systemInfo().gpuOffload;
  if (reproducible && !onGpu && flags.batchInvariant === false) throw new UsageError("--reproducible needs batch invariance on the CPU: drop --no-batch-invariant");
  if (reproducible && !onGpu) values["batch-invariant"] = true;
  const serial = reproducible && onGpu;
  const concurrency = serial ? 1 : concurrencyFlag(values, s.defaultConcurrency);
  const runSeed = s.options.seed ?? 0;
  const file = values.output && values.output !== "-" ? (values.output as string) : undefined;
  const input = openInput(values.input);
  for (const [flag, path] of s.derived ?? []) guardDerivedOutput(path, flag, { resume: values.resume, overwrite: values.overwrite });
  if (!values.model) throw new UsageError("--model <file.gguf> is required (or try `rrm demo`, which writes its own test model)");
  const header = makeHeader(s.label, values.model, { judge: judgeSettings(s.options), engine: engineSettings(engineFlags(values), serial, onGpu, cpuVariantOf(addonLoadInfo())), ...s.settings }, values.shard);
  let lock: OutputLock | undefined;
  try {
    lock = file ? lockOutput(file) : undefined;
    // Before the model loads: a refused output costs nothing and is left as it is.
    if (file) guardOutput(file, { resume: values.resume, overwrite: values.overwrite, header });
    const note = randomWeightsNote(values.model, s.options);
    if (note) console.error(`rrm ${s.label}: ${note}`);
    return await judgeWithLock(s, { shard, concurrency, reproducible: serial, runSeed, file, input, header });
  } finally {
    lock?.release();
  }
}

async function judgeWithLock<T>(s: JudgeJsonlSpec<T>, run: { shard?: Shard; concurrency: number; reproducible: boolean; runSeed: number; file?: string; input: JsonlSource; header: RunHeader }): Promise<number> {
  const { values } = s;
  const spec = judgeSpecFromFlags(values); // before the load: a bad flag costs nothing
  const { model, engine } = await openEngine(values, { sequences: Math.min(240, voteCeiling(s.options.votes) * run.concurrency * s.pairsPerItem) });
  if (run.reproducible) engine.setPrefixCache(false);
  let judge: Judge;
  try {
    judge = createJudge(engine, { judge: spec });
  } catch (e) {
    engine.dispose();
    model.dispose();
    throw e;
  }
  // Which judge, when the command line chose one (auto says what it picked); the default says nothing.
  if (values.judge !== undefined || values["judge-template"] !== undefined) console.error(judgeLine(judge));
  const bar = new ProgressBar(s.label, undefined, !values["no-progress"]);
  const failures: FailedItem[] = [];
  const t0 = Date.now();
  try {
    const r = await runItems({
      input: run.input, output: values.output, concurrency: run.concurrency, resume: !!values.resume, overwrite: !!values.overwrite, header: run.header, shard: run.shard,
      check: s.check,
      work: (item, ctx) => s.work(judge, item, { ...s.options, seed: itemSeed(run.runSeed, ctx.index), signal: ctx.signal }, bar, ctx),
      onRecord: (rec, fresh) => {
        if (fresh && typeof rec.error === "string" && failures.length < SHOWN_FAILURES) failures.push({ line: rec.line as number, error: rec.error });
        s.onRecord?.(rec, fresh);
      },
      onItemDone: () => { bar.items++; bar.update(); },
    });
    bar.done();
    if (r.skipped) console.error(`${r.skipped} item(s) already in ${values.output}: skipped`);
    const resume = run.file ? `; to go on, run the same command with --resume` : "; to be able to resume, write to a file with -o";
    if (r.outputError) {
      if (r.outputError.code === "EPIPE") {
        console.error(`rrm ${s.label}: ${r.outputError.message}: stopped after ${r.written} record(s)`);
        return signalExit("SIGPIPE");
      }
      console.error(`rrm ${s.label}: ${r.outputError.message}; the ${r.written} record(s) written before it are whole${run.file ? `; make room, then run the same command with --resume` : ""}`);
      return EXIT.outputError;
    }
    if (r.interrupted) {
      console.error(`interrupted by ${r.signal}: ${r.ok + r.failed} item(s) written${run.file ? ` to ${run.file}` : ""}${resume}`);
      return signalExit(r.signal!);
    }
    s.finish?.(Date.now() - t0, run.header);
    if (r.failed) console.error(failedItemsText(r.failed, failures, run.file));
    return r.failed ? EXIT.failed : EXIT.ok;
  } finally {
    engine.dispose();
    model.dispose();
  }
}

export interface FailedItem { line: number; error: string }
const SHOWN_FAILURES = 3;

/** The failed items on stderr: how many, the first few with their lines, where the rest are. */
export function failedItemsText(count: number, first: FailedItem[], file?: string): string {
  const lines = first.map((f) => `  line ${f.line}: ${f.error.replace(/^line \d+: /, "")}`);
  const more = count > first.length ? `  ... and ${count - first.length} more; ` : "  ";
  return [`${count} item(s) failed:`, ...lines, `${more}each failed item's record${file ? ` in ${file}` : ""} has its "error"`].join("\n");
}

/**
 * A random-weight model (rrm make-model, rrm demo: its general.name says so) never closes
 * </think>, so without a thinking budget every vote runs to --max-tokens: minutes per vote at the
 * default 8192, which looks like a hang. One line says why and what to give.
 */
export function randomWeightsNote(modelPath: string, options: CompareOptions): string | undefined {
  if (options.thinkingBudget !== undefined) return undefined;
  let name: string | undefined;
  try {
    name = kvString(readGgufHeader(modelPath), "general.name");
  } catch {
    return undefined; // the load says what is wrong with the file
  }
  if (!name || !/random weights/i.test(name)) return undefined;
  return `${name}: a random-weight model never closes </think>, so every vote runs to --max-tokens (${options.maxTokens ?? 8192} tokens); give --thinking-budget 64 to force each verdict after 64 tokens of reasoning`;
}
