// The measured unified/split KV crossover for this device and model shape (`rrm bench
// --calibrate`), kept in the user's cache folder. kvMode "auto" uses it when present and fresh;
// a missing, unreadable or stale file falls back to the built-in rule (engine.ts).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, homedir } from "node:os";
import { dirname, join } from "node:path";
import { gpuDevices, type NativeModelInfo, type NativeSystemInfo } from "../../bindings/index.js";

export interface Calibration {
  device: string;
  shape: string;
  /** The smallest batch where split KV decoded faster than unified; null: unified won everywhere. */
  crossover: number | null;
  measured: string;
  batches: number[];
}

const STALE_MS = 180 * 24 * 3600 * 1000;

export function calibrationFile(): string {
  return join(process.env.RRM_CACHE_DIR ?? join(homedir(), ".cache", "rrm-engine"), "kv-calibration.json");
}

export function deviceKey(system: NativeSystemInfo, onGpu: boolean): string {
  const gpu = gpuDevices(system)[0];
  return onGpu && gpu ? `gpu:${gpu.description}` : `cpu:${cpus()[0]?.model?.trim() ?? "unknown"}`;
}

export function shapeKey(info: Pick<NativeModelInfo, "embeddingSize" | "layers" | "kvHeads">): string {
  return `${info.embeddingSize}x${info.layers}x${info.kvHeads}`;
}

function readAll(): Calibration[] {
  try {
    const data = JSON.parse(readFileSync(calibrationFile(), "utf8"));
    return Array.isArray(data) ? data.filter((c) => typeof c?.device === "string" && typeof c?.shape === "string") : [];
  } catch {
    return [];
  }
}

export function findCalibration(device: string, shape: string, now = Date.now()): Calibration | undefined {
  const c = readAll().find((x) => x.device === device && x.shape === shape);
  if (!c || !(now - Date.parse(c.measured) < STALE_MS)) return undefined;
  return c;
}

export function saveCalibration(c: Calibration): string {
  const file = calibrationFile();
  const rest = readAll().filter((x) => !(x.device === c.device && x.shape === c.shape));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify([...rest, c], null, 2) + "\n");
  return file;
}
