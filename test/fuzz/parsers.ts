// Property-based fuzzing (fast-check) of the TypeScript code that reads outside bytes: JSONL lines
// and output files (lib/cli/jsonl.ts), RewardBench items (lib/eval/items.ts, rewardbench.ts,
// summary.ts), OpenRLHF bodies (lib/server/openrlhf.ts and the /get_reward route), GGUF headers
// (lib/gguf/reader.ts, validate-model.ts) and the verdict rule (lib/rrm/verdict.ts). Each target
// holds for any input: nothing throws but the documented error (GgufError for a bad GGUF, an
// Error naming the line for a bad eval item), and what comes out keeps its invariants.
// Run by test/unit/parsers-fuzz.test.ts (few runs) and test/fuzz/run.ts (many).
import fc from "fast-check";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonlWriter, readDone, readJsonl } from "../../lib/cli/jsonl.js";
import { parseEvalItem, type EvalItemRecord } from "../../lib/eval/items.js";
import { sectionOf, SUBSET_MAPPING } from "../../lib/eval/rewardbench.js";
import { summarize, summaryMarkdown } from "../../lib/eval/summary.js";
import { GgufError, readGgufHeader } from "../../lib/gguf/reader.js";
import { GgmlType, ValueType } from "../../lib/gguf/types.js";
import { validateModelFile } from "../../lib/gguf/validate-model.js";
import { writeGguf } from "../../lib/gguf/writer.js";
import { parseVerdict } from "../../lib/rrm/verdict.js";
import { splitQuery, stripChatTemplate } from "../../lib/server/openrlhf.js";
import { createJudgeServer } from "../../lib/server/app.js";
import { ScriptedJudge } from "../helpers/scripted-judge.js";

export interface FuzzTarget { name: string; about: string; run(numRuns: number, seed?: number): Promise<void> }

const dir = mkdtempSync(join(tmpdir(), "rrm-pbt-"));
const params = (numRuns: number, seed?: number) => ({ numRuns, ...(seed === undefined ? {} : { seed }), endOnFailure: false });

// Pieces the parsers look for, so random text reaches their branches and not only the fallbacks.
const piece = (words: string[]) => fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...words) },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
);
const textOf = (words: string[], maxLength = 24) => fc.array(piece(words), { maxLength }).map((p) => p.join(""));

// --- JSONL ----------------------------------------------------------------------------------
const JSONL_WORDS = ["\n", "\r\n", "\r", "{", "}", "[", "]", '"', ":", ",", "\\", '{"line":', "1", "-0", "1e999", "null", "true", " ", "\u2028", "\uFEFF", "\uFFFD"];
const splitLines = (t: string) => t.split(/\r\n|\r|\n/).slice(0, t.endsWith("\n") || t.endsWith("\r") ? -1 : undefined);

const jsonlLines: FuzzTarget = {
  name: "jsonl-lines",
  about: "readJsonl on any text: one entry per non-blank line, each its JSON value or 'line N: not valid JSON'",
  async run(numRuns, seed) {
    const file = join(dir, "lines.jsonl");
    const lineArb = fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v) ?? "null"), textOf(JSONL_WORDS, 12));
    await fc.assert(fc.asyncProperty(fc.oneof(fc.array(lineArb, { maxLength: 8 }).map((ls) => ls.join("\n")), textOf(JSONL_WORDS, 40)), async (text) => {
      writeFileSync(file, text);
      const got = [];
      for await (const l of readJsonl(file)) got.push(l);
      const expected = splitLines(text).map((t, i) => ({ t, line: i + 1 })).filter((x) => x.t.trim());
      if (got.length !== expected.length) throw new Error(`${got.length} entries for ${expected.length} lines`);
      got.forEach((g, i) => {
        if (g.line !== expected[i].line || g.text !== expected[i].t) throw new Error(`entry ${i} is line ${g.line}, expected ${expected[i].line}`);
        if (g.error !== undefined) {
          if (!g.error.startsWith(`line ${g.line}: not valid JSON (`)) throw new Error(`bad message: ${g.error}`);
        } else if (JSON.stringify(g.value) !== JSON.stringify(JSON.parse(g.text))) throw new Error("value differs from JSON.parse");
      });
    }), params(numRuns, seed));
  },
};

const jsonlResume: FuzzTarget = {
  name: "jsonl-resume",
  about: "readDone on any earlier output (records, garbage, cut lines): never throws; keeps a prefix of whole records and cuts the rest",
  async run(numRuns, seed) {
    const file = join(dir, "done.jsonl");
    const rec = fc.record({ line: fc.integer({ min: -2, max: 1e6 }), inputHash: fc.option(fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), maxLength: 16 }), { nil: undefined }), id: fc.option(fc.jsonValue(), { nil: undefined }) });
    const chunk = fc.oneof({ weight: 4, arbitrary: rec.map((r) => JSON.stringify(r) + "\n") }, { weight: 1, arbitrary: textOf(JSONL_WORDS, 10) });
    await fc.assert(fc.asyncProperty(fc.array(chunk, { maxLength: 10 }), fc.nat(), async (chunks, cut) => {
      let bytes = Buffer.from(chunks.join(""));
      bytes = bytes.subarray(0, bytes.length === 0 ? 0 : cut % (bytes.length + 1));
      writeFileSync(file, bytes);
      const done = readDone(file);
      const kept = readFileSync(file);
      if (!bytes.subarray(0, kept.length).equals(kept)) throw new Error("what is kept is not a prefix of the file");
      if (kept.length > 0 && kept[kept.length - 1] !== 0x0a) throw new Error("a partial line was kept");
      const lines = kept.toString("utf8").split("\n").filter((l, i, a) => i < a.length - 1);
      for (const l of lines) if (typeof JSON.parse(l).line !== "number") throw new Error("kept a line that is not a record");
      if (done.size !== new Set(lines.map((l) => JSON.parse(l).line)).size) throw new Error("map size differs from the kept records");
      // Appending after a resume goes on from a whole line and reads back.
      const w = jsonlWriter(file, true);
      w.write({ line: 1e7, inputHash: "ffffffffffffffff" });
      w.close();
      if (!readDone(file).has(1e7)) throw new Error("the appended record is not read back");
    }), params(numRuns, seed));
  },
};

// --- RewardBench items ------------------------------------------------------------------------
const SUBSETS = Object.values(SUBSET_MAPPING).flat();
const strOrJunk = fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: fc.jsonValue() });
const listOrJunk = fc.oneof(strOrJunk, fc.array(strOrJunk, { maxLength: 4 }), fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 4 }));
const evalLike = fc.record(
  { id: fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.jsonValue()), prompt: strOrJunk, chosen: listOrJunk, rejected: listOrJunk, subset: fc.oneof(fc.constantFrom(...SUBSETS), strOrJunk), extra: fc.jsonValue() },
  { requiredKeys: [] },
);

const evalItems: FuzzTarget = {
  name: "eval-items",
  about: "parseEvalItem on any JSON value: an item with its invariants, or an Error 'line N: ...'; summaries of any records never throw",
  async run(numRuns, seed) {
    fc.assert(fc.property(fc.oneof({ weight: 3, arbitrary: evalLike }, { weight: 1, arbitrary: fc.jsonValue() }), fc.integer({ min: 1, max: 1e6 }), (value, line) => {
      let item;
      try {
        item = parseEvalItem(value, line);
      } catch (e) {
        if (!(e instanceof Error) || e.constructor !== Error || !e.message.startsWith(`line ${line}: `)) throw new Error(`undocumented error: ${String(e)}`);
        return;
      }
      const o = value as Record<string, unknown>;
      const strings = (xs: unknown) => Array.isArray(xs) && xs.length > 0 && xs.every((x) => typeof x === "string");
      if (typeof item.prompt !== "string" || !strings(item.chosen) || !strings(item.rejected) || typeof item.subset !== "string") throw new Error("item breaks its types");
      if ((item.format === "pair") !== (!Array.isArray(o.chosen) && !Array.isArray(o.rejected))) throw new Error("format does not follow the input's shape");
      if (sectionOf(item.subset) !== undefined && !SUBSETS.includes(item.subset)) throw new Error("section for an unknown subset");
    }), params(numRuns, seed));
    // Records as a run writes them (scores 0 / 0.5 / 1, votes, tokens), mixed with error records.
    const votes = fc.record({ chosen: fc.nat(16), rejected: fc.nat(16), invalid: fc.nat(16) });
    const comparison = fc.record({ rejected: fc.nat(3), winner: fc.constantFrom("chosen", "rejected", null), score: fc.constantFrom(0, 0.5, 1), votes, byOrder: fc.record({ chosenFirst: votes, chosenSecond: votes }, { requiredKeys: [] }), tokens: fc.array(fc.nat(100000), { maxLength: 16 }) });
    const record = fc.record({ subset: fc.oneof(fc.constantFrom(...SUBSETS), fc.string({ maxLength: 8 })), format: fc.constantFrom("pair", "best-of-n"), score: fc.constantFrom(0, 0.5, 1), comparisons: fc.array(comparison, { minLength: 1, maxLength: 3 }), judgments: fc.nat(64), invalidVotes: fc.nat(64) });
    fc.assert(fc.property(fc.array(fc.oneof({ weight: 5, arbitrary: record }, { weight: 1, arbitrary: fc.record({ error: fc.string() }) }), { maxLength: 30 }), fc.option(fc.nat(1e7), { nil: undefined }), (records, ms) => {
      const s = summarize(records as (EvalItemRecord | { error: string })[], ms);
      for (const x of [s.allItems.accuracy, s.allItems.interval.low, s.allItems.interval.high, ...s.subsets.map((u) => u.accuracy)]) {
        if (!(x >= 0 && x <= 1)) throw new Error(`a score outside 0..1: ${x}`);
      }
      summaryMarkdown(s, "model");
    }), params(Math.max(1, Math.floor(numRuns / 4)), seed));
  },
};

// --- OpenRLHF -------------------------------------------------------------------------------
const TEMPLATE_WORDS = ["<|im_start|>", "<|im_end|>", "assistant", "user", "system", "\n", "<|im_start|>assistant\n", "<|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>", "<｜Assistant｜>", "<｜User｜>", "[INST]", "[/INST]", "<start_of_turn>model\n", "<end_of_turn>", "</s>", "<s>", "<think>", "</think>", " "];
const MARKERS = ["<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|eot_id|>", "<|end_of_text|>", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>", "<s>", "</s>", "[INST]", "[/INST]", "<end_of_turn>", "<bos>", "<eos>"];

const openrlhf: FuzzTarget = {
  name: "openrlhf",
  about: "splitQuery / stripChatTemplate on any templated text: never throw, no template marker left; /get_reward on any JSON body: 200 or a 4xx, never a 5xx",
  async run(numRuns, seed) {
    fc.assert(fc.property(textOf(TEMPLATE_WORDS, 30), textOf(TEMPLATE_WORDS, 10), fc.boolean(), (query, tail, prefixed) => {
      const prompt = prefixed ? query : undefined;
      const { question, response } = splitQuery(prefixed ? query + tail : query, prompt);
      for (const t of [question, response]) {
        if (typeof t !== "string") throw new Error("not a string");
        if (MARKERS.some((m) => t.includes(m))) throw new Error(`a marker survived in ${JSON.stringify(t)}`);
        if (t !== t.trim() || /\n{3,}/.test(t)) throw new Error("not trimmed and collapsed");
      }
      if (prefixed && response !== stripChatTemplate(tail)) throw new Error("the response is not the text after the prompt");
    }), params(numRuns, seed));
    // The route: schema-valid and invalid bodies through fastify with a scripted judge.
    const server = createJudgeServer({ defaults: {}, maxQueue: 1 << 16, bodyLimit: 1 << 20, requestTimeoutMs: 0, rewardGroups: { size: 2, waitMs: 1, mode: "baseline" }, log: () => {} });
    server.setJudge(new ScriptedJudge() as never);
    const text = textOf(TEMPLATE_WORDS, 8);
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.record({ query: fc.array(text, { minLength: 1, maxLength: 4 }), prompts: fc.array(text, { maxLength: 4 }), labels: fc.array(fc.option(text, { nil: null }), { maxLength: 4 }), extra: fc.jsonValue() }, { requiredKeys: ["query"] }) },
      { weight: 1, arbitrary: fc.jsonValue() },
    );
    await fc.assert(fc.asyncProperty(body, async (b) => {
      const r = await server.app.inject({ method: "POST", url: "/get_reward", headers: { "content-type": "application/json" }, payload: JSON.stringify(b) ?? "null" });
      if (r.statusCode >= 500 || (r.statusCode !== 200 && r.statusCode !== 400)) throw new Error(`status ${r.statusCode}: ${r.body}`);
      if (r.statusCode === 200) {
        const out = r.json();
        const n = (b as { query: unknown[] }).query.length;
        if (out.rewards.length !== n || out.scores.length !== n || out.rewards.some((x: number) => !(x >= 0 && x <= 1))) throw new Error(`bad reply for ${n} queries: ${r.body}`);
      }
    }), params(Math.max(1, Math.floor(numRuns / 4)), seed));
    await server.app.close();
  },
};

// --- GGUF -----------------------------------------------------------------------------------
/** A small valid model header (qwen2, 8 tokens, one layer): mutations of it reach every check. */
function smallModel(): Buffer {
  const path = join(dir, "small.gguf");
  const kv = [
    { key: "general.architecture", type: ValueType.STRING, value: "qwen2" },
    { key: "general.alignment", type: ValueType.UINT32, value: 32 },
    { key: "qwen2.embedding_length", type: ValueType.UINT32, value: 32 },
    { key: "qwen2.block_count", type: ValueType.UINT32, value: 1 },
    { key: "qwen2.attention.head_count", type: ValueType.UINT32, value: 4 },
    { key: "qwen2.attention.head_count_kv", type: ValueType.UINT32, value: 2 },
    { key: "qwen2.context_length", type: ValueType.UINT64, value: 4096n },
    { key: "tokenizer.ggml.tokens", type: ValueType.ARRAY, value: { type: ValueType.STRING, items: ["a", "b", "c", "d", "e", "f", "g", "h"] } },
    { key: "tokenizer.ggml.token_type", type: ValueType.ARRAY, value: { type: ValueType.INT32, items: [1, 1, 1, 1, 1, 1, 3, 3] } },
    { key: "tokenizer.ggml.bos_token_id", type: ValueType.UINT32, value: 6 },
    { key: "general.flag", type: ValueType.BOOL, value: true },
    { key: "general.scale", type: ValueType.FLOAT64, value: 0.5 },
  ];
  const zero = (out: Buffer) => void out.fill(0);
  writeGguf(path, kv, [
    { name: "token_embd.weight", dims: [32, 8], type: GgmlType.F16, fill: zero },
    { name: "blk.0.attn_q.weight", dims: [32, 32], type: GgmlType.Q8_0, fill: zero },
    { name: "output_norm.weight", dims: [32], type: GgmlType.F32, fill: zero },
  ]);
  return readFileSync(path);
}

const INTERESTING_U64 = [0n, 1n, 2n, 31n, 32n, 33n, 0x7fffffffn, 0xffffffffn, 1n << 32n, 1n << 40n, 1n << 62n, 0xffffffffffffffffn];
const mutation = (size: number) => fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(size - 1), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("byte" as const), at: fc.nat(size - 1), value: fc.nat(255) }),
  fc.record({ kind: fc.constant("u64" as const), at: fc.nat(size - 8), value: fc.constantFrom(...INTERESTING_U64) }),
  fc.record({ kind: fc.constant("u32" as const), at: fc.nat(size - 4), value: fc.constantFrom(0, 1, 4, 8, 9, 12, 13, 64, 0xffffffff) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat(size) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(size), bytes: fc.uint8Array({ maxLength: 16 }) }),
);
type Mutation = { kind: "flip"; at: number; bit: number } | { kind: "byte"; at: number; value: number } | { kind: "u64"; at: number; value: bigint } | { kind: "u32"; at: number; value: number } | { kind: "cut"; at: number } | { kind: "insert"; at: number; bytes: Uint8Array };

function mutate(src: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(src);
  for (const m of ms) {
    if (m.kind === "cut") b = b.subarray(0, Math.min(m.at, b.length));
    else if (m.kind === "insert") b = Buffer.concat([b.subarray(0, m.at), Buffer.from(m.bytes), b.subarray(m.at)]);
    else if (m.at >= b.length - 8) continue;
    else if (m.kind === "flip") b[m.at] ^= 1 << m.bit;
    else if (m.kind === "byte") b[m.at] = m.value;
    else if (m.kind === "u64") b.writeBigUInt64LE(m.value, m.at);
    else b.writeUInt32LE(m.value, m.at);
  }
  return b;
}

/** Reads and validates: only GgufError may come out; a header that passes keeps its own bounds. */
function checkGguf(path: string, bytes: Buffer) {
  writeFileSync(path, bytes);
  for (const read of [readGgufHeader, validateModelFile]) {
    try {
      const h = read(path);
      for (const t of h.tensors) if (BigInt(h.dataOffset) + t.offset + t.size > BigInt(bytes.length)) throw new Error(`tensor ${t.name} passes the end of the file`);
    } catch (e) {
      if (!(e instanceof GgufError)) throw new Error(`undocumented error from ${read.name}: ${(e as Error)?.stack ?? e}`);
      if (!/^Invalid GGUF file .*\(at byte \d+\)$/s.test(e.message)) throw new Error(`message without its byte: ${e.message}`);
    }
  }
}

const gguf: FuzzTarget = {
  name: "gguf",
  about: "readGgufHeader / validateModelFile on mutated valid headers (bit flips, bytes, u32/u64 fields set to edge values, cuts, insertions) and on random bytes: only GgufError",
  async run(numRuns, seed) {
    const src = smallModel();
    const path = join(dir, "mutant.gguf");
    checkGguf(path, src); // the unmutated file is valid
    validateModelFile(path);
    fc.assert(fc.property(fc.array(mutation(src.length), { minLength: 1, maxLength: 4 }), (ms) => checkGguf(path, mutate(src, ms as Mutation[]))), params(numRuns, seed));
    const magic = Buffer.from([0x47, 0x47, 0x55, 0x46]);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), fc.boolean(), (bytes, withMagic) =>
      checkGguf(path, withMagic ? Buffer.concat([magic, Buffer.from([3, 0, 0, 0]), Buffer.from(bytes)]) : Buffer.from(bytes))), params(Math.max(1, Math.floor(numRuns / 4)), seed));
  },
};

// --- verdict ----------------------------------------------------------------------------------
const VERDICT_WORDS = ["</think>", "<think>", "\\boxed{", "}", "{", "Assistant 1", "Assistant 2", "Assistant ", "1", "2", " ", "\n", "\\boxed", "boxed{"];

const verdict: FuzzTarget = {
  name: "verdict",
  about: "parseVerdict on any text: a verdict exactly when the last box after the first </think> holds 'Assistant 1' or 'Assistant 2', else one of the invalid reasons",
  async run(numRuns, seed) {
    const reasons = new Set(["no-think-end", "no-box", "unbalanced", "other-text", "length-limit"]);
    fc.assert(fc.property(textOf(VERDICT_WORDS, 30), fc.boolean(), fc.boolean(), (text, trim, truncated) => {
      const v = parseVerdict(text, { trim, truncated });
      if (v.verdict === null) {
        if (!reasons.has(v.reason)) throw new Error(`unknown reason ${v.reason}`);
        if (truncated && v.reason !== "length-limit") throw new Error("a truncated sample's reason is not length-limit");
        return;
      }
      const answer = text.slice(text.indexOf("</think>") + 8);
      if (!answer.includes("\\boxed{")) throw new Error("a verdict without a box");
      const after = answer.slice(answer.lastIndexOf("\\boxed{") + 7);
      if (!(trim ? after.trimStart() : after).startsWith(`Assistant ${v.verdict}`)) throw new Error(`verdict ${v.verdict} from ${JSON.stringify(text)}`);
    }), params(numRuns, seed));
    // Any well-formed answer is read as itself, whatever reasoning comes before it.
    const noBox = textOf(VERDICT_WORDS.filter((w) => !w.includes("boxed")), 12).filter((t) => !t.includes("\\boxed{"));
    const reasoning = textOf(VERDICT_WORDS.filter((w) => w !== "</think>"), 20).filter((t) => !t.includes("</think>"));
    fc.assert(fc.property(reasoning, noBox, fc.constantFrom(1, 2), noBox, (before, middle, n, after) => {
      const v = parseVerdict(`${before}</think>${middle}\\boxed{Assistant ${n}}${after}`);
      if (v.verdict !== n) throw new Error(`expected ${n}, got ${JSON.stringify(v)}`);
    }), params(numRuns, seed));
  },
};

export const TARGETS: FuzzTarget[] = [jsonlLines, jsonlResume, evalItems, openrlhf, gguf, verdict];
