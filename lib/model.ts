// Loading a GGUF model: validated in TypeScript first, then loaded by llama.cpp on a worker
// thread with progress and cancellation.
import { statSync } from "node:fs";
import { gpuDevices, loadAddon, type NativeModel, type NativeModelInfo, type NativeSpecialToken, type NativeSystemInfo } from "../bindings/index.js";
import { abortError, RrmEngineError } from "./errors.js";
import { kvNumber, kvString, type GgufHeader } from "./gguf/reader.js";
import { validateModelFile } from "./gguf/validate-model.js";
import * as v from "./validate.js";

export interface LoadModelOptions {
  /** Layers offloaded to the GPU: a number, or "auto" (default): all that fit in free GPU memory. */
  gpuLayers?: number | "auto";
  /** Memory-map the file (default true). */
  useMmap?: boolean;
  /**
   * Repack weights for the CPU's wide kernels where llama.cpp has them (Q4_0, Q4_K, IQ4_NL on
   * AVX2; default true: faster prompts). Batch-invariant engines run them too (patch 0013 sends
   * every row through their 4-row gemm).
   */
  repack?: boolean;
  signal?: AbortSignal;
  /** Called with 0..1 while loading. */
  onProgress?: (progress: number) => void;
}

export type ModelInfo = NativeModelInfo & { path: string };
export type SpecialToken = NativeSpecialToken;

export interface TokenizeOptions {
  /** Parse special-token text (e.g. "<|im_end|>") into control tokens. Off by default: text stays text. */
  special?: boolean;
  /** Add the model's BOS where its vocabulary asks for one. */
  addSpecial?: boolean;
}

/** What identifies the file a model was loaded from: a change means the file was replaced or rewritten. */
interface FileIdentity { dev: number; ino: number; size: number; mtimeMs: number }
const identity = (st: { dev: number; ino: number; size: number; mtimeMs: number }): FileIdentity => ({ dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });

export class Model {
  readonly info: ModelInfo;
  /** Layers offloaded to a GPU (0: CPU only; -1: every layer). */
  readonly gpuLayers: number;
  /** The weights are mapped from the file (loadModel's useMmap), not copied into memory. */
  readonly mapped: boolean;
  /** Loaded with loadModel's `repack` (true by default). */
  readonly repack: boolean;
  #native: NativeModel;
  #disposed = false;
  #engines = new Set<{ dispose(): void }>();
  #file?: FileIdentity;

  /** @internal use loadModel() */
  constructor(native: NativeModel, path: string, gpuLayers = 0, file?: { identity: FileIdentity; mapped: boolean }, repack = true) {
    this.#native = native;
    this.gpuLayers = gpuLayers;
    this.repack = repack;
    this.info = { ...native.info(), path };
    this.#file = file?.identity;
    this.mapped = file?.mapped ?? true;
  }

  /** Some layers run on a GPU (gpuLayers is -1, all, or a count above 0). */
  get offloaded(): boolean {
    return this.gpuLayers !== 0;
  }

  /**
   * How the model file differs from the one loaded (replaced, rewritten, deleted), or undefined
   * while it is the same. With mapped weights a file rewritten in place changes the weights under
   * a running engine; a file renamed over it leaves the old weights mapped. Either way results
   * would no longer be the file's, so a long-running server checks this (one stat(2)).
   */
  fileChange(): string | undefined {
    if (!this.#file) return undefined;
    let now: FileIdentity;
    try {
      now = identity(statSync(this.info.path));
    } catch {
      return `${this.info.path} was deleted or moved`;
    }
    const was = this.#file;
    if (now.dev !== was.dev || now.ino !== was.ino) return `${this.info.path} was replaced by another file`;
    if (now.size !== was.size || now.mtimeMs !== was.mtimeMs) return `${this.info.path} was rewritten (size ${was.size} -> ${now.size} bytes, modified ${new Date(now.mtimeMs).toISOString()})`;
    return undefined;
  }

  /** @internal */
  get native(): NativeModel {
    if (this.#disposed) throw new RrmEngineError("The model has been disposed");
    return this.#native;
  }

  get disposed() { return this.#disposed; }

  tokenize(text: string, options: TokenizeOptions = {}): number[] {
    v.str("text", text);
    const o = v.obj("options", options);
    v.knownKeys("options", o, ["special", "addSpecial"]);
    const special = v.bool("options.special", o.special, false);
    const addSpecial = v.bool("options.addSpecial", o.addSpecial, false);
    // Without `special`, user text can never become a control or user-defined token (even
    // DeepSeek's `</think>`, which llama.cpp itself would match).
    const toks = special ? this.native.tokenize(text, true, addSpecial) : this.native.tokenizePlain(text);
    const out = Array.from(toks);
    if (!special && addSpecial && this.info.addBos && this.info.bos >= 0) out.unshift(this.info.bos);
    return out;
  }

  detokenize(tokens: readonly number[] | Int32Array, options: { special?: boolean } = {}): string {
    const special = v.bool("options.special", options.special, true);
    if (!(tokens instanceof Int32Array) && !Array.isArray(tokens)) v.fail("an array of token ids", "tokens", tokens);
    const arr = Int32Array.from(tokens as ArrayLike<number>);
    for (let i = 0; i < arr.length; i++) {
      if (arr[i] < 0 || arr[i] >= this.info.vocabularySize || arr[i] !== (tokens as ArrayLike<number>)[i]) {
        v.fail(`token ids in 0..${this.info.vocabularySize - 1}`, `tokens[${i}]`, (tokens as ArrayLike<number>)[i]);
      }
    }
    return this.native.detokenize(arr, special);
  }

  specialTokens(): SpecialToken[] {
    return this.native.specialTokens();
  }

  /** @internal */
  trackEngine(e: { dispose(): void }, open: boolean) {
    if (open) this.#engines.add(e);
    else this.#engines.delete(e);
  }

  /** Frees the weights. Engines on this model are disposed first. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    for (const e of [...this.#engines]) e.dispose();
    this.#disposed = true;
    this.#native.dispose();
  }
}

// Room kept free beside the weights for the KV cache and compute buffers when choosing layers:
// 2 GiB, but never more than a quarter of the free memory, so a small device (an integrated GPU,
// lavapipe's 2 GiB heap) still gets the layers that fit instead of none.
export const GPU_RESERVE = { maxBytes: 2 * 2 ** 30, maxShare: 0.25, usable: 0.95 } as const;

/** -1 (all layers) when the weights fit in the GPUs' free memory, else the share of layers that do. */
export function layersThatFit(header: GgufHeader, fileBytes: number, sys: NativeSystemInfo): number {
  const gpus = gpuDevices(sys);
  if (gpus.length === 0) return 0;
  const total = gpus.reduce((s, d) => s + d.memoryFree, 0) * GPU_RESERVE.usable;
  const free = total - Math.min(GPU_RESERVE.maxBytes, total * GPU_RESERVE.maxShare);
  if (fileBytes <= free) return -1;
  const arch = kvString(header, "general.architecture");
  const layers = kvNumber(header, `${arch}.block_count`) ?? 0;
  return Math.max(0, Math.floor((layers * Math.max(0, free)) / fileBytes));
}

export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Model> {
  v.str("path", path, { nonEmpty: true });
  const o = v.obj("options", options);
  v.knownKeys("options", o, ["gpuLayers", "useMmap", "repack", "signal", "onProgress"]);
  const requestedLayers = o.gpuLayers === "auto" || o.gpuLayers === undefined ? "auto" : v.int("options.gpuLayers", o.gpuLayers, 0, 100000);
  const useMmap = v.bool("options.useMmap", o.useMmap, true);
  const repack = v.bool("options.repack", o.repack, true);
  const signal = v.signal("options.signal", o.signal);
  const onProgress = v.fn<(p: number) => void>("options.onProgress", o.onProgress);
  if (signal?.aborted) throw abortError(signal);

  let st;
  try {
    st = statSync(path);
  } catch {
    throw new RrmEngineError(`Model file not found: ${path}`);
  }
  if (!st.isFile()) throw new RrmEngineError(`Model path is not a file: ${path}`);
  const header = validateModelFile(path); // throws GgufError naming the problem and the byte offset

  const addon = loadAddon();
  const gpuLayers = requestedLayers === "auto" ? layersThatFit(header, st.size, addon.systemInfo()) : requestedLayers;
  const native = new addon.Model();
  const onAbort = () => native.abortLoad();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await native.load(path, { gpuLayers, useMmap, repack }, onProgress ? (p) => { try { onProgress(p); } catch {} } : undefined);
  } catch (e) {
    native.dispose();
    const msg = (e as Error).message ?? String(e);
    if (signal?.aborted || msg.startsWith("AbortError")) throw abortError(signal);
    throw new RrmEngineError(msg);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  // The last progress report comes before the abort check: native progress events arrive
  // asynchronously and may trail the load, so an abort from this report must still count.
  try {
    onProgress?.(1);
  } catch {}
  if (signal?.aborted) {
    native.dispose();
    throw abortError(signal);
  }
  return new Model(native, path, gpuLayers, { identity: identity(st), mapped: useMmap }, repack);
}
