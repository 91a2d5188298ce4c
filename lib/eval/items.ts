// Labelled items for `rrm eval`, and judging one.
// - RewardBench: {"id", "prompt", "chosen": "...", "rejected": "...", "subset"}: one comparison.
// - RewardBench 2 best-of-4: "chosen" and "rejected" are lists. Run pairwise: the (first) chosen
//   answer against every rejected one; the item is correct when it beats all of them. Each
//   comparison scores 1 (chosen wins), 0.5 (tie or no valid verdict) or 0 (rejected wins), and the
//   item scores the lowest of its comparisons: 1 when chosen won every one, 0 when it lost any,
//   0.5 otherwise. An invalid or tied verdict scoring 0.5 is how RewardBench scores generative judges.
import type { CompareOptions, CompareResult, PairJudge } from "../rrm/types.js";

export interface EvalItem {
  id?: string | number;
  prompt: string;
  chosen: string[];
  rejected: string[];
  subset: string;
  format: "pair" | "best-of-n";
}

export type OrderName = "chosenFirst" | "chosenSecond";
/** `ties` only for judges whose rule has a tie (lib/judges); a tie scores 0.5 like no winner. */
export interface OrderVotes { chosen: number; rejected: number; invalid: number; ties?: number }

export interface ComparisonRecord {
  rejected: number;
  winner: "chosen" | "rejected" | null;
  score: number;
  votes: OrderVotes;
  /** Votes by the order shown: chosen as Assistant 1, or as Assistant 2. */
  byOrder: Partial<Record<OrderName, OrderVotes>>;
  /** Generated tokens (reasoning + verdict) of each vote. */
  tokens: number[];
}

export interface EvalItemRecord {
  id?: string | number;
  subset: string;
  format: EvalItem["format"];
  score: number;
  comparisons: ComparisonRecord[];
  judgments: number;
  invalidVotes: number;
}

const isStr = (v: unknown): v is string => typeof v === "string";

/** One input line as an item, or an error that names the line and the field. */
export function parseEvalItem(value: unknown, line: number): EvalItem {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`line ${line}: expected a JSON object with "prompt", "chosen", "rejected" and "subset"`);
  const o = value as Record<string, unknown>;
  if (!isStr(o.prompt)) throw new Error(`line ${line}: "prompt" must be a string`);
  const list = (name: "chosen" | "rejected"): string[] => {
    const v = o[name];
    if (isStr(v)) return [v];
    if (Array.isArray(v) && v.length > 0 && v.every(isStr)) return v;
    throw new Error(`line ${line}: "${name}" must be a string or a non-empty array of strings`);
  };
  const chosen = list("chosen");
  const rejected = list("rejected");
  if (o.subset !== undefined && !isStr(o.subset)) throw new Error(`line ${line}: "subset" must be a string`);
  if (o.id !== undefined && !isStr(o.id) && typeof o.id !== "number") throw new Error(`line ${line}: "id" must be a string or a number`);
  const format = Array.isArray(o.chosen) || Array.isArray(o.rejected) ? "best-of-n" : "pair";
  return { id: o.id as string | number | undefined, prompt: o.prompt, chosen, rejected, subset: (o.subset as string | undefined) ?? "(none)", format };
}

export const comparisonScore = (winner: ComparisonRecord["winner"]) => (winner === "chosen" ? 1 : winner === "rejected" ? 0 : 0.5);

function toRecord(res: CompareResult, rejected: number): ComparisonRecord {
  const byOrder: Partial<Record<OrderName, OrderVotes>> = {};
  for (const s of res.samples) {
    if (s.invalidReason === "cancelled") continue;
    // "a" is the chosen answer; swapped means "b" (rejected) was shown as Assistant 1.
    const o = (byOrder[s.swapped ? "chosenSecond" : "chosenFirst"] ??= { chosen: 0, rejected: 0, invalid: 0 });
    if (s.verdict === "a") o.chosen++;
    else if (s.verdict === "b") o.rejected++;
    else if (s.verdict === "tie") o.ties = (o.ties ?? 0) + 1;
    else o.invalid++;
  }
  const winner = res.winner === "a" ? "chosen" : res.winner === "b" ? "rejected" : null;
  return {
    rejected,
    winner,
    score: comparisonScore(winner),
    votes: { chosen: res.votes.a, rejected: res.votes.b, invalid: res.votes.invalid, ...(res.votes.ties !== undefined ? { ties: res.votes.ties } : {}) },
    byOrder,
    tokens: res.samples.filter((s) => s.invalidReason !== "cancelled").map((s) => s.tokens),
  };
}

/** Judges one item: every comparison at once (the engine batches them), the item's score. */
export async function evaluateItem(judge: PairJudge, item: EvalItem, options: CompareOptions): Promise<EvalItemRecord> {
  const chosen = item.chosen[0];
  const results = await Promise.all(item.rejected.map((r, k) =>
    judge.compare({ query: item.prompt, a: chosen, b: r }, { ...options, seed: options.seed === undefined ? undefined : (options.seed + k * 0x632be5ab) >>> 0, tieBreak: "none" })));
  const comparisons = results.map((r, k) => toRecord(r, k));
  return {
    ...(item.id !== undefined ? { id: item.id } : {}),
    subset: item.subset,
    format: item.format,
    score: Math.min(...comparisons.map((c) => c.score)),
    comparisons,
    judgments: comparisons.reduce((s, c) => s + c.votes.chosen + c.votes.rejected + (c.votes.ties ?? 0) + c.votes.invalid, 0),
    invalidVotes: comparisons.reduce((s, c) => s + c.votes.invalid, 0),
  };
}
