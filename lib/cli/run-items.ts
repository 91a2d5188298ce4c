// Runs JSONL items with bounded concurrency and writes each result, in input order, the moment
// every earlier one is written. Each record carries its input line number and a hash of the line.
// - header: the run's settings (run-header.ts), the first line of a new output; a resume of a file
//   made with other settings is refused naming each difference, and a non-empty output is never
//   truncated without `overwrite`.
// - resume: items already in the output file are skipped (matched by line and hash: a changed
//   input line is refused, not mixed in); the rest are appended.
// - shard K/N: only items whose index (0-based, blank lines not counted) is K modulo N.
// - SIGINT, SIGTERM, SIGHUP (Ctrl-C, a process manager's stop, a closed terminal): no new items;
//   the ones in flight are cancelled and not written; whatever finished in order is on disk. A
//   second signal of the same kind ends the process as usual.
// - An output that fails (a full disk, a closed pipe) stops the run the same way: the records
//   written before it stay whole, and the error is in the result, not thrown.
import { setMaxListeners } from "node:events";
import { jsonlWriter, lineHash, OutputError, readDone, readJsonl, type JsonlSource } from "./jsonl.js";
import { UsageError } from "./exit-codes.js";
import { guardOutput, headerLine, type RunHeader } from "./run-header.js";

/** The signals that stop a run cleanly (each one once; the second is Node's default: exit). */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const satisfies readonly NodeJS.Signals[];

export interface Shard { index: number; count: number }

export interface ItemContext { line: number; index: number; signal: AbortSignal }

export interface RunItemsOptions<T> {
  input?: string | JsonlSource;
  output?: string;
  concurrency: number;
  resume?: boolean;
  /** Replace a non-empty output (without it, and without resume, such a file is refused). */
  overwrite?: boolean;
  /** The run's settings: written first into a new output, compared on resume. */
  header?: RunHeader;
  shard?: Shard;
  check: (value: unknown, line: number) => T;
  work: (item: T, ctx: ItemContext) => Promise<object>;
  /** Each record written (also the error records), e.g. for a summary. */
  onRecord?: (record: Record<string, unknown>, fresh: boolean) => void;
  onItemDone?: () => void;
}

export interface RunItemsResult {
  ok: number;
  failed: number;
  skipped: number;
  /** Stopped by a signal (which one in `signal`). */
  interrupted: boolean;
  signal?: NodeJS.Signals;
  /** Stopped because the output could not take more; `written` records before it are whole. */
  outputError?: OutputError;
  written: number;
}

/** "K/N" -> {index: K, count: N}. */
export function parseShard(text: string | undefined): Shard | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard expects K/N with 0 <= K < N (e.g. 0/4), got ${JSON.stringify(text)}`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

/** --resume appends to the earlier run's output: it needs that file. */
export function checkResume(resume: boolean | undefined, output: string | undefined): void {
  if (resume && (!output || output === "-")) throw new UsageError("--resume needs --output FILE (the earlier run's output)");
}

export async function runItems<T>(o: RunItemsOptions<T>): Promise<RunItemsResult> {
  checkResume(o.resume, o.output);
  const file = o.output && o.output !== "-" ? o.output : undefined;
  if (file) guardOutput(file, { resume: o.resume, overwrite: o.overwrite, header: o.header });
  const done = o.resume ? readDone(o.output!) : new Map();
  for (const rec of done.values()) o.onRecord?.(rec as unknown as Record<string, unknown>, false);
  const stop = new AbortController();
  // Every request in flight listens on it (items x orders can pass Node's default of 10).
  setMaxListeners(0, stop.signal);
  let signal: NodeJS.Signals | undefined;
  let outputError: OutputError | undefined;
  const onOutputError = (e: OutputError) => {
    outputError ??= e;
    stop.abort(e);
  };
  const out = jsonlWriter(o.output, o.resume, onOutputError, o.header && headerLine(o.header));
  const handlers = STOP_SIGNALS.map((name) => {
    const h = () => {
      signal ??= name;
      stop.abort(new Error(`interrupted by ${name}`));
    };
    process.once(name, h);
    return [name, h] as const;
  });

  const results = new Map<number, Record<string, unknown>>();
  let nextToWrite = 0, queued = 0, ok = 0, failed = 0, skipped = 0, index = -1;
  const inFlight = new Set<Promise<void>>();
  const flush = () => {
    while (results.has(nextToWrite) && !outputError) {
      const rec = results.get(nextToWrite)!;
      try {
        out.write(rec);
      } catch (e) {
        if (!(e instanceof OutputError)) throw e;
        onOutputError(e);
        return;
      }
      o.onRecord?.(rec, true);
      results.delete(nextToWrite++);
    }
  };
  try {
    for await (const { line, text, value, error } of readJsonl(o.input)) {
      if (stop.signal.aborted) break;
      index++;
      if (o.shard && index % o.shard.count !== o.shard.index) continue;
      const inputHash = lineHash(text);
      const prev = done.get(line);
      if (prev) {
        if (prev.inputHash !== inputHash) {
          throw new UsageError(`--resume: line ${line} of the input is not the line ${o.output} has a result for (its hash was ${prev.inputHash}, now ${inputHash}); use a new --output or the original input`);
        }
        skipped++;
        continue;
      }
      const k = queued++;
      const task = (async () => {
        let record: Record<string, unknown>;
        try {
          if (error !== undefined) throw new Error(error);
          const item = o.check(value, line);
          record = { line, ...(await o.work(item, { line, index, signal: stop.signal })), inputHash };
          ok++;
        } catch (e) {
          if (stop.signal.aborted) return; // cancelled by a signal: not written, a resume redoes it
          // One bad item is reported in its place; the others go on.
          record = { line, error: (e as Error).message, inputHash };
          failed++;
        }
        results.set(k, record);
        o.onItemDone?.();
        flush();
      })();
      inFlight.add(task);
      task.finally(() => inFlight.delete(task));
      while (inFlight.size >= o.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    flush();
  } catch (e) {
    // Reading the input failed, or a resume was refused: cancel what runs before the engine goes.
    stop.abort(e);
    await Promise.allSettled(inFlight);
    throw e;
  } finally {
    for (const [name, h] of handlers) process.removeListener(name, h);
    try {
      out.close();
    } catch (e) {
      if (!(e instanceof OutputError)) throw e;
      outputError ??= e; // stdout reported it after the last write
    }
  }
  return { ok, failed, skipped, interrupted: signal !== undefined, signal, outputError, written: out.written };
}
