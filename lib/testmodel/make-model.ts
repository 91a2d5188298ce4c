// Writes Qwen2 GGUF test models: random weights at real shapes and the real Qwen2 tokenizer,
// copied from llama.cpp's models/ggml-vocab-qwen2.gguf. The "rrm" vocabulary variant renames the
// placeholder tokens to DeepSeek-R1-Distill's special tokens and carries its chat template.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { packageRoot } from "../../bindings/index.js";
import { readGgufHeader, type GgufArray } from "../gguf/reader.js";
import { GgmlType, ValueType } from "../gguf/types.js";
import { writeGguf, type KvToWrite, type TensorToWrite } from "../gguf/writer.js";
import { fillRandom, Rng } from "./random-weights.js";
import { R1_BOS, R1_DISTILL_CHAT_TEMPLATE, R1_EOS, R1_SPECIAL_TOKENS } from "./r1-template.js";
import { SHAPES, WEIGHT_TYPES, type ShapeName, type WeightType } from "./shapes.js";

export type Vocabulary = "qwen2" | "rrm";
export interface MakeModelOptions {
  shape?: ShapeName;
  type?: WeightType;
  vocabulary?: Vocabulary;
  seed?: number;
  /** Output file; default: a cached file named after the options (see testModelPath). */
  path?: string;
  /** The tokenizer source; default: llama.cpp's models/ggml-vocab-qwen2.gguf. */
  vocabPath?: string;
  contextLength?: number;
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
  const { shape = "tiny", type = "q8_0", vocabulary = "qwen2", seed = 1 } = o;
  return join(modelCacheDir(), `qwen2-${shape}-${type}-${vocabulary}-s${seed}.gguf`);
}

const TYPE_OF: Record<WeightType, GgmlType> = { f16: GgmlType.F16, q8_0: GgmlType.Q8_0, q4_k: GgmlType.Q4_K };
const FILE_TYPE: Record<WeightType, number> = { f16: 1, q8_0: 7, q4_k: 15 }; // llama_ftype: F16, Q8_0, Q4_K_M

/** Writes the model (unless the cached file exists) and returns its path. */
export function makeTestModel(o: MakeModelOptions = {}): string {
  const { shape = "tiny", type = "q8_0", vocabulary = "qwen2", seed = 1 } = o;
  if (!(shape in SHAPES)) throw new RangeError(`Expected shape to be one of ${Object.keys(SHAPES).join(", ")}, got ${String(shape)}`);
  if (!WEIGHT_TYPES.includes(type)) throw new RangeError(`Expected type to be one of ${WEIGHT_TYPES.join(", ")}, got ${String(type)}`);
  if (vocabulary !== "qwen2" && vocabulary !== "rrm") throw new RangeError(`Expected vocabulary to be "qwen2" or "rrm", got ${String(vocabulary)}`);
  const path = o.path ?? testModelPath(o);
  if (!o.path && existsSync(path)) return path;
  const s = SHAPES[shape];
  const vocab = readGgufHeader(o.vocabPath ?? defaultVocabPath());

  const kvs: KvToWrite[] = [
    { key: "general.architecture", type: ValueType.STRING, value: "qwen2" },
    { key: "general.name", type: ValueType.STRING, value: `rrm-engine test qwen2-${shape} ${type} (${vocabulary} vocabulary, random weights)` },
    { key: "general.file_type", type: ValueType.UINT32, value: FILE_TYPE[type] },
    { key: "qwen2.block_count", type: ValueType.UINT32, value: s.layers },
    { key: "qwen2.context_length", type: ValueType.UINT32, value: o.contextLength ?? 32768 },
    { key: "qwen2.embedding_length", type: ValueType.UINT32, value: s.embedding },
    { key: "qwen2.feed_forward_length", type: ValueType.UINT32, value: s.feedForward },
    { key: "qwen2.attention.head_count", type: ValueType.UINT32, value: s.heads },
    { key: "qwen2.attention.head_count_kv", type: ValueType.UINT32, value: s.kvHeads },
    { key: "qwen2.rope.freq_base", type: ValueType.FLOAT32, value: 1000000 },
    { key: "qwen2.attention.layer_norm_rms_epsilon", type: ValueType.FLOAT32, value: 1e-6 },
  ];
  let nVocab = 0;
  for (const kv of vocab.kv.values()) {
    if (!kv.key.startsWith("tokenizer.")) continue;
    if (vocabulary === "rrm" && kv.key === "tokenizer.chat_template") continue;
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
  if (vocabulary === "rrm") {
    kvs.push({ key: "tokenizer.ggml.add_bos_token", type: ValueType.BOOL, value: true });
    kvs.push({ key: "tokenizer.chat_template", type: ValueType.STRING, value: R1_DISTILL_CHAT_TEMPLATE });
  }
  if (!nVocab) throw new Error("the vocabulary file has no tokenizer.ggml.tokens");

  const wtype = TYPE_OF[type];
  // Rows whose length is not a multiple of a K-quant's 256-element block fall back to Q8_0, as
  // llama-quantize does (Qwen2.5-0.5B's 896-wide rows).
  const matType = (rowLen: number) => (wtype === GgmlType.Q4_K && rowLen % 256 !== 0 ? GgmlType.Q8_0 : wtype);
  const rng = new Rng(seed);
  const tensors: TensorToWrite[] = [];
  const add = (name: string, dims: number[], t: GgmlType) =>
    tensors.push({ name, dims, type: t, fill: (out, off) => fillRandom(rng, t, out, off) });
  const headDim = s.embedding / s.heads;
  const kvDim = headDim * s.kvHeads;
  add("token_embd.weight", [s.embedding, nVocab], matType(s.embedding));
  for (let l = 0; l < s.layers; l++) {
    const p = `blk.${l}.`;
    add(p + "attn_norm.weight", [s.embedding], GgmlType.F32);
    add(p + "attn_q.weight", [s.embedding, s.embedding], matType(s.embedding));
    add(p + "attn_q.bias", [s.embedding], GgmlType.F32);
    add(p + "attn_k.weight", [s.embedding, kvDim], matType(s.embedding));
    add(p + "attn_k.bias", [kvDim], GgmlType.F32);
    add(p + "attn_v.weight", [s.embedding, kvDim], matType(s.embedding));
    add(p + "attn_v.bias", [kvDim], GgmlType.F32);
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
