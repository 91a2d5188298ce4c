// Writes small valid GGUF files into a folder: the seed corpus of native/fuzz/gguf_fuzz.cpp
// (scripts/fuzz-native.sh). Generated, not committed as binaries: every value type, string
// arrays, tensors of several types and an alignment other than the default, in well under 4 KiB.
//   node --import tsx test/fuzz/gguf-seed.ts DIR
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { GgmlType, ValueType } from "../../lib/gguf/types.js";
import { writeGguf, type KvToWrite } from "../../lib/gguf/writer.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: gguf-seed.ts DIR");
mkdirSync(dir, { recursive: true });
const zero = (out: Buffer) => void out.fill(0);
const every: KvToWrite[] = [
  { key: "general.architecture", type: ValueType.STRING, value: "qwen2" },
  { key: "u8", type: ValueType.UINT8, value: 7 }, { key: "i8", type: ValueType.INT8, value: -7 },
  { key: "u16", type: ValueType.UINT16, value: 700 }, { key: "i16", type: ValueType.INT16, value: -700 },
  { key: "u32", type: ValueType.UINT32, value: 70000 }, { key: "i32", type: ValueType.INT32, value: -70000 },
  { key: "f32", type: ValueType.FLOAT32, value: 0.5 }, { key: "bool", type: ValueType.BOOL, value: true },
  { key: "u64", type: ValueType.UINT64, value: 1n << 40n }, { key: "i64", type: ValueType.INT64, value: -(1n << 40n) },
  { key: "f64", type: ValueType.FLOAT64, value: 0.25 },
  { key: "tokenizer.ggml.tokens", type: ValueType.ARRAY, value: { type: ValueType.STRING, items: ["a", "b", "</think>", "<｜User｜>"] } },
  { key: "tokenizer.ggml.token_type", type: ValueType.ARRAY, value: { type: ValueType.INT32, items: [1, 1, 4, 3] } },
];
writeGguf(join(dir, "every-type.gguf"), every, [
  { name: "token_embd.weight", dims: [32, 4], type: GgmlType.F16, fill: zero },
  { name: "blk.0.attn_q.weight", dims: [32, 2], type: GgmlType.Q8_0, fill: zero },
  { name: "output_norm.weight", dims: [32], type: GgmlType.F32, fill: zero },
]);
writeGguf(join(dir, "aligned-64.gguf"), [
  { key: "general.architecture", type: ValueType.STRING, value: "qwen2" },
  { key: "general.alignment", type: ValueType.UINT32, value: 64 },
], [
  { name: "a", dims: [256], type: GgmlType.Q4_K, fill: zero },
  { name: "b", dims: [3, 5], type: GgmlType.F32, fill: zero },
]);
writeGguf(join(dir, "empty.gguf"), [], []);
