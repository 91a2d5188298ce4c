// Checks every public option before it reaches native code; messages read
// "Expected <what> for <option>, got <value>".
import { RrmOptionError, describe } from "./errors.js";

export function fail(what: string, name: string, got: unknown): never {
  throw new RrmOptionError(`Expected ${what} for ${name}, got ${describe(got)}`);
}

export function int(name: string, v: unknown, min: number, max: number, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) fail(`an integer in ${min}..${max}`, name, v);
  return v;
}

export function num(name: string, v: unknown, min: number, max: number, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) fail(`a number in ${min}..${max}`, name, v);
  return v;
}

export function bool(name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") fail("a boolean", name, v);
  return v;
}

export function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !allowed.includes(v as T)) fail(`one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, name, v);
  return v as T;
}

export function str(name: string, v: unknown, opts: { nonEmpty?: boolean } = {}): string {
  if (typeof v !== "string") fail("a string", name, v);
  if (opts.nonEmpty && v.length === 0) fail("a non-empty string", name, v);
  return v;
}

export function signal(name: string, v: unknown): AbortSignal | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "object" || v === null || typeof (v as AbortSignal).aborted !== "boolean" || typeof (v as AbortSignal).addEventListener !== "function") {
    fail("an AbortSignal", name, v);
  }
  return v as AbortSignal;
}

export function fn<T extends (...args: never[]) => unknown>(name: string, v: unknown): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "function") fail("a function", name, v);
  return v as T;
}

export function obj(name: string, v: unknown, fallback?: object): Record<string, unknown> {
  if (v === undefined && fallback) return fallback as Record<string, unknown>;
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail("an object", name, v);
  return v as Record<string, unknown>;
}

/** Rejects keys the caller did not mean (a typo like `maxToken` would otherwise be ignored). */
export function knownKeys(name: string, o: Record<string, unknown>, keys: readonly string[]) {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k) && o[k] !== undefined) throw new RrmOptionError(`Unknown option ${name}.${k} (known: ${keys.join(", ")})`);
  }
}
