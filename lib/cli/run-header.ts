// Every output of rrm compare, rank and eval (and rrm merge) begins with one header line that
// records the settings that change its results: the model file's identity, the judge's options,
// the seed, the engine settings that move verdicts, the command's own (strategy, rounds, ...).
// A resume compares them with the run's and refuses, naming each difference, so one file never
// holds records of two kinds of run; merge refuses shards of different runs the same way.
//
//   {"rrmRun":{"command":"compare","version":"0.1.0","model":"judge.gguf","settings":{...}}}
//
// The records follow, each with its "line". What does not change results (threads, concurrency,
// the context size, the shard) is not a setting; the shard is kept beside them so that a resume
// of shard 1/4 cannot append to shard 0/4's file, and merge drops it, so merged shards equal an
// unsharded run's output byte for byte.
import { closeSync, existsSync, fstatSync, readFileSync, readSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { packageRoot, type AddonLoadInfo } from "../../bindings/index.js";
import type { CompareOptions } from "../rrm/types.js";
import { CliError, EXIT } from "./exit-codes.js";
import type { EngineFlags } from "./flag-checks.js";
import { errnoText, HEADER_KEY } from "./jsonl.js";
import { openModelFile } from "./options.js";

export { HEADER_KEY };

/** A model file's identity: its size and a SHA-256 over its size, first and last MiB. */
export interface ModelIdentity { bytes: number; fingerprint: string }

export interface RunHeader {
  command: string;
  /** rrm-engine's version (recorded, not compared: an upgrade alone does not refuse a resume). */
  version: string;
  /** The model file's name (recorded, not compared: a moved or renamed file is the same model). */
  model: string;
  /** What changes results; compared by resume and merge. */
  settings: Record<string, unknown>;
  /** "K/N" for a --shard run. */
  shard?: string;
}

const SAMPLE = 1 << 20;

/**
 * Reads 2 MiB of the file, not all of it: a 15 GB model is identified in milliseconds. A file
 * changed in its middle alone keeps its fingerprint; a re-quantized, re-converted or other model
 * changes its size, its header (tensor offsets) or its last tensors.
 */
export function modelIdentity(path: string): ModelIdentity {
  const fd = openModelFile(path);
  try {
    const bytes = fstatSync(fd).size;
    const hash = createHash("sha256").update(String(bytes));
    const buf = Buffer.alloc(Math.min(SAMPLE, bytes));
    readSync(fd, buf, 0, buf.length, 0);
    hash.update(buf);
    if (bytes > SAMPLE) {
      const tail = Buffer.alloc(Math.min(SAMPLE, bytes - SAMPLE));
      readSync(fd, tail, 0, tail.length, bytes - tail.length);
      hash.update(tail);
    }
    return { bytes, fingerprint: hash.digest("hex").slice(0, 16) };
  } catch (e) {
    throw new CliError(`cannot read the model ${path}: ${errnoText(e as Error)}`, EXIT.usage);
  } finally {
    closeSync(fd);
  }
}

let version: string | undefined;
export function rrmVersion(): string {
  try {
    version ??= String(JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")).version);
  } catch {
    version = "unknown";
  }
  return version;
}

/** The judge's options as they take effect (the judge's defaults filled in, so "--swap random" equals no --swap). */
export function judgeSettings(o: CompareOptions): Record<string, unknown> {
  return {
    votes: o.votes ?? null, // null: rank --budget's own cap per match
    maxTokens: o.maxTokens ?? 8192,
    thinkingBudget: o.thinkingBudget ?? null,
    temperature: o.temperature ?? 0.6,
    topP: o.topP ?? 1,
    swap: o.swap ?? "random",
    earlyStop: o.earlyStop ?? true,
    tieBreak: o.tieBreak ?? "none",
    seed: o.seed ?? 0,
  };
}

/**
 * The engine settings that move verdicts: the KV cache's type and batch invariance as it takes
 * effect (on by default on the CPU, off on a GPU), --reproducible where it changes how items
 * run (one at a time on a GPU; on the CPU it only asks for what the default already does), and
 * the CPU library that computed (`cpuVariant`: a portable build carries one per instruction set,
 * and two libraries can round differently, so machines that pick different ones can write other
 * records; RRM_CPU_VARIANT pins one; "static" for a build with llama.cpp linked in).
 */
export function engineSettings(f: EngineFlags, serial: boolean, onGpu: boolean, cpuVariant: string): Record<string, unknown> {
  return { kvType: f.kvType ?? "f16", batchInvariant: f.batchInvariant ?? !onGpu, reproducible: serial, cpuVariant };
}

/** The CPU library the addon loaded, as the run header records it. */
export function cpuVariantOf(info: AddonLoadInfo): string {
  return info.backends.dynamic && info.backends.cpu ? info.backends.cpu.variant : "static";
}

export function makeHeader(command: string, modelPath: string, settings: Record<string, unknown>, shard?: string): RunHeader {
  return { command, version: rrmVersion(), model: basename(modelPath), settings: { model: modelIdentity(modelPath), ...settings }, ...(shard ? { shard } : {}) };
}

/** The header of a JSON line, or undefined when the line is a record (or not JSON). */
export function headerOf(text: string): RunHeader | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const h = (v as Record<string, unknown> | null)?.[HEADER_KEY] as RunHeader | undefined;
  return h && typeof h === "object" && typeof h.settings === "object" ? h : undefined;
}

/** The line written at the top of an output. */
export const headerLine = (h: RunHeader) => ({ [HEADER_KEY]: h });

/** Flag names for the settings, so a refusal says what to change. */
const FLAG: Record<string, string> = {
  "model.bytes": "--model (file size)", "model.fingerprint": "--model (file contents)",
  "judge.votes": "--votes/--confidence", "judge.maxTokens": "--max-tokens", "judge.thinkingBudget": "--thinking-budget",
  "judge.temperature": "--temperature", "judge.topP": "--top-p", "judge.swap": "--swap", "judge.earlyStop": "--no-early-stop",
  "judge.tieBreak": "--tie-break", "judge.seed": "--seed", "engine.kvType": "--kv-type", "engine.batchInvariant": "--batch-invariant / --no-batch-invariant",
  "engine.reproducible": "--reproducible", "engine.cpuVariant": "RRM_CPU_VARIANT (the CPU library)", strategy: "--strategy", rounds: "--rounds", budget: "--budget", bootstrap: "--bootstrap",
};

function flatten(v: unknown, prefix: string, out: Map<string, string>) {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, JSON.stringify(v ?? null));
}

/**
 * Settings that files written before they were recorded lack: such a file is not refused for
 * lacking one (an upgrade alone does not refuse a resume or a merge).
 */
const RECORDED_LATER = new Set(["engine.cpuVariant"]);

/** Each setting that differs, as "--votes/--confidence: 8 there, 1 now". */
export function settingsDifferences(there: Record<string, unknown>, now: Record<string, unknown>, names = ["there", "now"]): string[] {
  const a = new Map<string, string>(), b = new Map<string, string>();
  flatten(there, "", a);
  flatten(now, "", b);
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => !RECORDED_LATER.has(k) || (a.has(k) && b.has(k)));
  return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => `${FLAG[k] ?? k}: ${a.get(k) ?? "(not set)"} ${names[0]}, ${b.get(k) ?? "(not set)"} ${names[1]}`);
}

/** A refused output: one line (or a list of differences), exit 2, no pointer to --help (no flag was wrong). */
const refused = (message: string) => new CliError(message, EXIT.usage);

/** What an output file holds: nothing, or its header (null when its first line is not one) and its records. */
export function outputContents(path: string): { empty: true } | { empty: false; header: RunHeader | null; records: number } {
  if (!existsSync(path)) return { empty: true };
  const st = statSync(path);
  if (!st.isFile() || st.size === 0) return { empty: true }; // a device or a pipe (/dev/null, a FIFO): nothing to keep
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.trim());
  const header = lines.length ? headerOf(lines[0]) ?? null : null;
  return { empty: false, header, records: lines.length - (header ? 1 : 0) };
}

/**
 * Refuses, before anything is written, an output a run would mix into or destroy:
 * - without --resume, a non-empty file unless --overwrite;
 * - with --resume, a file without a header, or one whose settings or shard differ from this run's.
 * The file is left as it is.
 */
export function guardOutput(path: string, o: { resume?: boolean; overwrite?: boolean; header?: RunHeader }): void {
  const c = outputContents(path);
  if (c.empty || (c.header && c.records === 0)) return; // nothing to lose (a run stopped before its first record)
  if (!o.resume) {
    if (o.overwrite) return;
    throw refused(`${path} already holds ${c.records} record(s)${c.header ? ` of an rrm ${c.header.command} run` : ""}: give --resume to go on with it, --overwrite to replace it, or another --output`);
  }
  if (!o.header) return;
  if (!c.header) throw refused(`--resume: ${path} has no run header (its first line does not record the settings it was made with, as rrm ${o.header.command} writes them), so a resume could mix runs; use another --output, or --overwrite without --resume to start it again`);
  const diffs = settingsDifferences(c.header.settings, o.header.settings);
  if (c.header.command !== o.header.command) diffs.unshift(`command: rrm ${c.header.command} there, rrm ${o.header.command} now`);
  if ((c.header.shard ?? null) !== (o.header.shard ?? null)) diffs.push(`--shard: ${c.header.shard ?? "(none)"} there, ${o.header.shard ?? "(none)"} now`);
  if (diffs.length) {
    throw refused(`--resume: ${path} was made with other settings, so its records and this run's would mix:\n  ${diffs.join("\n  ")}\nrun with the settings it was made with, or write to another --output (the file is unchanged)`);
  }
}

/** A summary or report file (--json, --report): refused when it holds something, unless --overwrite or --resume (which rewrites it for the whole run). */
export function guardDerivedOutput(path: string | undefined, flag: string, o: { resume?: boolean; overwrite?: boolean }): void {
  if (!path || o.resume || o.overwrite) return;
  if (existsSync(path) && statSync(path).isFile() && statSync(path).size > 0) {
    throw refused(`${flag} ${path} already exists: give --overwrite to replace it, or another file`);
  }
}
