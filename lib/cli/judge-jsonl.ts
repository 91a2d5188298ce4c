// What compare, rank and eval share: open the engine, run the JSONL items through the judge with
// a progress bar (resumable, shardable, one flushed line per finished item), report failed items,
// free everything.
import { createJudge, type CompareOptions, type Judge } from "../rrm/judge.js";
import { itemSeed } from "../random.js";
import { intFlag, openEngine } from "./options.js";
import { ProgressBar } from "./progress.js";
import { checkResume, parseShard, runItems, type ItemContext } from "./run-items.js";

export const RUN_FLAGS = {
  resume: { type: "boolean" },
  shard: { type: "string" },
  reproducible: { type: "boolean" },
} as const;

export function runHelp() {
  return `  --resume                  skip the items already in --output (same input, checked by a hash of
                            each line) and append the rest
  --shard K/N               only the items whose index is K modulo N (join shards with rrm merge)
  --reproducible            one item at a time and no prompt cache across items: every item's
                            result is the same whatever the interruptions, shards or other work
                            (slower; otherwise verdicts can move with the batch they ran in)`;
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
  const shard = parseShard(values.shard);
  checkResume(values.resume, values.output); // before the model loads
  const reproducible = !!values.reproducible;
  const concurrency = reproducible ? 1 : intFlag(values, "concurrency", s.defaultConcurrency)!;
  const runSeed = s.options.seed ?? 0;
  const { model, engine } = await openEngine(values, { sequences: Math.min(240, (s.options.votes ?? 1) * concurrency * s.pairsPerItem) });
  if (reproducible) engine.setPrefixCache(false);
  const judge = createJudge(engine);
  const bar = new ProgressBar(s.label, undefined, !values["no-progress"]);
  const t0 = Date.now();
  try {
    const r = await runItems({
      input: values.input, output: values.output, concurrency, resume: !!values.resume, shard,
      check: s.check,
      work: (item, ctx) => s.work(judge, item, { ...s.options, seed: itemSeed(runSeed, ctx.index), signal: ctx.signal }, bar, ctx),
      onRecord: s.onRecord,
      onItemDone: () => { bar.items++; bar.update(); },
    });
    bar.done();
    if (r.skipped) console.error(`${r.skipped} item(s) already in ${values.output}: skipped`);
    if (r.interrupted) {
      const file = values.output && values.output !== "-" ? values.output : undefined;
      console.error(`interrupted: ${r.ok + r.failed} item(s) written${file ? ` to ${file}; to go on, run the same command with --resume` : "; to be able to resume, write to a file with -o"}`);
      return 130;
    }
    s.finish?.(Date.now() - t0);
    if (r.failed) console.error(`${r.failed} item(s) failed; see their "error" fields`);
    return r.failed ? 1 : 0;
  } finally {
    engine.dispose();
    model.dispose();
  }
}
