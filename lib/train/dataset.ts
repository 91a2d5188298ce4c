// Training sequences for the arithmetic judge: the prompt exactly as createJudge(engine).compare()
// renders it (the library's own RRM prompter, so training and use can never drift apart), then
// the target the model learns, with loss only on the target. Written as an RRMT file that
// native/train/train_judge.cpp reads: "RRMT", u32 n_ctx, u32 count, then per sequence n_ctx
// int32 tokens and n_ctx int32 labels (-1: no loss).
import { closeSync, openSync, writeSync } from "node:fs";
import type { Model } from "../model.js";
import { PresetPrompter } from "../judges/prompter.js";
import { rrm } from "../judges/rrm.js";
import { SeededRandom } from "../random.js";
import { drawItem, heldOut, reasoning, verdictText, type CheckStyle, type JudgingItem, type Kind } from "./arithmetic.js";

/** Training mix: 2-digit problems weigh most (the target is >= 90% on them). */
export const TRAIN_MIX: [Kind, number][] = [["add2", 0.3], ["sub2", 0.3], ["add3", 0.12], ["sub3", 0.12], ["mul2", 0.08], ["mul3", 0.08]];

export function drawKind(r: SeededRandom, mix = TRAIN_MIX): Kind {
  let u = r.next();
  for (const [k, w] of mix) if ((u -= w) < 0) return k;
  return mix[mix.length - 1][0];
}

/** A problem of `kind` from the training (or the held-out) side of the split. */
export function drawSplitItem(r: SeededRandom, kind: Kind, held: boolean, check: CheckStyle = "digits"): JudgingItem {
  for (;;) {
    const item = drawItem(r, kind, check);
    if (heldOut(item.problem) === held) return item;
  }
}

export interface Sequence {
  tokens: number[];
  /** Per token: does predicting it carry loss (the target's tokens). */
  loss: boolean[];
  /** Per token: is it the judge's forced text (never written by the model: never any loss). */
  forced: boolean[];
}

export class SequenceBuilder {
  readonly prompter: PresetPrompter;
  readonly #model: Model;
  readonly #forced: number[];
  readonly #check: CheckStyle;
  constructor(model: Model, check: CheckStyle = "digits") {
    this.#model = model;
    this.#check = check;
    this.prompter = new PresetPrompter(model, rrm);
    this.#forced = model.tokenize(rrm.forced!.text, { special: true });
  }

  /**
   * One judgment of `item`, the right answer shown first or second. With `budget`, the reasoning
   * stops after that many tokens and the judge's forced text follows (no loss on it: the engine
   * appends it, the model never writes it), then the verdict: what a thinking budget reads.
   */
  build(item: JudgingItem, rightFirst: boolean, budget?: number): Sequence {
    const shown: [string, string] = rightFirst ? [item.right, item.wrong] : [item.wrong, item.right];
    const values: [number, number] = rightFirst ? [item.rightValue, item.wrongValue] : [item.wrongValue, item.rightValue];
    const verdict = rightFirst ? 1 : 2;
    const prompt = this.prompter.tokens({ query: item.query, a: shown[0], b: shown[1] });
    const think = this.#model.tokenize(reasoning(item.problem, values, this.#check));
    const eos = this.#model.info.eos;
    const tokens = [...prompt];
    // No loss on the prompt (the trainer still trains its constant prefix: see its masking note).
    const loss = prompt.map(() => false);
    const forced = prompt.map(() => false);
    const push = (ts: number[], l: boolean) => { for (const t of ts) { tokens.push(t); loss.push(l); forced.push(false); } };
    if (budget === undefined || budget >= think.length) {
      push(think, true);
      push(this.#model.tokenize(verdictText(verdict), { special: true }), true);
    } else {
      push(think.slice(0, budget), true);
      push(this.#forced, false);
      forced.fill(true, forced.length - this.#forced.length);
      push(this.#model.tokenize(`${verdict}}`), true);
    }
    push([eos], true);
    // loss[i] says whether token i is predicted with loss, i.e. row i - 1's label.
    return { tokens, loss, forced };
  }
}

/**
 * Packs judgments into training windows of nCtx tokens without their system prompt: as many as
 * fit, each as BOS and its user turn on (`userStart`: where the user turn begins). The system
 * prompt is 314 of a judgment's 449 tokens and the same every time: a window of whole judgments
 * spends 70% of its work on tokens without loss, so most of the training reads windows like these
 * (3 judgments in 512 tokens) and a last phase reads whole judgments, one a window, as the judge
 * sees them in use. The trainer starts a sequence at each BOS (llama_opt_params::split_at_bos,
 * patches/0020): a judgment sees nothing of the others and starts at position 0, as if alone.
 */
export function packWindows(seqs: Sequence[], nCtx: number, userStart: number, bos: number): Sequence[] {
  const out: Sequence[] = [];
  let cur: Sequence | undefined;
  for (const s of seqs) {
    const n = 1 + s.tokens.length - userStart;
    if (n > nCtx) throw new RangeError(`a judgment's user turn of ${n - 1} tokens does not fit a window of ${nCtx}`);
    if (!cur || cur.tokens.length + n > nCtx) {
      cur = { tokens: [], loss: [], forced: [] };
      out.push(cur);
    }
    cur.tokens.push(bos, ...s.tokens.slice(userStart));
    // no loss on BOS nor on the user turn's first token (the prompt)
    cur.loss.push(false, false, ...s.loss.slice(userStart + 1));
    cur.forced.push(false, ...s.forced.slice(userStart));
  }
  return out;
}

/** Writes sequences padded to nCtx (pads: EOS, no loss). Labels are the next tokens. */
export function writeRrmt(path: string, nCtx: number, seqs: Sequence[], pad: number) {
  const fd = openSync(path, "w");
  const head = Buffer.alloc(12);
  head.write("RRMT", 0, "latin1");
  head.writeUInt32LE(nCtx, 4);
  head.writeUInt32LE(seqs.length, 8);
  writeSync(fd, head);
  for (const s of seqs) {
    if (s.tokens.length > nCtx) throw new RangeError(`a sequence of ${s.tokens.length} tokens does not fit n_ctx ${nCtx}`);
    const buf = Buffer.alloc(nCtx * 8);
    for (let p = 0; p < nCtx; p++) {
      buf.writeInt32LE(s.tokens[p] ?? pad, p * 4);
      const label = p + 1 < s.tokens.length && s.loss[p + 1] ? s.tokens[p + 1] : -1;
      buf.writeInt32LE(label, (nCtx + p) * 4);
    }
    writeSync(fd, buf);
  }
  closeSync(fd);
}
