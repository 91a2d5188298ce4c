// Keeps a long-running server's RSS at rest where its live memory is (RELIABILITY.md, HTTP fuzz):
// the allocator tuned once, and soon after the server goes idle after some traffic, V8's garbage
// collected and then malloc's free pages handed back. The native side says why
// (native/addon/addon.cpp, TuneAllocatorForServer).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { loadAddon } from "../../bindings/index.js";

export interface MemoryUpkeep {
  /** A request came in: the server is not at rest, and the next idle check collects. */
  touched(): void;
  /** A response went out: check for idleness shortly (the last response of a burst collects). */
  settled(): void;
  stop(): void;
}

/** Which steps run: both (the default), only the trim (`RRM_SERVE_MEMORY_UPKEEP=trim`), or none (`=0`). */
export type UpkeepSteps = { collect: boolean; trim: boolean };

export function upkeepSteps(env = process.env.RRM_SERVE_MEMORY_UPKEEP): UpkeepSteps {
  if (env === "0") return { collect: false, trim: false };
  if (env === "trim") return { collect: false, trim: true };
  return { collect: true, trim: true };
}

export interface UpkeepOptions {
  /** Quiet time after the last response before the upkeep runs. */
  delayMs?: number;
  /** At least this long between two runs: a trickle of requests (health checks) costs little. */
  minGapMs?: number;
  steps?: UpkeepSteps;
}

/**
 * isIdle: no judgment in flight (an abandoned request's judgment may outlive its response). Runs
 * once per burst of traffic: when no request is open, none has come for `delayMs`, and nothing is
 * judged. collect: a full V8 collection. Request bodies of up to a few MiB (hostile ones:
 * million-character strings) are garbage once answered, but V8 collects its old generation only
 * when allocation pushes it to its next limit, and nothing allocates at rest: over a
 * 10,000-request fuzz run the V8 heap in use at rest wandered between 16 and 266 MiB, and RSS with
 * it. The collection comes first, so that the trim after it finds that memory free.
 */
export function startMemoryUpkeep(isIdle: () => boolean, o: UpkeepOptions = {}): MemoryUpkeep {
  const { delayMs = 250, minGapMs = 1000, steps = upkeepSteps() } = o;
  if (!steps.collect && !steps.trim) return { touched() {}, settled() {}, stop() {} };
  const addon = loadAddon();
  addon.tuneAllocatorForServer?.();
  const collect = steps.collect ? fullCollection() : undefined;
  let touched = false, open = 0, lastRun = -Infinity, lastSettled = -Infinity;
  let pending: NodeJS.Timeout | undefined;
  const later = (ms: number) => {
    if (pending) return;
    pending = setTimeout(check, ms);
    pending.unref();
  };
  function check() {
    pending = undefined;
    if (!touched || open > 0 || !isIdle()) return;
    const now = performance.now();
    const wait = Math.max(lastSettled + delayMs, lastRun + minGapMs) - now;
    if (wait > 0) return later(wait);
    touched = false;
    lastRun = now;
    collect?.();
    if (steps.trim) addon.releaseFreeMemory?.();
  }
  // A backstop for work that ends after its response (an abandoned request's judgment).
  const timer = setInterval(check, 10 * delayMs);
  timer.unref();
  return {
    touched: () => { touched = true; open++; },
    settled: () => { open = Math.max(0, open - 1); lastSettled = performance.now(); later(delayMs); },
    stop: () => { clearInterval(timer); if (pending) clearTimeout(pending); },
  };
}

/**
 * A full collection, or undefined where the runtime offers none. Node: V8's gc() without starting
 * Node with --expose-gc (rrm serve is started by users and process managers, with flags we do not
 * control): the flag set at run time shows `gc` in contexts created after it, which is how jest's
 * leak detector (jest-leak-detector) gets it. The flag is set back, so no later context (a user's
 * vm sandbox) sees a `gc` it was not given. Bun: Bun.gc(true).
 */
export function fullCollection(): (() => void) | undefined {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (typeof g.gc === "function") return g.gc;  // started with --expose-gc
  if (g.Bun) return () => g.Bun!.gc(true);
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch {
    return undefined;  // a runtime without the flag: the trim alone
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}
