// Loads the native addon and types the whole native module. Where the .node file comes from is
// locate.ts's job; which ggml backends it then loads is backends.ts's.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadBackends, type BackendLoadInfo } from "./backends.js";
import { locateAddon, type AddonLocation } from "./locate.js";

export { AddonNotFoundError, platformPackageName, platformTag, type AddonLocation, type PrebuildManifest } from "./locate.js";
export type { BackendLoadInfo, CpuBackendInfo, GpuBackendInfo } from "./backends.js";

export interface NativeModelInfo {
  architecture: string;
  name: string;
  description: string;
  trainingContextSize: number;
  embeddingSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  parameters: number;
  sizeBytes: number;
  vocabularySize: number;
  chatTemplate: string | null;
  bos: number;
  eos: number;
  bosText: string;
  eosText: string;
  addBos: boolean;
}

export interface NativeSpecialToken { id: number; text: string; kind: "control" | "user-defined" | "unknown" }

export interface NativeModel {
  load(path: string, options: { gpuLayers: number; useMmap: boolean; repack: boolean }, onProgress?: (progress: number) => void): Promise<void>;
  abortLoad(): void;
  info(): NativeModelInfo;
  /** llama.cpp's tokenizer as is (`special`: parse special-token text). */
  tokenize(text: string, special: boolean, addSpecial: boolean): Int32Array;
  /** Untrusted text: never yields a control or user-defined token. */
  tokenizePlain(text: string): Int32Array;
  detokenize(tokens: Int32Array, special: boolean): string;
  specialTokens(): NativeSpecialToken[];
  dispose(): void;
}

export interface NativeEngineOptions {
  contextSize: number;
  maxSequences: number;
  prefixCacheSlots: number;
  batchSize: number;
  threads: number;
  samplingThreads: number;
  kvMode: "unified" | "split";
  flashAttention: boolean;
  backendSampling: boolean;
  /** ggml_type of K and V: 1 F16, 8 Q8_0, 2 Q4_0. */
  kvType: number;
  admission: "by-use" | "worst-case";
  sampleHeadroom: number;
  /** Results that do not depend on the load (llama.cpp patches 0001-0003); needs a model loaded with repack: false. */
  batchInvariant: boolean;
}

export interface NativeRequest {
  prompt: Int32Array;
  n: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  seed: number;
  ignoreEos: boolean;
  stop: string[];
  prefixCache: boolean;
  progress: boolean;
  priority: number;
  sampleMaxTokens?: Int32Array;
  /** Progress events carry what each running sample added (text, tokens, log probabilities). */
  stream?: boolean;
  /** Log probabilities of generated tokens with this many alternatives (0..20); absent or -1: none. */
  logprobs?: number;
  forced?: { budget: number; endToken: number; tokens: Int32Array; probe: Int32Array };
}

export interface NativeRequestStats {
  promptTokens: number;
  prefillTokensComputed: number;
  prefixTokensReused: number;
  generatedTokens: number;
  steps: number;
  preemptions: number;
  timings: { queuedMs: number; prefillMs: number; decodeMs: number; totalMs: number };
}

export type NativeFinish = "eos" | "length" | "stop" | "forced" | "cancelled" | "error";
/** Per generated token: logprob[i]; its k alternatives at topTokens / topLogprobs[i * k .. i * k + k). */
export interface NativeLogprobs { logprob?: Float32Array; topTokens?: Int32Array; topLogprobs?: Float32Array }
export interface NativeSampleEvent extends NativeLogprobs { index: number; tokens: Int32Array; text: string; finishReason: NativeFinish; probe: number[] }
export interface NativeDelta extends NativeLogprobs { index: number; text: string; tokens: Int32Array }
export interface NativeProgressEvent { generated: number; prefilled: number; deltas?: NativeDelta[] }
export interface NativeDoneEvent { stats: NativeRequestStats; cancelled: boolean; error?: string }
export type NativeEventHandler = {
  (type: "progress", id: number, e: NativeProgressEvent): void;
  (type: "sample", id: number, e: NativeSampleEvent): void;
  (type: "done", id: number, e: NativeDoneEvent): void;
};

export interface NativeEngineStats {
  requestsSubmitted: number;
  requestsDone: number;
  promptTokensSubmitted: number;
  promptTokensComputed: number;
  promptTokensReused: number;
  generatedTokens: number;
  steps: number;
  batchTokens: number;
  decodeMs: number;
  sampleMs: number;
  busyMs: number;
  liveSequences: number;
  liveRequests: number;
  waitingRequests: number;
  prefixCacheEntries: number;
  prefixCacheCells: number;
  reservedCells: number;
  /** Cells holding live samples' generated tokens (admission by use). */
  generatedCells: number;
  peakCells: number;
  peakLiveSequences: number;
  /** Samples preempted to host memory, waiting to resume. */
  swappedSequences: number;
  preemptions: number;
  resumes: number;
  swapBytes: number;
  swapMs: number;
  /** Samples that reached the edge of the context and ended with "length". */
  edgeFinishes: number;
  /** Batch-invariant engines: times the cache was packed because no cell in position order was free. */
  relocations: number;
}

export interface NativeEngine {
  submit(request: NativeRequest): number;
  cancel(id: number): void;
  stats(): NativeEngineStats;
  info(): { contextSize: number; cellsPerSequence: number; maxSequences: number; kvMode: "unified" | "split" };
  setPrefixCache(on: boolean): void;
  /** Requests submitted while held wait; release() admits them together (one hold per JS turn). */
  hold(): void;
  release(): void;
  ref(): void;
  unref(): void;
  dispose(): void;
}

export interface NativeSystemInfo {
  backends: string[];
  /** Per backend, the features it reports (the CPU's instruction sets, CUDA's architectures...). */
  backendFeatures: Record<string, Record<string, string>>;
  devices: { name: string; description: string; type: "cpu" | "gpu" | "igpu" | "accelerator"; memoryFree: number; memoryTotal: number }[];
  gpuOffload: boolean;
  features: string;
}

/** The GPU devices (discrete or integrated) among the ones llama.cpp found. */
export function gpuDevices(system: NativeSystemInfo): NativeSystemInfo["devices"] {
  return system.devices.filter((d) => d.type === "gpu" || d.type === "igpu");
}

/** glibc's malloc over all its arenas, from mallinfo2: heapTotal = heapInUse + heapFree; mapped: large blocks in mappings of their own. */
export interface NativeHeapStats { heapInUse: number; heapFree: number; mapped: number; heapTotal: number }

export interface NativeAddon {
  Model: new () => NativeModel;
  Engine: new (model: NativeModel, options: NativeEngineOptions, onEvent: NativeEventHandler) => NativeEngine;
  systemInfo(): NativeSystemInfo;
  setLogEcho(on: boolean): void;
  /** glibc: a fixed mmap threshold, for a long-running server (native/addon/addon.cpp); absent in addons before 2026-12-05. */
  tuneAllocatorForServer?(): boolean;
  /** glibc: malloc_trim(0), the heaps' free pages handed back; absent in addons before 2026-12-05. */
  releaseFreeMemory?(): boolean;
  /** glibc 2.33+: what malloc holds (mallinfo2), in bytes; undefined elsewhere; absent in addons before 2026-12-05. */
  nativeHeapStats?(): NativeHeapStats | undefined;
  loadCpuBackend(dir: string, variant?: string): { dynamic: boolean; variant?: string; path?: string; score?: number; features?: Record<string, string>; candidates?: { variant: string; score: number; error?: string }[] };
  loadBackend(path: string): { name: string; devices: number };
}

/** What was loaded: the addon file and where it came from, and the backends chosen. */
export interface AddonLoadInfo extends AddonLocation {
  backends: BackendLoadInfo;
}

/** The package root: the nearest folder above this file whose package.json is rrm-engine's. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "rrm-engine") return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("rrm-engine: cannot find the package root above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

let cached: NativeAddon | undefined;
let loadInfo: AddonLoadInfo | undefined;

export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const root = packageRoot();
  const found = locateAddon(root);
  const require = createRequire(import.meta.url);
  let addon: NativeAddon;
  try {
    addon = require(found.path) as NativeAddon;
  } catch (e) {
    const msg = (e as Error).message;
    const glibc = /GLIBC(XX)?_[0-9.]+/.exec(msg);
    throw new Error(
      `rrm-engine: could not load ${found.path}: ${msg}\n` +
        (glibc ? `  The binary needs ${glibc[0].replace("_", " ")}, which this system's C/C++ runtime lacks: use a newer distribution or build from source (\`npm run build:native\`).`
          : `  Rebuild it with \`npm run build:native\` (the addon must match this platform and Node-API 8+).`),
    );
  }
  const backends = loadBackends(addon, found.path, root, (line) => process.stderr.write(line + "\n"));
  loadInfo = { ...found, backends };
  cached = addon;
  return cached;
}

/** Which binary and backends were loaded, and why (loads the addon if needed). */
export function addonLoadInfo(): AddonLoadInfo {
  loadAddon();
  return loadInfo!;
}

/** Reference programs built beside the addon (tests and benchmarks compare with them). */
export function toolPath(name: "llama-simple" | "llama-batched-bench"): string {
  const root = packageRoot();
  for (const p of [join(root, "build", "bin", name), join(root, "build", name)]) {
    if (existsSync(p)) return p;
  }
  throw new Error(`${name} is not built: run \`npm run build:tools\``);
}
