// Step 1 of training the judge (scripts/train-judge.mjs): the vocabulary subset, the initial
// F32 model and the training and evaluation sequences.
//   1. Tokenize a corpus of judgments (prompts through the RRM prompter, targets, the forced
//      verdict text) with the full RRM test vocabulary (Qwen2's BPE, R1's special tokens).
//   2. Write the initial model: the judge's shape, random F32 weights, the vocabulary cut to those
//      tokens and the merges that reach them (lib/testmodel/vocab-subset.ts).
//   3. Check that the subset tokenizes held-back corpus text exactly as the full vocabulary does.
//   4. Write the sequences (lib/train/dataset.ts), tokenized by the subset model itself.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadModel, type Model } from "../model.js";
import { makeTestModel } from "../testmodel/make-model.js";
import type { ModelShape } from "../testmodel/shapes.js";
import { SeededRandom } from "../random.js";
import { KINDS, type CheckStyle } from "./arithmetic.js";
import { drawKind, drawSplitItem, packWindows, SequenceBuilder, writeRrmt, type Sequence } from "./dataset.js";

/**
 * The judge's shape: Qwen2-tiny's attention and widths, untied embeddings (llama.cpp's optimizer
 * does not train tok_embd, so a tied output layer would stay random: llama_context::opt_init).
 */
export const JUDGE_SHAPE: ModelShape = { embedding: 256, layers: 4, heads: 4, kvHeads: 2, feedForward: 768, tiedEmbeddings: false };
export const JUDGE_NAME = "rrm-engine arithmetic judge (qwen2, trained; knows arithmetic judging only)";

export interface PrepareOptions {
  dir: string;
  seed: number;
  /** Training sequences. */
  count: number;
  evalCount: number;
  /** Share of sequences whose reasoning is cut by a thinking budget. */
  budgetShare: number;
  /** Judgments packed without their system prompt (packWindows), read before `count` whole ones. */
  packed?: number;
  shape?: ModelShape;
  /** How the reasoning checks the answers (arithmetic.ts CheckStyle); "digits" unless given. */
  check?: CheckStyle;
  /**
   * An initial model already written (a later phase's data, for a model being fine-tuned): its
   * vocabulary tokenizes the data, and no new initial model is written.
   */
  init?: string;
}

function corpusIds(full: Model, seed: number, check: CheckStyle): Set<number> {
  const b = new SequenceBuilder(full, check);
  const r = new SeededRandom(seed);
  const ids = new Set<number>();
  for (let i = 0; i < 3000; i++) {
    const kind = KINDS[i % KINDS.length];
    for (const t of b.build(drawSplitItem(r, kind, i % 2 === 0, check), r.coin(), i % 3 === 0 ? 1 + r.int(30) : undefined).tokens) ids.add(t);
  }
  return ids;
}

const pieces = (m: Model, tokens: number[]) => tokens.map((t) => m.detokenize([t], { special: true }));

/** In phase 1's data, a whole judgment after every this many packed windows. */
export const WHOLE_EVERY = 3;

export interface Prepared {
  model: string;
  /** Phase 1's windows (packed judgments, a whole one after every WHOLE_EVERY), and how many; none when `packed` is 0. */
  packed?: string;
  packedWindows: number;
  /** Whole judgments, one a window (phase 2), and the evaluation's. */
  train: string;
  eval: string;
  nCtx: number;
  vocab: number;
}

export async function prepare(o: PrepareOptions): Promise<Prepared> {
  mkdirSync(o.dir, { recursive: true });
  const full = await loadModel(makeTestModel({ vocabulary: "rrm" }));
  const check = o.check ?? "digits";
  let init = o.init;
  if (!init) {
    init = join(o.dir, "init-f32.gguf");
    makeTestModel({ vocabulary: "rrm", type: "f32", shape: o.shape ?? JUDGE_SHAPE, path: init, keepTokens: corpusIds(full, o.seed ^ 0x5eed, check), name: JUDGE_NAME, seed: o.seed });
  }
  const sub = await loadModel(init);

  // The subset must tokenize fresh corpus text (other draws) exactly as the full vocabulary.
  const bf = new SequenceBuilder(full, check), bs = new SequenceBuilder(sub, check);
  const rc = new SeededRandom(o.seed ^ 0xc4ec);
  for (let i = 0; i < 300; i++) {
    const item = drawSplitItem(rc, KINDS[i % KINDS.length], i % 2 === 1, check);
    const first = rc.coin();
    const a = pieces(full, bf.build(item, first).tokens), s = pieces(sub, bs.build(item, first).tokens);
    if (a.join("\u0001") !== s.join("\u0001")) throw new Error(`the vocabulary subset tokenizes ${JSON.stringify(item.query)} differently from the full vocabulary`);
  }

  const r = new SeededRandom(o.seed);
  const make = (n: number, held: boolean): Sequence[] => {
    const out: Sequence[] = [];
    for (let i = 0; i < n; i++) {
      const item = drawSplitItem(r, drawKind(r), held, check);
      const cut = r.next() < o.budgetShare;
      // Budgets: half of them tiny (the forced verdict alone, or nearly), half anywhere.
      const budget = !cut ? undefined : r.coin() ? 1 + r.int(4) : 1 + r.int(80);
      out.push(bs.build(item, r.coin(), budget));
    }
    return out;
  };
  const packedSeqs = make(o.packed ?? 0, false), train = make(o.count, false), evalSeqs = make(o.evalCount, true);
  const longest = Math.max(...train.map((s) => s.tokens.length), ...evalSeqs.map((s) => s.tokens.length));
  // llama.cpp pads a context to a multiple of 256 tokens, and training needs n_ctx = n_batch.
  const nCtx = Math.ceil(longest / 256) * 256;
  const userStart = bs.prompter.tokens({ query: "What is 1 + 1?", a: "2", b: "3" }).indexOf(sub.tokenize("<｜User｜>", { special: true })[0]);
  const packedOnly = packWindows(packedSeqs, nCtx, userStart, sub.info.bos);
  // A whole judgment after every WHOLE_EVERY packed windows: trained on packed judgments alone,
  // the model learned them (0.38 per token) while its loss on whole ones rose (1.35 -> 1.74): it
  // had never had to look past a system prompt.
  const extra = make(Math.floor(packedOnly.length / WHOLE_EVERY), false);
  const windows = packedOnly.flatMap((w, i) => ((i + 1) % WHOLE_EVERY === 0 ? [w, extra[(i + 1) / WHOLE_EVERY - 1]] : [w]));
  const packedPath = join(o.dir, "packed.rrmt"), trainPath = join(o.dir, "train.rrmt"), evalPath = join(o.dir, "eval.rrmt");
  if (windows.length) writeRrmt(packedPath, nCtx, windows, sub.info.eos);
  writeRrmt(trainPath, nCtx, train, sub.info.eos);
  writeRrmt(evalPath, nCtx, evalSeqs, sub.info.eos);
  const vocab = sub.info.vocabularySize;
  await full.dispose?.();
  await sub.dispose?.();
  return { model: init, packed: windows.length ? packedPath : undefined, packedWindows: windows.length, train: trainPath, eval: evalPath, nCtx, vocab };
}
