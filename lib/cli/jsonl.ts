// JSON Lines in and out: one item per line, from a file or stdin, to a file or stdout.
// Output is written with one synchronous write per line, so every finished item is on disk at
// once and a killed process leaves at most one partial last line (which a resume cuts off).
import { closeSync, createReadStream, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";

export interface JsonlLine { line: number; text: string; value?: unknown; error?: string }

/** Each line's value, or the reason it is not JSON: one bad line is that line's error, not the run's. */
export async function* readJsonl(path: string | undefined): AsyncGenerator<JsonlLine> {
  const input = !path || path === "-" ? process.stdin : createReadStream(path);
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
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
}

/** The input line's fingerprint kept with its result, so a resume can tell a changed input. */
export function lineHash(text: string): string {
  return createHash("sha256").update(text.trim()).digest("hex").slice(0, 16);
}

export interface JsonlOutput {
  write(value: unknown): void;
  close(): void;
}

export function jsonlWriter(path: string | undefined, append = false): JsonlOutput {
  if (!path || path === "-") {
    return { write: (value) => void process.stdout.write(JSON.stringify(value) + "\n"), close: () => {} };
  }
  const fd = openSync(path, append ? "a" : "w");
  return {
    write(value) {
      writeSync(fd, JSON.stringify(value) + "\n");
    },
    close() {
      closeSync(fd);
    },
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
