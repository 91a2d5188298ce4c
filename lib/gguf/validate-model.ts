// Checks a model file before llama.cpp sees it: the GGUF structure (reader.ts), then that it is a
// language model llama.cpp can load and that its sizes agree with its own metadata.
import { LLAMA_ARCHITECTURES } from "./architectures.js";
import { GgufError, kvNumber, kvString, readGgufHeader, type GgufArray, type GgufHeader } from "./reader.js";
import { ValueType } from "./types.js";

export function validateModelFile(path: string): GgufHeader {
  const h = readGgufHeader(path);
  const bad = (message: string): never => {
    throw new GgufError(path, 0, message);
  };
  const arch = kvString(h, "general.architecture");
  if (!arch) bad("metadata has no general.architecture string");
  if (arch === "clip" || !LLAMA_ARCHITECTURES.has(arch!)) bad(`architecture '${arch}' is not one llama.cpp loads as a language model`);
  if (h.tensors.length === 0) bad("the file has no tensors (a vocabulary-only file?)");

  const tokens = h.kv.get("tokenizer.ggml.tokens")?.value as GgufArray | undefined;
  if (!tokens || !Array.isArray(tokens.items)) bad("metadata has no tokenizer.ggml.tokens array");
  if (tokens!.type !== ValueType.STRING) bad(`tokenizer.ggml.tokens is an array of type ${tokens!.type}, not of strings`);
  const nVocab = tokens!.items.length;
  if (nVocab === 0) bad("the vocabulary is empty");
  // llama.cpp maps each token's text to its id and asserts that no text repeats (an abort, not an
  // error: llama-vocab.cpp, id_to_token.size() == token_to_id.size()). One flipped bit in a token's
  // text makes it another token's (the 10,000-file nightly run found 6 such files). Texts read
  // with U+FFFD are left out: ill-formed bytes decode to it, so two such texts may differ as bytes
  // (raw byte tokens, as RWKV's vocabulary has), and only equal bytes abort.
  const seen = new Map<string, number>();
  tokens!.items.forEach((text, id) => {
    if ((text as string).includes("\uFFFD")) return;
    const first = seen.get(text as string);
    if (first !== undefined) bad(`tokenizer.ggml.tokens holds ${JSON.stringify(text)} at ids ${first} and ${id}: llama.cpp needs each token text once`);
    seen.set(text as string, id);
  });
  const types = h.kv.get("tokenizer.ggml.token_type")?.value as GgufArray | undefined;
  if (types && types.items.length !== nVocab) bad(`tokenizer.ggml.token_type has ${types.items.length} entries for ${nVocab} tokens`);
  for (const key of ["bos_token_id", "eos_token_id", "padding_token_id", "unknown_token_id", "eot_token_id"]) {
    const id = kvNumber(h, `tokenizer.ggml.${key}`);
    if (id !== undefined && (id < 0 || id >= nVocab) && id !== 0xffffffff) bad(`tokenizer.ggml.${key} is ${id}, outside the vocabulary of ${nVocab}`);
  }

  const nEmbd = kvNumber(h, `${arch}.embedding_length`);
  const nLayer = kvNumber(h, `${arch}.block_count`);
  if (nEmbd === undefined || nEmbd <= 0 || nEmbd > 1 << 17) bad(`${arch}.embedding_length is ${nEmbd}`);
  if (nLayer === undefined || nLayer <= 0 || nLayer > 4096) bad(`${arch}.block_count is ${nLayer}`);
  const heads = kvNumber(h, `${arch}.attention.head_count`);
  if (heads !== undefined && (heads <= 0 || nEmbd! % heads !== 0) && !kvNumber(h, `${arch}.attention.key_length`)) {
    bad(`${arch}.attention.head_count ${heads} does not divide embedding_length ${nEmbd}`);
  }
  const kvHeads = kvNumber(h, `${arch}.attention.head_count_kv`);
  if (heads !== undefined && kvHeads !== undefined && (kvHeads <= 0 || heads % kvHeads !== 0)) {
    bad(`${arch}.attention.head_count_kv ${kvHeads} does not divide head_count ${heads}`);
  }
  const ctx = kvNumber(h, `${arch}.context_length`);
  if (ctx !== undefined && (ctx <= 0 || ctx > 1 << 24)) bad(`${arch}.context_length is ${ctx}`);

  const byName = new Map(h.tensors.map((t) => [t.name, t]));
  const embd = byName.get("token_embd.weight");
  if (!embd) bad("tensor token_embd.weight is missing");
  if (Number(embd!.dims[0]) !== nEmbd || Number(embd!.dims[1] ?? 1n) !== nVocab) {
    bad(`token_embd.weight is ${embd!.dims.join("x")}, expected ${nEmbd}x${nVocab} (embedding_length x vocabulary size)`);
  }
  for (let l = 0; l < nLayer!; l++) {
    if (!h.tensors.some((t) => t.name.startsWith(`blk.${l}.`))) bad(`block_count is ${nLayer} but no tensor of layer ${l} exists`);
  }
  const output = byName.get("output.weight");
  if (output && (Number(output.dims[0]) !== nEmbd || Number(output.dims[1] ?? 1n) !== nVocab)) {
    bad(`output.weight is ${output.dims.join("x")}, expected ${nEmbd}x${nVocab}`);
  }
  return h;
}
