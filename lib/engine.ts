// The Engine: many sampled completions of one prompt, computed once, decoded in one batch with
// every other request in flight. Requests go to the native scheduler thread; results come back as
// events and settle the promises here.
import { gpuDevices, loadAddon, type NativeEngine, type NativeLogprobs, type NativeEngineStats, type NativeFinish, type NativeRequest, type NativeRequestStats } from "../bindings/index.js";
import { abortError, RrmEngineError, RrmOptionError } from "./errors.js";
import { deviceKey, findCalibration, shapeKey } from "./bench/calibration.js";
import { autoContextSize, kvBytesPerCell, KV_TYPES, type KvType } from "./kv-budget.js";
import type { Model } from "./model.js";
import * as v from "./validate.js";

export type KvMode = "unified" | "split" | "auto";

export type { KvType } from "./kv-budget.js";

export interface EngineOptions {
  /**
   * KV cells: in unified mode shared by all sequences; in split mode given to each. Default
   * "auto": sized from free memory (lib/kv-budget.ts: on the CPU 20% of free RAM up to 2 GiB, on
   * a GPU half the free VRAM; 16,384..131,072 cells). Split: 4096 per sequence.
   */
  contextSize?: number | "auto";
  /** Storage of K and V: "f16" (default), "q8_0" (about half the bytes), "q4_0" (quarter). Quantized V needs flash attention. */
  kvType?: KvType;
  /**
   * "by-use" (default): samples are admitted on the cells they use now plus `sampleHeadroom`, and
   * preempted to host memory (resumed bit for bit) when a step runs out of cells. "worst-case":
   * every request reserves prompt + n x maxTokens up front (the old behaviour; benchmarks).
   */
  admission?: "by-use" | "worst-case";
  /** Cells kept free per admitted sample (admission by use). Default 64. */
  sampleHeadroom?: number;
  /** Samples decoding at once (more are queued). Default 16. */
  maxSequences?: number;
  /** CPU threads for decoding. Default: all cores. */
  threads?: number;
  /** Threads that sample in parallel after each step. Default: same as threads. */
  samplingThreads?: number;
  /** See BENCHMARKS.md: "auto" picks unified on CPU, and split on GPU from 32 sequences up. */
  kvMode?: KvMode;
  /** Tokens per decode step (prompt chunk + one per live sample). Default 512. */
  batchSize?: number;
  /** Sequence ids kept for prompts in the cross-request prefix cache. Default 16. */
  prefixCacheSlots?: number;
  flashAttention?: boolean;
  /**
   * Sample inside the decode graph (llama.cpp's experimental backend sampling). On a GPU it avoids
   * copying every sample's logits to the host each step (PERF.md: CPU sampling nearly halves
   * throughput at 64 streams). Same seed, same result, but not the CPU sampler's result.
   * Refused on a Vulkan device (a llama.cpp bug there: patches/README.md).
   */
  backendSampling?: boolean;
  /**
   * Results that do not depend on the load: a request with a given seed gives the same tokens,
   * verdicts and probabilities bit for bit alone or amid any other requests, on a cold or warm
   * prefix cache, preempted or not (llama.cpp patches 0012-0014: the CPU's fast kernels made
   * batch-invariant, repacked weights included; 0002: each sequence's cells in position order).
   * Default: on when the CPU computes the model (nothing offloaded), at the default kernels' speed
   * (BENCHMARKS.md); `false` takes the old kernels, whose results move with the load. GPU kernels
   * are unchanged: on a GPU the default is off (`--reproducible` runs items one at a time there).
   */
  batchInvariant?: boolean;
}

export type FinishReason = NativeFinish;

/** A generated token's log probability (the model's, before temperature and truncation) and the likeliest tokens there. */
export interface TokenLogprob {
  token: number;
  logprob: number;
  /** The request's `logprobs` most likely tokens at this position, best first. */
  top: { token: number; logprob: number }[];
}

export interface Completion {
  text: string;
  tokens: number[];
  finishReason: FinishReason;
  /** With a forced continuation: the probability of each probe token after it. */
  probe?: number[];
  /** With `logprobs`: one per token. */
  logprobs?: TokenLogprob[];
}

/** What one running sample added in one step (GenerateRequest.onDelta). */
export interface SampleDelta {
  index: number;
  /** New text; a tail a stop string could still cut, or half a UTF-8 character, waits for the next step or the end. */
  text: string;
  tokens: number[];
  logprobs?: TokenLogprob[];
}

export interface GenerateStats {
  promptTokens: number;
  prefillTokensComputed: number;
  prefixTokensReused: number;
  generatedTokens: number;
  steps: number;
  /** Times one of its samples was preempted to host memory (or its prompt sent back to wait). */
  preemptions: number;
  timings: NativeRequestStats["timings"];
}

export interface GenerateResult {
  completions: Completion[];
  stats: GenerateStats;
}

/**
 * When a sample has generated `afterTokens` tokens without `unlessToken`, append `tokens` and
 * read the probabilities of `probeTokens` instead of sampling on (the judge's thinking budget).
 */
export interface ForcedContinuation {
  afterTokens: number;
  unlessToken: number;
  tokens: readonly number[];
  probeTokens: readonly number[];
}

export interface GenerateRequest {
  /** Text (tokenized without special-token parsing) or token ids. */
  prompt: string | readonly number[] | Int32Array;
  n?: number;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  seed?: number;
  stop?: readonly string[];
  ignoreEos?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: { generatedTokens: number; prefilledTokens: number; promptTokens: number }) => void;
  /**
   * Streaming: called after each step with what a running sample added. The concatenated deltas
   * are a prefix of the sample's final text; the rest comes with onSample.
   */
  onDelta?: (d: SampleDelta) => void;
  /** Log probabilities of every generated token, with this many alternatives each (0..20). */
  logprobs?: number;
  /** Called as each sample finishes; return true to cancel the samples still running. */
  onSample?: (c: Completion, index: number) => boolean | void;
  /** Aborting this stops the samples still running and resolves with what finished (early stop). */
  stopSignal?: AbortSignal;
  forced?: ForcedContinuation;
  /** Use and fill the cross-request prefix cache (default true). */
  prefixCache?: boolean;
  /** Higher is admitted first and preempted last (default 0); equal priorities run in order. */
  priority?: number;
  /** Each sample's own token limit (<= maxTokens), e.g. lengths drawn by a workload benchmark. */
  sampleMaxTokens?: readonly number[];
}

export interface EngineInfo {
  contextSize: number;
  cellsPerSequence: number;
  maxSequences: number;
  kvMode: "unified" | "split";
  kvType: KvType;
  admission: "by-use" | "worst-case";
  batchInvariant: boolean;
  bytesPerCell: number;
  kvBytes: number;
  /** How the context size was chosen. */
  contextSource: string;
}

export type EngineStats = NativeEngineStats;

/** Samples one request may ask for (native/core/scheduler.h, kMaxSamplesPerRequest). */
export const MAX_SAMPLES_PER_REQUEST = 1024;

interface Pending {
  completions: (Completion | undefined)[];
  promptTokens: number;
  resolve: (r: GenerateResult) => void;
  reject: (e: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  stopSignal?: AbortSignal;
  onStop?: () => void;
  onProgress?: GenerateRequest["onProgress"];
  onSample?: GenerateRequest["onSample"];
  onDelta?: GenerateRequest["onDelta"];
  stopped: boolean;
}

const REQUEST_KEYS = ["prompt", "n", "maxTokens", "temperature", "topP", "topK", "minP", "seed", "stop", "ignoreEos", "signal", "onProgress", "onSample", "stopSignal", "forced", "prefixCache", "priority", "sampleMaxTokens", "onDelta", "logprobs"] as const;
const ENGINE_KEYS = ["contextSize", "maxSequences", "threads", "samplingThreads", "kvMode", "batchSize", "prefixCacheSlots", "flashAttention", "backendSampling", "kvType", "admission", "sampleHeadroom", "batchInvariant"] as const;

export class Engine {
  readonly model: Model;
  readonly kvMode: "unified" | "split";
  readonly contextSize: number;
  readonly maxSequences: number;
  readonly info: EngineInfo;
  #native: NativeEngine;
  #pending = new Map<number, Pending>();
  #disposed = false;
  #backendSampling: boolean;

  /** @internal use createEngine() */
  constructor(model: Model, options: EngineOptions) {
    const o = v.obj("options", options, {});
    v.knownKeys("options", o, ENGINE_KEYS);
    const maxSequences = v.int("options.maxSequences", o.maxSequences, 1, 240, 16);
    const requested = v.oneOf("options.kvMode", o.kvMode, ["unified", "split", "auto"] as const, "auto");
    this.kvMode = requested === "auto" ? autoKvMode(model, maxSequences) : requested;
    const kvType = v.oneOf("options.kvType", o.kvType, ["f16", "q8_0", "q4_0"] as const, "f16");
    const flashAttention = v.bool("options.flashAttention", o.flashAttention, true);
    if (kvType !== "f16" && !flashAttention) throw new RrmOptionError(`options.kvType "${kvType}" needs flash attention (llama.cpp stores a quantized V only with it); drop flashAttention: false or use kvType "f16"`);
    const admission = v.oneOf("options.admission", o.admission, ["by-use", "worst-case"] as const, "by-use");
    let contextSource = "options.contextSize";
    let contextSize: number;
    if (o.contextSize === undefined || o.contextSize === "auto") {
      if (this.kvMode === "split") {
        contextSize = 4096;
        contextSource = "split KV default (4096 cells per sequence)";
      } else {
        const budget = autoContextSize(model.info, kvType, loadAddon().systemInfo(), model.offloaded);
        contextSize = budget.cells;
        contextSource = `auto: ${budget.source}`;
      }
    } else {
      contextSize = v.int("options.contextSize", o.contextSize, 64, 1 << 22);
    }
    const native = {
      contextSize,
      maxSequences,
      threads: v.int("options.threads", o.threads, 0, 1024, 0),
      samplingThreads: v.int("options.samplingThreads", o.samplingThreads, 0, 1024, 0),
      kvMode: this.kvMode,
      batchSize: v.int("options.batchSize", o.batchSize, 16, 65536, 512),
      prefixCacheSlots: v.int("options.prefixCacheSlots", o.prefixCacheSlots, 1, 256 - maxSequences, Math.min(16, 256 - maxSequences)),
      flashAttention,
      backendSampling: v.bool("options.backendSampling", o.backendSampling, false),
      kvType: KV_TYPES[kvType].ggmlType,
      admission,
      sampleHeadroom: v.int("options.sampleHeadroom", o.sampleHeadroom, 1, 1 << 20, 64),
      batchInvariant: v.bool("options.batchInvariant", o.batchInvariant, !model.offloaded),
    };
    if (native.backendSampling && model.offloaded && onVulkan()) {
      // Reproduced on Mesa's lavapipe (test/gpu/vulkan-engine.test.ts, patches/README.md): heap
      // corruption inside ggml-vulkan as soon as a decode step carries a single sample, which
      // every request reaches when its last sample runs alone.
      throw new RrmOptionError("options.backendSampling is not available on a Vulkan device: llama.cpp's Vulkan backend (this version) corrupts memory when a decode step with backend sampling carries one sample; sample on the host (the default), or load the model with gpuLayers: 0");
    }
    this.model = model;
    this.#backendSampling = native.backendSampling;
    const addon = loadAddon();
    try {
      this.#native = new addon.Engine(model.native, native, (type, id, e) => this.#onEvent(type, id, e as never));
    } catch (e) {
      throw new RrmEngineError((e as Error).message);
    }
    const info = this.#native.info();
    this.contextSize = info.contextSize;
    this.maxSequences = info.maxSequences;
    const bytesPerCell = kvBytesPerCell(model.info, kvType);
    const totalCells = info.kvMode === "split" ? info.cellsPerSequence * (maxSequences + native.prefixCacheSlots) : info.contextSize;
    this.info = { ...info, kvType, admission, batchInvariant: native.batchInvariant, bytesPerCell, kvBytes: bytesPerCell * totalCells, contextSource };
    model.trackEngine(this, true);
  }

  get disposed() { return this.#disposed; }

  /** Draws `n` completions of one prompt; the prompt is computed once and shared by all. */
  generate(request: GenerateRequest): Promise<GenerateResult> {
    try {
      return this.#submit(request);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // Requests submitted in one turn of the event loop (a pair's two orders, a knockout round, the
  // comparisons of a best-of-4 item) are admitted by the scheduler together, so the batches they
  // run in do not depend on the scheduler thread's timing.
  #holding = false;
  #holdThisTurn() {
    if (this.#holding) return;
    this.#holding = true;
    this.#native.hold();
    queueMicrotask(() => {
      this.#holding = false;
      if (!this.#disposed) this.#native.release();
    });
  }

  #submit(request: GenerateRequest): Promise<GenerateResult> {
    if (this.#disposed) throw new RrmEngineError("The engine has been disposed");
    const r = v.obj("request", request);
    v.knownKeys("request", r, REQUEST_KEYS);
    const prompt = this.#promptTokens(r.prompt);
    // More than maxSequences is fine: the samples beyond it start as sequences free.
    const n = v.int("request.n", r.n, 1, MAX_SAMPLES_PER_REQUEST, 1);
    const maxTokens = v.int("request.maxTokens", r.maxTokens, 1, 1 << 20, 256);
    const signal = v.signal("request.signal", r.signal);
    const stopSignal = v.signal("request.stopSignal", r.stopSignal);
    let stop: string[] = [];
    if (r.stop !== undefined) {
      if (!Array.isArray(r.stop) || r.stop.some((s) => typeof s !== "string" || s.length === 0)) v.fail("an array of non-empty strings", "request.stop", r.stop);
      stop = [...(r.stop as string[])];
    }
    const spec: NativeRequest = {
      prompt,
      n,
      maxTokens,
      temperature: v.num("request.temperature", r.temperature, 0, 100, 0.8),
      topP: v.num("request.topP", r.topP, 0, 1, 1),
      topK: v.int("request.topK", r.topK, 0, 1 << 20, 0),
      minP: v.num("request.minP", r.minP, 0, 1, 0),
      seed: v.int("request.seed", r.seed, 0, 0xffffffff, Math.floor(Math.random() * 0xffffffff)),
      ignoreEos: v.bool("request.ignoreEos", r.ignoreEos, false),
      stop,
      prefixCache: v.bool("request.prefixCache", r.prefixCache, true),
      progress: r.onProgress !== undefined,
      priority: v.int("request.priority", r.priority, -1000000, 1000000, 0),
      stream: r.onDelta !== undefined,
      logprobs: v.int("request.logprobs", r.logprobs, 0, 20, -1),
    };
    if (spec.logprobs! >= 0 && this.#backendSampling) throw new RrmOptionError("request.logprobs needs host sampling: this engine samples in the decode graph (options.backendSampling), where the logits never reach the host");
    if (r.sampleMaxTokens !== undefined) {
      const m = r.sampleMaxTokens;
      if (!Array.isArray(m) || m.length !== n || m.some((x) => !Number.isInteger(x) || x < 1 || x > maxTokens)) v.fail(`an array of ${n} integers in 1..${maxTokens} (one per sample)`, "request.sampleMaxTokens", m);
      spec.sampleMaxTokens = Int32Array.from(m as number[]);
    }
    if (r.forced !== undefined) spec.forced = this.#forced(r.forced);
    const onProgress = v.fn<NonNullable<GenerateRequest["onProgress"]>>("request.onProgress", r.onProgress);
    const onSample = v.fn<NonNullable<GenerateRequest["onSample"]>>("request.onSample", r.onSample);
    const onDelta = v.fn<NonNullable<GenerateRequest["onDelta"]>>("request.onDelta", r.onDelta);
    if (signal?.aborted) throw abortError(signal);

    let id: number;
    try {
      this.#holdThisTurn();
      id = this.#native.submit(spec);
    } catch (e) {
      throw e instanceof RangeError ? new RrmOptionError(e.message) : new RrmEngineError((e as Error).message);
    }
    return new Promise<GenerateResult>((resolve, reject) => {
      const p: Pending = { completions: new Array(n), promptTokens: prompt.length, resolve, reject, signal, onProgress, onSample, onDelta, stopped: false };
      if (signal) {
        p.onAbort = () => this.#native.cancel(id);
        signal.addEventListener("abort", p.onAbort, { once: true });
      }
      if (stopSignal) {
        p.stopSignal = stopSignal;
        p.onStop = () => {
          p.stopped = true;
          this.#native.cancel(id);
        };
        if (stopSignal.aborted) p.onStop();
        else stopSignal.addEventListener("abort", p.onStop, { once: true });
      }
      if (this.#pending.size === 0) this.#native.ref(); // keep the process alive while work runs
      this.#pending.set(id, p);
    });
  }

  #promptTokens(prompt: unknown): Int32Array {
    if (typeof prompt === "string") {
      if (prompt.length === 0) v.fail("a non-empty prompt", "request.prompt", prompt);
      return Int32Array.from(this.model.tokenize(prompt));
    }
    if (!(prompt instanceof Int32Array) && !Array.isArray(prompt)) v.fail("a string or an array of token ids", "request.prompt", prompt);
    const arr = prompt as ArrayLike<number>;
    if (arr.length === 0) v.fail("a non-empty prompt", "request.prompt", prompt);
    const nv = this.model.info.vocabularySize;
    for (let i = 0; i < arr.length; i++) {
      if (!Number.isInteger(arr[i]) || arr[i] < 0 || arr[i] >= nv) v.fail(`token ids in 0..${nv - 1}`, `request.prompt[${i}]`, arr[i]);
    }
    if (arr.length >= this.info.cellsPerSequence) {
      throw new RrmOptionError(`The prompt has ${arr.length} tokens but the engine's context holds ${this.info.cellsPerSequence} cells${this.kvMode === "split" ? " per sequence" : ""} (options.contextSize)`);
    }
    return Int32Array.from(arr);
  }

  #forced(f: unknown): NonNullable<NativeRequest["forced"]> {
    const o = v.obj("request.forced", f);
    v.knownKeys("request.forced", o, ["afterTokens", "unlessToken", "tokens", "probeTokens"]);
    const nv = this.model.info.vocabularySize;
    const ids = (name: string, x: unknown, min: number, max: number) => {
      if (!Array.isArray(x) || x.length < min || x.length > max || x.some((t) => !Number.isInteger(t) || t < 0 || t >= nv)) v.fail(`an array of ${min}..${max} token ids in 0..${nv - 1}`, name, x);
      return Int32Array.from(x as number[]);
    };
    return {
      budget: v.int("request.forced.afterTokens", o.afterTokens, 1, this.contextSize),
      endToken: v.int("request.forced.unlessToken", o.unlessToken, -1, nv - 1),
      tokens: ids("request.forced.tokens", o.tokens, 0, 256),
      probe: ids("request.forced.probeTokens", o.probeTokens, 1, nv),
    };
  }

  #onEvent(type: "progress" | "sample" | "done", id: number, e: any) {
    const p = this.#pending.get(id);
    if (!p) return;
    try {
      if (type === "progress") {
        p.onProgress?.({ generatedTokens: e.generated, prefilledTokens: e.prefilled, promptTokens: p.promptTokens });
        if (p.onDelta && e.deltas) {
          for (const d of e.deltas) p.onDelta({ index: d.index, text: d.text, tokens: Array.from(d.tokens as Int32Array), ...logprobsOf(d) });
        }
      } else if (type === "sample") {
        const c: Completion = { text: e.text, tokens: Array.from(e.tokens as Int32Array), finishReason: e.finishReason };
        if (e.finishReason === "forced") c.probe = e.probe;
        if (e.logprob) c.logprobs = logprobsOf(e).logprobs;
        p.completions[e.index] = c;
        if (c.finishReason !== "cancelled" && p.onSample?.(c, e.index) === true && !p.stopped) {
          p.stopped = true;
          this.#native.cancel(id);
        }
      } else {
        this.#pending.delete(id);
        if (this.#pending.size === 0 && !this.#disposed) this.#native.unref();
        if (p.signal && p.onAbort) p.signal.removeEventListener("abort", p.onAbort);
        if (p.stopSignal && p.onStop) p.stopSignal.removeEventListener("abort", p.onStop);
        if (e.error) p.reject(new RrmEngineError(e.error));
        else if (e.cancelled && !p.stopped) p.reject(abortError(p.signal));
        else {
          const stats: GenerateStats = e.stats;
          // Array.from, not map: map skips the holes of samples that never started (a request
          // stopped before they were admitted), and a hole reached the judge as undefined (a 500).
          p.resolve({ completions: Array.from(p.completions, (c) => c ?? { text: "", tokens: [], finishReason: "cancelled" }), stats });
        }
      }
    } catch (err) {
      // A throwing user callback must not take down the event delivery of other requests.
      this.#pending.delete(id);
      this.#native.cancel(id);
      p.reject(err as Error);
    }
  }

  stats(): EngineStats {
    if (this.#disposed) throw new RrmEngineError("The engine has been disposed");
    return this.#native.stats();
  }

  /** Turns the cross-request prefix cache on or off (on by default). */
  setPrefixCache(on: boolean) {
    this.#native.setPrefixCache(v.bool("on", on, true));
  }

  /** Rejects work in flight, frees the context and its KV cache. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#native.dispose(); // in-flight requests are reported as failed ("disposed")
    this.model.trackEngine(this, false);
  }
}

/** The native flat arrays as one TokenLogprob per token (none when the request did not ask). */
function logprobsOf(e: NativeLogprobs & { tokens: Int32Array }): { logprobs?: TokenLogprob[] } {
  if (!e.logprob) return {};
  const n = e.logprob.length;
  const k = n > 0 ? e.topTokens!.length / n : 0;
  const out: TokenLogprob[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const top: TokenLogprob["top"] = new Array(k);
    for (let j = 0; j < k; j++) top[j] = { token: e.topTokens![i * k + j], logprob: e.topLogprobs![i * k + j] };
    out[i] = { token: e.tokens[i], logprob: e.logprob[i], top };
  }
  return { logprobs: out };
}

/** A Vulkan device is among the GPUs the model's layers go to. */
function onVulkan(): boolean {
  return gpuDevices(loadAddon().systemInfo()).some((d) => d.name.startsWith("Vulkan"));
}

function autoKvMode(model: Model, maxSequences: number): "unified" | "split" {
  const system = loadAddon().systemInfo();
  const onGpu = model.offloaded && gpuDevices(system).length > 0;
  // A crossover measured on this device for this model shape (`rrm bench --calibrate`) wins.
  const measured = findCalibration(deviceKey(system, onGpu), shapeKey(model.info));
  if (measured) return measured.crossover !== null && maxSequences >= measured.crossover ? "split" : "unified";
  // Built-in rule (BENCHMARKS.md, PERF.md): on CPU unified wins (the shared prompt is free and the
  // CPU kernel skips masked cells); on a GPU split decodes faster once many sequences run.
  return onGpu && maxSequences >= 32 ? "split" : "unified";
}

export function createEngine(model: Model, options: EngineOptions = {}): Engine {
  if (!model || typeof (model as Model).tokenize !== "function") v.fail("a Model from loadModel()", "model", model);
  if (model.disposed) throw new RrmEngineError("The model has been disposed");
  return new Engine(model, options);
}
