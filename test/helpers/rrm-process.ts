// The `rrm` command as a child process that a test can signal, kill and read while it runs.
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

export const ENTRY = new URL("../../lib/cli/entry.ts", import.meta.url).pathname;
export const BIN = new URL("../../bin/rrm.js", import.meta.url).pathname;

export interface RrmProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

/** Runs `rrm args` from source (node --import tsx lib/cli/entry.ts), or through bin/rrm.js. */
export function startRrm(args: string[], o: { bin?: boolean; stdio?: StdioOptions } = {}): RrmProcess {
  const argv = o.bin ? [BIN, ...args] : ["--import", "tsx", ENTRY, ...args];
  const child = spawn(process.execPath, argv, { stdio: o.stdio ?? ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, exited, stdout: () => out, stderr: () => err };
}

/** Waits until `cond` holds, polling every 50 ms, for at most `ms`. */
export async function until(cond: () => boolean, ms = 120_000, what = "the condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whole JSON records in a JSONL file (a missing file has none), without the run header line. */
export function recordsIn(path: string): Record<string, any>[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  return jsonRecords(text.slice(0, text.lastIndexOf("\n") + 1));
}

/** The records of an rrm output's text: each line parsed, the run header line ({"rrmRun": ...}) left out. */
export function jsonRecords(text: string): Record<string, any>[] {
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l)).filter((r) => !("rrmRun" in r));
}

/** No stack trace: no "    at fn (file:line)" line. */
export const hasStack = (text: string) => /^\s+at .+[:(]/m.test(text);
