// JSON Lines in and out: one item per line, from a file or stdin, to a file or stdout.
// Output is written with one synchronous write per line, so every finished item is on disk at
// once and a killed process leaves at most one partial last line (which a resume cuts off).
import { closeSync, createReadStream, existsSync, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { CliError, EXIT } from "./exit-codes.js";

/** The run header's key (run-header.ts; kept here so that reading outputs needs no more). */
export const HEADER_KEY = "rrmRun";

export interface JsonlLine { line: number; text: string; value?: unknown; error?: string }

/** An input opened before the run starts: a missing file fails before the model loads. */
export interface JsonlSource { path?: string; fd?: number; size?: number }

export function openInput(path: string | undefined): JsonlSource {
  if (!path || path === "-") return {};
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new CliError(`cannot read the input ${path}: ${errnoText(e as Error)}`, EXIT.usage);
  }
  const st = fstatSync(fd);
  if (st.isDirectory()) {
    closeSync(fd);
    throw new CliError(`cannot read the input ${path}: it is a directory`, EXIT.usage);
  }
  return { path, fd, size: st.isFile() ? st.size : undefined };
}

/**
 * Each line's value, or the reason it is not JSON: one bad line is that line's error, not the run's.
 * The file is read through the descriptor opened first, so deleting or replacing (renaming over)
 * the input mid-run changes nothing: the run reads the file it started with to its end. A file
 * cut shorter while it is read is an error naming the last line read, not a quietly short run.
 */
export async function* readJsonl(source: string | JsonlSource | undefined): AsyncGenerator<JsonlLine> {
  const src = typeof source === "object" ? source : openInput(source);
  const stream = src.fd === undefined ? undefined : createReadStream("", { fd: src.fd });
  const rl = createInterface({ input: stream ?? process.stdin, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (!text.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        yield { line, text, error: `line ${line}: not valid JSON (${(e as Error).message})` };
        continue;
      }
      yield { line, text, value };
    }
  } finally {
    rl.close();
    if (stream && !stream.readableEnded) stream.destroy(); // a run stopped early: free the descriptor
  }
  if (stream && src.size !== undefined && stream.bytesRead < src.size) {
    throw new CliError(`the input ${src.path} was cut short while it was read (${src.size} bytes when opened, ${stream.bytesRead} read): the lines after line ${line} were not run; run the same command with --resume on the whole file`, EXIT.failed);
  }
}

/** The input line's fingerprint kept with its result, so a resume can tell a changed input. */
export function lineHash(text: string): string {
  return createHash("sha256").update(text.trim()).digest("hex").slice(0, 16);
}

export interface JsonlOutput {
  /** Throws OutputError once the output cannot take more (a full disk, a closed pipe). */
  write(value: unknown): void;
  /** Throws the OutputError that stdout reported after the last write, if any. */
  close(): void;
  /** Records written whole so far. */
  readonly written: number;
}

/** The output could not be written: `code` is the errno name (EPIPE, ENOSPC, EIO, ...). */
export class OutputError extends Error {
  constructor(readonly target: string, readonly code: string | undefined, cause: Error) {
    super(code === "EPIPE" ? `${target} was closed by its reader (EPIPE)` : `cannot write to ${target}: ${errnoText(cause)}`);
    this.name = "OutputError";
  }
}

/** "ENOSPC: no space left on device, write" -> "no space left on device (ENOSPC)". */
export const errnoText = (e: Error) => {
  const x = e as NodeJS.ErrnoException;
  const m = /^([A-Z0-9]+): ([^,]+)/.exec(x.message);
  return m ? `${m[2]} (${m[1]})` : x.message;
};

/**
 * Stdout's errors arrive as events after the write that caused them (Node writes to pipes and
 * devices asynchronously); `onError` hears the first so the run can stop at once. `header` is
 * the first line of an output that has none yet (an appended-to file keeps its own); it is not
 * counted in `written`.
 */
export function jsonlWriter(path: string | undefined, append = false, onError?: (e: OutputError) => void, header?: unknown): JsonlOutput {
  let written = 0;
  const w = jsonlLines(path, append, onError);
  // Written with the first record (or at the end of a run that has none), so that a failing
  // output fails where every write does: in write(), not while the run is being set up.
  let pending = header !== undefined && w.size === 0;
  const headerFirst = () => {
    if (!pending) return;
    pending = false;
    w.write(header);
  };
  return {
    write(value) {
      headerFirst();
      w.write(value);
      written++;
    },
    close() {
      try {
        headerFirst();
      } finally {
        w.close();
      }
    },
    get written() { return written; },
  };
}

function jsonlLines(path: string | undefined, append: boolean, onError?: (e: OutputError) => void): JsonlOutput & { size: number } {
  let written = 0;
  if (!path || path === "-") {
    let failed: OutputError | undefined;
    const listener = (e: NodeJS.ErrnoException) => {
      if (failed) return;
      failed = new OutputError("stdout", e.code, e);
      onError?.(failed);
    };
    process.stdout.on("error", listener);
    return {
      size: 0,
      write(value) {
        if (failed) throw failed;
        process.stdout.write(JSON.stringify(value) + "\n");
        written++;
      },
      close() {
        process.stdout.removeListener("error", listener);
        if (failed) throw failed;
      },
      get written() { return written; },
    };
  }
  const fd = openSync(path, append ? "a" : "w");
  // The end of the last whole record: a write that fails half way is cut back to it, so the file
  // holds only whole records and a resume goes on from there.
  let end = fstatSync(fd).size;
  let closed = false;
  return {
    size: end,
    write(value) {
      const buf = Buffer.from(JSON.stringify(value) + "\n");
      try {
        // writeSync may write part of the buffer (a disk filling up): write the rest, or fail.
        for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      } catch (e) {
        try { ftruncateSync(fd, end); } catch {}
        throw new OutputError(path, (e as NodeJS.ErrnoException).code, e as Error);
      }
      end += buf.length;
      written++;
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
    get written() { return written; },
  };
}

export interface DoneRecord { line: number; inputHash?: string; id?: unknown }

/**
 * The records an earlier run left in `path`, by input line. A partial last line (the process was
 * killed while writing it) is cut off the file so that appending goes on from a whole line.
 */
export function readDone(path: string): Map<number, DoneRecord> {
  const done = new Map<number, DoneRecord>();
  if (!existsSync(path)) return done;
  const buf = readFileSync(path);
  let keep = 0;
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    const text = buf.subarray(start, i).toString("utf8");
    start = i + 1;
    let rec: DoneRecord;
    try {
      rec = JSON.parse(text);
    } catch {
      break;
    }
    if (keep === 0 && rec && typeof rec === "object" && HEADER_KEY in rec) {
      keep = i + 1; // the run header (run-header.ts), checked before the resume
      continue;
    }
    if (typeof rec?.line !== "number") break;
    done.set(rec.line, rec);
    keep = i + 1;
  }
  if (keep < buf.length) {
    const fd = openSync(path, "r+");
    ftruncateSync(fd, keep);
    closeSync(fd);
  }
  return done;
}
