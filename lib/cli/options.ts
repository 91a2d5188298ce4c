// Command-line options shared by the commands, and turning them into engine and judge settings.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { createEngine, type Engine } from "../engine.js";
import { loadModel, type Model } from "../model.js";

export const ENGINE_FLAGS = {
  model: { type: "string", short: "m" },
  threads: { type: "string", short: "t" },
  context: { type: "string" },
  "max-sequences": { type: "string" },
  "kv-mode": { type: "string" },
  "kv-type": { type: "string" },
  "gpu-layers": { type: "string" },
  "no-progress": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export const JUDGE_FLAGS = {
  votes: { type: "string", short: "v" },
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
} as const;

export class UsageError extends Error {}

export function parse(argv: string[], options: NonNullable<ParseArgsConfig["options"]>): { values: Record<string, any>; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as { values: Record<string, any>; positionals: string[] };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
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
  const gpu = values["gpu-layers"];
  const model = await loadModel(path, { gpuLayers: gpu === undefined || gpu === "auto" ? "auto" : intFlag(values, "gpu-layers") });
  try {
    const engine = createEngine(model, {
      // Admission is by use: the KV cache is sized from free memory ("auto") and work that does
      // not fit at once waits or is preempted, so the CLI need not size it for the worst case.
      contextSize: intFlag(values, "context") ?? "auto",
      maxSequences: intFlag(values, "max-sequences", Math.min(240, Math.max(16, need.sequences)))!,
      threads: intFlag(values, "threads"),
      kvMode: values["kv-mode"] as never,
      kvType: values["kv-type"] as never,
    });
    return { model, engine };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
