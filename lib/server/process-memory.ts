// Where the server process's memory is, for /metrics: RSS (the kernel's count), V8's heap and the
// memory V8 tracks outside it (Buffers: request bodies), and what glibc's malloc holds for native
// code (llama.cpp, node's own buffers, the addon). Growth in RSS with neither V8 nor malloc growing
// is fragmentation or mappings; the split says which side to look at (RELIABILITY.md, HTTP fuzz).
import { readdirSync } from "node:fs";
import { loadAddon, type NativeHeapStats } from "../../bindings/index.js";

export interface ProcessMemory {
  residentBytes: number;
  v8HeapTotalBytes: number;
  v8HeapUsedBytes: number;
  /** Memory V8 tracks outside its heap: Buffers and ArrayBuffers (their backing stores are malloc'd). */
  externalBytes: number;
  /** glibc only (undefined elsewhere, or with an addon older than 2026-12-05). */
  nativeHeap?: NativeHeapStats;
  /** Linux only. */
  openFds?: number;
}

export function processMemory(): ProcessMemory {
  const m = process.memoryUsage();
  return {
    residentBytes: m.rss,
    v8HeapTotalBytes: m.heapTotal,
    v8HeapUsedBytes: m.heapUsed,
    externalBytes: m.external,
    nativeHeap: nativeHeap(),
    openFds: openFds(),
  };
}

function nativeHeap(): NativeHeapStats | undefined {
  try {
    return loadAddon().nativeHeapStats?.();
  } catch {
    return undefined;  // no addon to ask: the other figures still stand
  }
}

function openFds(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length - 1;  // less the descriptor readdir itself opened
  } catch {
    return undefined;
  }
}
