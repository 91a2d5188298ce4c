// Writes Qwen2 GGUF test models: random weights at real shapes and the real Qwen2 tokenizer,
// copied from llama.cpp's models/ggml-vocab-qwen2.gguf. The "rrm" vocabulary variant renames the
// placeholder tokens to DeepSeek-R1-Distill's special tokens and carries its chat template.
// A judge family's test model (`judge`) is its base model's vocabulary and template: R1-Distill
// for RRM and RM-R1-Reasoning, Qwen2.5-Instruct for RM-R1-Instruct and JudgeLRM, and Llama-3.1
// (llama architecture, llama.cpp's models/ggml-vocab-llama-bpe.gguf) for J1 and Think-RM; its
// general.name names the family, so `judge: "auto"` picks the preset.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { packageRoot } from "../../bindings/index.js";
import { readGgufHeader, type GgufArray } from "../gguf/reader.js";
import { GgmlType, ValueType } from "../gguf/types.js";
import { writeGguf, type KvToWrite, type TensorToWrite } from "../gguf/writer.js";
import { fillRandom, fillUniformF32, Rng } from "./random-weights.js";
import { R1_BOS, R1_DISTILL_CHAT_TEMPLATE, R1_EOS, R1_SPECIAL_TOKENS } from "./r1-template.js";
import { LLAMA31_INSTRUCT_CHAT_TEMPLATE, QWEN25_INSTRUCT_CHAT_TEMPLATE } from "./chat-templates.js";
import { SHAPES, WEIGHT_TYPES, type ModelShape, type ShapeName, type WeightType } from "./shapes.js";
import { subsetVocabulary } from "./vocab-subset.js";

export type Vocabulary = "qwen2" | "rrm" | "qwen2.5-instruct" | "llama3.1-instruct";
export const VOCABULARIES: readonly Vocabulary[] = ["qwen2", "rrm", "qwen2.5-instruct", "llama3.1-instruct"];

/** Each judge family's base vocabulary and chat template (lib/judges). */
export const JUDGE_VOCABULARY = {
  rrm: "rrm",
  "rm-r1-reasoning": "rrm",
  "rm-r1-instruct": "qwen2.5-instruct",
  judgelrm: "qwen2.5-instruct",
  j1: "llama3.1-instruct",
  "j1-scores": "llama3.1-instruct",
  "think-rm": "llama3.1-instruct",
  "think-rm-binary": "llama3.1-instruct",
} as const satisfies Record<string, Vocabulary>;
export type JudgeFamilyName = keyof typeof JUDGE_VOCABULARY;

export interface MakeModelOptions {
  /** A named shape, or any Qwen2 shape (with `path`: the cache names files after named shapes). */
  shape?: ShapeName | ModelShape;
  type?: WeightType;
  vocabulary?: Vocabulary;
  /** A judge family's test model: its vocabulary and template, its name in general.name. */
  judge?: JudgeFamilyName;
  seed?: number;
  /** Output file; default: a cached file named after the options (see testModelPath). */
  path?: string;
  /** The tokenizer source; default: llama.cpp's models/ggml-vocab-qwen2.gguf. */
  vocabPath?: string;
  contextLength?: number;
  /**
   * Keep only these tokens (ids of the full vocabulary, after the vocabulary variant's renames),
   * plus the byte tokens and the intermediate tokens and merges BPE needs to reach them
   * (vocab-subset.ts). Needs `path`. The trained judge's vocabulary.
   */
  keepTokens?: Iterable<number>;
  /** general.name instead of the generated one. */
  name?: string;
}


const VOCAB_FILE = "ggml-vocab-qwen2.gguf";

/** The Qwen2 tokenizer: $RRM_VOCAB_GGUF, the llama.cpp source of a checkout, or the gzipped copy the
 *  package ships (assets/, unpacked once into the model cache: 1.7 MB instead of 5.9 MB installed). */
export function defaultVocabPath(): string {
  if (process.env.RRM_VOCAB_GGUF) return process.env.RRM_VOCAB_GGUF;
  const root = packageRoot();
  const p = join(root, "deps", "llama.cpp", "models", VOCAB_FILE);
  if (existsSync(p)) return p;
  const gz = join(root, "assets", `${VOCAB_FILE}.gz`);
  if (existsSync(gz)) {
    const out = join(modelCacheDir(), VOCAB_FILE);
    if (!existsSync(out)) {
      mkdirSync(dirname(out), { recursive: true });
      const tmp = `${out}.${process.pid}.tmp`;
      writeFileSync(tmp, gunzipSync(readFileSync(gz)));
      renameSync(tmp, out);
    }
    return out;
  }
  throw new Error(`cannot find ${VOCAB_FILE}: looked in ${p} and ${gz}; reinstall rrm-engine, run \`npm install\` in a checkout (it fetches the llama.cpp source), or set RRM_VOCAB_GGUF`);
}

/** Where generated models are cached: $RRM_MODEL_CACHE or ~/.cache/rrm-engine/models (outside the repo). */
export function modelCacheDir(): string {
  return process.env.RRM_MODEL_CACHE ?? join(homedir(), ".cache", "rrm-engine", "models");
}

export function testModelPath(o: MakeModelOptions = {}): string {
  const { shape = "tiny", type = "q8_0", seed = 1 } = o;
  const vocabulary = o.judge ? JUDGE_VOCABULARY[o.judge] : o.vocabulary ?? "qwen2";
  const arch = vocabulary === "llama3.1-instruct" ? "llama" : "qwen2";
  return join(modelCacheDir(), `${arch}-${typeof shape === "string" ? shape : "custom"}-${type}-${o.judge ? `judge-${o.judge}` : vocabulary}-s${seed}.gguf`);
}

/** llama.cpp's Llama-3 tokenizer: $RRM_LLAMA_VOCAB_GGUF or the llama.cpp source of a checkout. */
export function llamaVocabPath(): string {
  if (process.env.RRM_LLAMA_VOCAB_GGUF) return process.env.RRM_LLAMA_VOCAB_GGUF;
  const p = join(packageRoot(), "deps", "llama.cpp", "models", "ggml-vocab-llama-bpe.gguf");
  if (existsSync(p)) return p;
  throw new Error(`cannot find ggml-vocab-llama-bpe.gguf (Llama-3's tokenizer, for the J1 and Think-RM test models): looked in ${p}; run \`npm install\` in a checkout (it fetches the llama.cpp source) or set RRM_LLAMA_VOCAB_GGUF`);
}

// Llama-3.1-Instruct ends a turn with <|eot_id|> (HF generation_config: eos 128001, 128008, 128009).
const LLAMA31_EOT = 128009;

const TYPE_OF: Record<WeightType, GgmlType> = { f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0, q4_k: GgmlType.Q4_K };
const FILE_TYPE: Record<WeightType, number> = { f32: 0, f16: 1, q8_0: 7, q4_k: 15 }; // llama_ftype: ALL_F32, F16, Q8_0, Q4_K_M

/** Writes the model (unless the cached file exists) and returns its path. */
export function makeTestModel(o: MakeModelOptions = {}): string {
  const { shape = "tiny", type = "q8_0", seed = 1 } = o;
  if (typeof shape === "string" ? !(shape in SHAPES) : !o.path) throw new RangeError(`Expected shape to be one of ${Object.keys(SHAPES).join(", ")} (or a shape object with a path), got ${typeof shape === "string" ? shape : JSON.stringify(shape)}`);
  if (!WEIGHT_TYPES.includes(type as never) && !(type === "f32" && o.path)) throw new RangeError(`Expected type to be one of ${WEIGHT_TYPES.join(", ")}, got ${String(type)}`);
  if (o.judge !== undefined && !(o.judge in JUDGE_VOCABULARY)) throw new RangeError(`Expected judge to be one of ${Object.keys(JUDGE_VOCABULARY).join(", ")}, got ${String(o.judge)}`);
  const vocabulary = o.judge ? JUDGE_VOCABULARY[o.judge] : o.vocabulary ?? "qwen2";
  if (!VOCABULARIES.includes(vocabulary)) throw new RangeError(`Expected vocabulary to be one of ${VOCABULARIES.join(", ")}, got ${String(vocabulary)}`);
  const path = o.path ?? testModelPath(o);
  if (!o.path && existsSync(path)) return path;
  if (o.keepTokens && !o.path) throw new RangeError("Expected a path for a model with keepTokens (the cache names files after the named variants only)");
  const s: ModelShape = typeof shape === "string" ? SHAPES[shape] : shape;
  const shapeName = typeof shape === "string" ? shape : `${s.embedding}x${s.layers}`;
  const llama = vocabulary === "llama3.1-instruct";
  const arch = llama ? "llama" : "qwen2";
  const vocab = readGgufHeader(o.vocabPath ?? (llama ? llamaVocabPath() : defaultVocabPath()));
  const template = vocabulary === "rrm" ? R1_DISTILL_CHAT_TEMPLATE : vocabulary === "qwen2.5-instruct" ? QWEN25_INSTRUCT_CHAT_TEMPLATE : llama ? LLAMA31_INSTRUCT_CHAT_TEMPLATE : undefined;
  const what = o.judge ? `${o.judge} judge family, ${vocabulary} vocabulary` : `${vocabulary} vocabulary`;

  const kvs: KvToWrite[] = [
    { key: "general.architecture", type: ValueType.STRING, value: arch },
    { key: "general.name", type: ValueType.STRING, value: o.name ?? `rrm-engine test ${arch}-${shapeName} ${type} (${what}, random weights)` },
    { key: "general.file_type", type: ValueType.UINT32, value: FILE_TYPE[type] },
    { key: `${arch}.block_count`, type: ValueType.UINT32, value: s.layers },
    { key: `${arch}.context_length`, type: ValueType.UINT32, value: o.contextLength ?? 32768 },
    { key: `${arch}.embedding_length`, type: ValueType.UINT32, value: s.embedding },
    { key: `${arch}.feed_forward_length`, type: ValueType.UINT32, value: s.feedForward },
    { key: `${arch}.attention.head_count`, type: ValueType.UINT32, value: s.heads },
    { key: `${arch}.attention.head_count_kv`, type: ValueType.UINT32, value: s.kvHeads },
    { key: `${arch}.rope.freq_base`, type: ValueType.FLOAT32, value: llama ? 500000 : 1000000 },
    { key: `${arch}.attention.layer_norm_rms_epsilon`, type: ValueType.FLOAT32, value: llama ? 1e-5 : 1e-6 },
  ];
  let nVocab = 0;
  for (const kv of vocab.kv.values()) {
    if (!kv.key.startsWith("tokenizer.")) continue;
    if (template !== undefined && kv.key === "tokenizer.chat_template") continue;
    if (llama && kv.key === "tokenizer.ggml.eos_token_id") {
      kvs.push({ key: kv.key, type: kv.type, value: LLAMA31_EOT });
      continue;
    }
    let value = kv.value;
    if (kv.key === "tokenizer.ggml.tokens") {
      const tokens = (value as GgufArray).items.slice() as string[];
      nVocab = tokens.length;
      if (vocabulary === "rrm") for (const t of R1_SPECIAL_TOKENS) tokens[t.id] = t.text;
      value = { type: ValueType.STRING, items: tokens };
    } else if (kv.key === "tokenizer.ggml.token_type" && vocabulary === "rrm") {
      const types = (value as GgufArray).items.slice() as number[];
      // HF marks only BOS/EOS "special" (control); the others are added tokens (user-defined).
      for (const t of R1_SPECIAL_TOKENS) types[t.id] = t.control ? 3 : 4;
      value = { type: ValueType.INT32, items: types };
    } else if (vocabulary === "rrm" && (kv.key === "tokenizer.ggml.bos_token_id")) {
      value = R1_BOS;
    } else if (vocabulary === "rrm" && (kv.key === "tokenizer.ggml.eos_token_id" || kv.key === "tokenizer.ggml.padding_token_id")) {
      value = R1_EOS;
    }
    kvs.push({ key: kv.key, type: kv.type, value });
  }
  if (vocabulary === "rrm" || llama) kvs.push({ key: "tokenizer.ggml.add_bos_token", type: ValueType.BOOL, value: true });
  if (template !== undefined) kvs.push({ key: "tokenizer.chat_template", type: ValueType.STRING, value: template });
  if (!nVocab) throw new Error("the vocabulary file has no tokenizer.ggml.tokens");
  if (o.keepTokens) nVocab = keepSubset(kvs, o.keepTokens);

  const wtype = TYPE_OF[type];
  // Rows whose length is not a multiple of a K-quant's 256-element block fall back to Q8_0, as
  // llama-quantize does (Qwen2.5-0.5B's 896-wide rows).
  const matType = (rowLen: number) => (wtype === GgmlType.Q4_K && rowLen % 256 !== 0 ? GgmlType.Q8_0 : wtype);
  const rng = new Rng(seed);
  const tensors: TensorToWrite[] = [];
  // F32 matrices get random values (fillRandom's F32 is the norms' ones).
  const add = (name: string, dims: number[], t: GgmlType) =>
    tensors.push({ name, dims, type: t, fill: (out, off) => (t === GgmlType.F32 && dims.length > 1 ? fillUniformF32(rng, out) : fillRandom(rng, t, out, off)) });
  const headDim = s.embedding / s.heads;
  const kvDim = headDim * s.kvHeads;
  add("token_embd.weight", [s.embedding, nVocab], matType(s.embedding));
  for (let l = 0; l < s.layers; l++) {
    const p = `blk.${l}.`;
    add(p + "attn_norm.weight", [s.embedding], GgmlType.F32);
    add(p + "attn_q.weight", [s.embedding, s.embedding], matType(s.embedding));
    if (!llama) add(p + "attn_q.bias", [s.embedding], GgmlType.F32);
    add(p + "attn_k.weight", [s.embedding, kvDim], matType(s.embedding));
    if (!llama) add(p + "attn_k.bias", [kvDim], GgmlType.F32);
    add(p + "attn_v.weight", [s.embedding, kvDim], matType(s.embedding));
    if (!llama) add(p + "attn_v.bias", [kvDim], GgmlType.F32);
    add(p + "attn_output.weight", [s.embedding, s.embedding], matType(s.embedding));
    add(p + "ffn_norm.weight", [s.embedding], GgmlType.F32);
    add(p + "ffn_gate.weight", [s.embedding, s.feedForward], matType(s.embedding));
    add(p + "ffn_up.weight", [s.embedding, s.feedForward], matType(s.embedding));
    add(p + "ffn_down.weight", [s.feedForward, s.embedding], matType(s.feedForward));
  }
  add("output_norm.weight", [s.embedding], GgmlType.F32);
  if (!s.tiedEmbeddings) add("output.weight", [s.embedding, nVocab], matType(s.embedding));

  // Biases of ones would shift every activation; the F32 filler writes ones, which suits norms.
  // Give biases zeros instead.
  for (const t of tensors) if (t.name.endsWith(".bias")) t.fill = (out) => out.fill(0);

  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeGguf(tmp, kvs, tensors);
  renameSync(tmp, path); // atomic: parallel test processes never see a half-written model
  return path;
}

/** Replaces the tokenizer's tokens, types and merges with a consistent subset; returns its size. */
function keepSubset(kvs: KvToWrite[], keep: Iterable<number>): number {
  const kv = (key: string) => kvs.find((k) => k.key === key);
  const items = (key: string) => ((kv(key)?.value as GgufArray | undefined)?.items ?? []) as never[];
  const sub = subsetVocabulary(items("tokenizer.ggml.tokens"), items("tokenizer.ggml.token_type"), items("tokenizer.ggml.merges"), keep);
  kv("tokenizer.ggml.tokens")!.value = { type: ValueType.STRING, items: sub.tokens };
  kv("tokenizer.ggml.token_type")!.value = { type: ValueType.INT32, items: sub.types };
  kv("tokenizer.ggml.merges")!.value = { type: ValueType.STRING, items: sub.merges };
  for (const key of ["tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.padding_token_id"]) {
    const k = kv(key);
    if (!k) continue;
    const id = sub.idOf.get(k.value as number);
    if (id === undefined) throw new Error(`${key} (${String(k.value)}) is not among the kept tokens`);
    k.value = id;
  }
  return sub.tokens.length;
}
