// Whole-run flags checked before anything loads: a wrong --votes or --swap is one usage error
// (exit 2), not a model load followed by the same error once per input line. The ranges are the
// ones the engine and the judge enforce (lib/engine.ts, lib/rrm/judge.ts), named by flag.
import { availableParallelism } from "node:os";
import { MAX_SAMPLES_PER_REQUEST } from "../engine.js";
import type { CompareOptions } from "../rrm/types.js";
import { UsageError } from "./exit-codes.js";

type Values = Record<string, unknown>;

/** More threads than 4 per CPU only contend (a 2-core machine at --threads 999 sat at load 50). */
export const MAX_THREADS = 4 * availableParallelism();

function integer(values: Values, name: string, min: number, max: number, why = ""): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} expects an integer in ${min}..${max}${why}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function number(values: Values, name: string, min: number, max: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} expects a number in ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function choice<T extends string>(values: Values, name: string, allowed: readonly T[]): T | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (!allowed.includes(raw as T)) throw new UsageError(`--${name} expects one of ${allowed.join(", ")}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

export interface EngineFlags {
  threads?: number;
  contextSize: number | "auto";
  maxSequences?: number;
  kvMode?: "unified" | "split" | "auto";
  kvType?: "f16" | "q8_0" | "q4_0";
  gpuLayers: number | "auto";
  useMmap: boolean;
  /** --batch-invariant / --no-batch-invariant; undefined: the engine's default (on when the CPU computes). */
  batchInvariant?: boolean;
}

export function engineFlags(values: Values): EngineFlags {
  return {
    threads: integer(values, "threads", 1, MAX_THREADS, ` (4 x this machine's ${availableParallelism()} CPUs)`),
    contextSize: values.context === undefined || values.context === "auto" ? "auto" : integer(values, "context", 64, 1 << 22)!,
    maxSequences: integer(values, "max-sequences", 1, 240),
    kvMode: choice(values, "kv-mode", ["unified", "split", "auto"] as const),
    kvType: choice(values, "kv-type", ["f16", "q8_0", "q4_0"] as const),
    gpuLayers: values["gpu-layers"] === undefined || values["gpu-layers"] === "auto" ? "auto" : integer(values, "gpu-layers", 0, 100000)!,
    useMmap: !values["no-mmap"],
    batchInvariant: batchInvariantFlag(values),
  };
}

function batchInvariantFlag(values: Values): boolean | undefined {
  if (values["batch-invariant"] && values["no-batch-invariant"]) throw new UsageError("--batch-invariant and --no-batch-invariant contradict each other: give one");
  return values["batch-invariant"] ? true : values["no-batch-invariant"] ? false : undefined;
}

/** The judge's options from --votes, --max-tokens, ... (defaults are the judge's own). */
export function judgeFlags(values: Values): CompareOptions {
  const maxTokens = integer(values, "max-tokens", 1, 1 << 20) ?? 8192;
  const votes = integer(values, "votes", 1, MAX_SAMPLES_PER_REQUEST);
  const confidence = number(values, "confidence", 0.5, 1);
  if (confidence !== undefined && (confidence <= 0.5 || confidence >= 1)) throw new UsageError(`--confidence expects a number strictly between 0.5 and 1, got ${JSON.stringify(values.confidence)}`);
  return {
    // --confidence: adaptive votes (lib/rrm/adaptive-votes.ts), --votes their most per pair.
    votes: confidence !== undefined ? { max: votes ?? 9, confidence } : votes ?? 1,
    maxTokens,
    thinkingBudget: integer(values, "thinking-budget", 1, maxTokens - 1, values["max-tokens"] === undefined ? " (below the default --max-tokens 8192)" : " (below --max-tokens)"),
    temperature: number(values, "temperature", 0, 100),
    topP: number(values, "top-p", 0, 1),
    swap: choice(values, "swap", ["random", "alternate", "none"] as const),
    earlyStop: !values["no-early-stop"],
    tieBreak: choice(values, "tie-break", ["none", "a", "b", "probability", "coin"] as const),
    seed: integer(values, "seed", 0, 0xffffffff),
  };
}

/** Items in flight at once. */
export const concurrencyFlag = (values: Values, fallback: number) => integer(values, "concurrency", 1, 4096) ?? fallback;

/**
 * parseArgs reads "--thinking-budget -1" as a flag without its value ("argument is ambiguous");
 * a negative number after a flag that takes a value is that value, so the range check can answer.
 */
export function joinNegativeValues(argv: string[], valueFlags: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], next = argv[i + 1];
    if (next !== undefined && /^-\.?\d/.test(next) && valueFlags.has(a)) {
      out.push(a.startsWith("--") ? `${a}=${next}` : `${a}${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
