// Keeps a long-running server's RSS at rest where its live memory is (RELIABILITY.md, HTTP fuzz):
// the allocator tuned once, and its free pages handed back soon after the server goes idle after
// some traffic. The native side says why (native/addon/addon.cpp, TuneAllocatorForServer).
import { loadAddon } from "../../bindings/index.js";

export interface MemoryUpkeep {
  /** A request came in: the server is not at rest, and the next idle check trims. */
  touched(): void;
  /** A response went out: check for idleness shortly (the last response of a burst trims). */
  settled(): void;
  stop(): void;
}

/** isIdle: nothing in flight now. Trims at most once per burst of traffic, `delayMs` after it. */
export function startMemoryUpkeep(isIdle: () => boolean, delayMs = 250): MemoryUpkeep {
  // RRM_SERVE_MEMORY_UPKEEP=0: glibc's own behaviour (to compare; bench/http-fuzz.ts)
  if (process.env.RRM_SERVE_MEMORY_UPKEEP === "0") return { touched() {}, settled() {}, stop() {} };
  const addon = loadAddon();
  addon.tuneAllocatorForServer?.();
  let touched = false;
  let pending: NodeJS.Timeout | undefined;
  const check = () => {
    pending = undefined;
    if (!touched || !isIdle()) return;
    touched = false;
    addon.releaseFreeMemory?.();
  };
  // A backstop for work that ends without a response (an aborted request).
  const timer = setInterval(check, 10 * delayMs);
  timer.unref();
  return {
    touched: () => { touched = true; },
    settled: () => { pending ??= setTimeout(check, delayMs); pending.unref(); },
    stop: () => { clearInterval(timer); if (pending) clearTimeout(pending); },
  };
}
