// What compare, rank and eval share: check the whole run's flags, open the input and lock the
// output, open the engine, run the JSONL items through the judge with a progress bar (resumable,
// shardable, one flushed line per finished item), report failed items, free everything. Exit
// codes: exit-codes.ts.
import { loadAddon } from "../../bindings/index.js";
import { createJudge, type CompareOptions, type Judge } from "../rrm/judge.js";
import { itemSeed } from "../random.js";
import { EXIT, signalExit, UsageError } from "./exit-codes.js";
import { concurrencyFlag, engineFlags } from "./flag-checks.js";
import { openInput, type JsonlSource } from "./jsonl.js";
import { openEngine } from "./options.js";
import { judgeLine, judgeSpecFromFlags } from "./judge-choice.js";
import { lockOutput, type OutputLock } from "./output-lock.js";
import { ProgressBar } from "./progress.js";
import { checkResume, parseShard, runItems, type ItemContext, type Shard } from "./run-items.js";
import { voteCeiling } from "../rrm/adaptive-votes.js";

export const RUN_FLAGS = {
  resume: { type: "boolean" },
  shard: { type: "string" },
  reproducible: { type: "boolean" },
} as const;

export function runHelp() {
  return `  --resume                  skip the items already in --output (same input, checked by a hash of
                            each line) and append the rest
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
  /** After the run, before the engine is freed (summaries, reports). */
  finish?: (elapsedMs: number) => void;
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
  let lock: OutputLock | undefined;
  try {
    lock = file ? lockOutput(file) : undefined;
    return await judgeWithLock(s, { shard, concurrency, reproducible: serial, runSeed, file, input });
  } finally {
    lock?.release();
  }
}

async function judgeWithLock<T>(s: JudgeJsonlSpec<T>, run: { shard?: Shard; concurrency: number; reproducible: boolean; runSeed: number; file?: string; input: JsonlSource }): Promise<number> {
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
  console.error(judgeLine(judge));
  const bar = new ProgressBar(s.label, undefined, !values["no-progress"]);
  const t0 = Date.now();
  try {
    const r = await runItems({
      input: run.input, output: values.output, concurrency: run.concurrency, resume: !!values.resume, shard: run.shard,
      check: s.check,
      work: (item, ctx) => s.work(judge, item, { ...s.options, seed: itemSeed(run.runSeed, ctx.index), signal: ctx.signal }, bar, ctx),
      onRecord: s.onRecord,
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
    s.finish?.(Date.now() - t0);
    if (r.failed) console.error(`${r.failed} item(s) failed; see their "error" fields`);
    return r.failed ? EXIT.failed : EXIT.ok;
  } finally {
    engine.dispose();
    model.dispose();
  }
}
