// Command-line options shared by the commands, and turning them into engine and judge settings.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { createEngine, type Engine } from "../engine.js";
import { loadModel, type Model } from "../model.js";
import { closeSync, fstatSync, openSync } from "node:fs";
import { CliError, EXIT, UsageError } from "./exit-codes.js";
import { errnoText } from "./jsonl.js";
import { engineFlags, joinNegativeValues } from "./flag-checks.js";
import { JUDGE_CHOICE_FLAGS } from "./judge-choice.js";

export { UsageError };

export const ENGINE_FLAGS = {
  model: { type: "string", short: "m" },
  threads: { type: "string", short: "t" },
  context: { type: "string" },
  "max-sequences": { type: "string" },
  "kv-mode": { type: "string" },
  "kv-type": { type: "string" },
  "gpu-layers": { type: "string" },
  "no-mmap": { type: "boolean" },
  "batch-invariant": { type: "boolean" },
  "no-batch-invariant": { type: "boolean" },
  "no-progress": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export const JUDGE_FLAGS = {
  votes: { type: "string", short: "v" },
  confidence: { type: "string" },
  "max-tokens": { type: "string" },
  "thinking-budget": { type: "string" },
  temperature: { type: "string" },
  "top-p": { type: "string" },
  swap: { type: "string" },
  "no-early-stop": { type: "boolean" },
  "tie-break": { type: "string" },
  seed: { type: "string" },
  input: { type: "string", short: "i" },
  output: { type: "string", short: "o" },
  concurrency: { type: "string" },
  ...JUDGE_CHOICE_FLAGS,
} as const;

/**
 * Parses flags. A stray argument is an error, not silently dropped (`rrm rank -m M items.jsonl`
 * had read stdin and printed nothing): where the command takes `--input`, one argument is taken
 * as the input file; `positionals: true` hands them to the caller (merge).
 */
export function parse(argv: string[], options: NonNullable<ParseArgsConfig["options"]>, positionals = false): { values: Record<string, any>; positionals: string[] } {
  const parsed = parseFlags(argv, options);
  if (positionals || parsed.positionals.length === 0) return parsed;
  const [first, ...rest] = parsed.positionals;
  if ("input" in options && rest.length === 0 && parsed.values.input === undefined) {
    parsed.values.input = first;
    return { values: parsed.values, positionals: [] };
  }
  const hint = "input" in options ? "; give one input file, as -i FILE or alone" : "";
  throw new UsageError(`unexpected argument ${JSON.stringify("input" in options && parsed.values.input === undefined ? rest[0] : first)}${hint}`);
}

function parseFlags(argv: string[], options: NonNullable<ParseArgsConfig["options"]>): { values: Record<string, any>; positionals: string[] } {
  const valueFlags = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== "string") continue;
    valueFlags.add(`--${name}`);
    if (o.short) valueFlags.add(`-${o.short}`);
  }
  try {
    return parseArgs({ args: joinNegativeValues(argv, valueFlags), options, allowPositionals: true, strict: true }) as { values: Record<string, any>; positionals: string[] };
  } catch (e) {
    const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec((e as Error).message);
    if (unknown) {
      const guess = closestFlag(unknown[1], Object.keys(options));
      throw new UsageError(`unknown option ${unknown[1]}${guess ? ` (did you mean --${guess}?)` : ""}`);
    }
    throw new UsageError((e as Error).message);
  }
}

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The known flag an unknown one most likely meant: within 2 edits (1 for short names), or one it begins. */
export function closestFlag(given: string, known: string[]): string | undefined {
  const name = given.replace(/^-+/, "").split("=")[0];
  if (!name) return undefined;
  let best: string | undefined, bestD = Infinity;
  for (const k of known) {
    const d = k.startsWith(name) && name.length >= 3 ? 0.5 : distance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= (name.length <= 4 ? 1 : 2) ? best : undefined;
}

function numberFlag(values: Record<string, unknown>, name: string, integer: boolean, fallback?: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (integer ? !Number.isInteger(n) : !Number.isFinite(n)) throw new UsageError(`--${name} expects ${integer ? "an integer" : "a number"}, got ${JSON.stringify(raw)}`);
  return n;
}

export const intFlag = (values: Record<string, unknown>, name: string, fallback?: number) => numberFlag(values, name, true, fallback);
export const numFlag = (values: Record<string, unknown>, name: string, fallback?: number) => numberFlag(values, name, false, fallback);

export async function openEngine(values: Record<string, unknown>, need: { sequences: number }): Promise<{ model: Model; engine: Engine }> {
  const path = values.model as string | undefined;
  if (!path) throw new UsageError("--model <file.gguf> is required (or try `rrm demo`, which writes its own test model)");
  const flags = engineFlags(values); // before the load: a bad flag costs nothing
  const model = await loadModel(path, { gpuLayers: flags.gpuLayers, useMmap: flags.useMmap });
  try {
    const engine = createEngine(model, {
      // Admission is by use: the KV cache is sized from free memory ("auto") and work that does
      // not fit at once waits or is preempted, so the CLI need not size it for the worst case.
      contextSize: flags.contextSize,
      maxSequences: flags.maxSequences ?? Math.min(240, Math.max(16, need.sequences)),
      threads: flags.threads,
      kvMode: flags.kvMode,
      kvType: flags.kvType,
      batchInvariant: flags.batchInvariant,
    });
    return { model, engine };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Opens the model file for reading, or says in one line why it cannot be (before a server listens or a run starts). */
export function openModelFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new CliError(`cannot read the model ${path}: ${errnoText(e as Error)}`, EXIT.usage);
  }
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new CliError(`cannot read the model ${path}: it is a directory`, EXIT.usage);
  }
  return fd;
}

/** The model file can be opened and is a file. */
export const checkModelFile = (path: string) => closeSync(openModelFile(path));
