// The shipped judge's GGUF: the quantized tensors under the initial model's metadata.
// llama_model_save_to_file (the trainer's checkpoints) drops tokenizer.chat_template and writes
// every hyperparameter key llama.cpp knows, softcapping values included, that Qwen2 never reads;
// the judge needs its chat template and a header a reader can trust. So: the initial model's
// keys (architecture, shape, tokenizer, template, name), the quantized file's tensors as bytes,
// file type Q8_0 and a usable context length.
//   tsx lib/train/finish-model.ts INIT.gguf QUANTIZED.gguf OUT.gguf
import { closeSync, openSync, readSync, renameSync } from "node:fs";
import { readGgufHeader } from "../gguf/reader.js";
import { ValueType } from "../gguf/types.js";
import { writeGguf, type KvToWrite, type TensorToWrite } from "../gguf/writer.js";

export const SHIPPED_CONTEXT = 4096;

export function finishModel(initPath: string, quantizedPath: string, outPath: string) {
  const init = readGgufHeader(initPath);
  const q = readGgufHeader(quantizedPath);
  const kvs: KvToWrite[] = [];
  for (const kv of init.kv.values()) {
    if (kv.key === "general.file_type") kvs.push({ key: kv.key, type: ValueType.UINT32, value: 7 }); // MOSTLY_Q8_0
    else if (kv.key === "qwen2.context_length") kvs.push({ key: kv.key, type: ValueType.UINT32, value: SHIPPED_CONTEXT });
    else kvs.push({ key: kv.key, type: kv.type, value: kv.value });
  }
  kvs.push({ key: "general.quantization_version", type: ValueType.UINT32, value: 2 });
  const fd = openSync(quantizedPath, "r");
  try {
    const tensors: TensorToWrite[] = q.tensors.map((t) => ({
      name: t.name,
      dims: t.dims.map(Number),
      type: t.type,
      fill: (out, off) => { readSync(fd, out, 0, out.length, q.dataOffset + Number(t.offset) + off); },
    }));
    const tmp = `${outPath}.${process.pid}.tmp`;
    writeGguf(tmp, kvs, tensors);
    renameSync(tmp, outPath);
  } finally {
    closeSync(fd);
  }
}

if (process.argv[1]?.endsWith("finish-model.ts")) {
  const [init, quantized, out] = process.argv.slice(2);
  if (!out) { console.error("usage: tsx lib/train/finish-model.ts INIT.gguf QUANTIZED.gguf OUT.gguf"); process.exit(2); }
  finishModel(init, quantized, out);
}
