// An eval run's summary, computed from its per-item records alone (so a merged or resumed run's
// items give the same summary as one run's).
// - Subset accuracy: mean item score (items.ts), with a 95% Wilson score interval.
// - Section: RewardBench's example-count-weighted mean of its subsets present.
// - Overall: the mean of the sections present (RewardBench's score).
// - RewardBench 2: each subset's mean item score; its score is the unweighted mean of the six
//   subsets, Ties included (rewardbench.ts). Ties' score needs each answer's reward, so here it has
//   its accuracy parts only and there is no RewardBench 2 score: the mean of the other subsets
//   present is shown, named as such.
// - Intervals of weighted means (sections, overall, the RewardBench 2 mean): intervals.ts.
// - Position bias: accuracy of the comparisons' votes shown with the chosen answer first vs second
//   (each order's majority scored 1 / 0.5 / 0); with --swap alternate every comparison has both
//   orders, and agreement is the share whose two orders' majorities pick the same side.
import { comparisonScore, type ComparisonRecord, type EvalItemRecord, type OrderName, type OrderVotes } from "./items.js";
import { EXAMPLE_COUNTS, isRewardBench2Subset, isTiesSubset, PAPER_ROWS, RB2_SUBSETS, SECTIONS, sectionOf, type Section } from "./rewardbench.js";
import { INTERVAL_NOTE, weightedMeanInterval, wilson, type Interval } from "./intervals.js";

export { wilson, type Interval };
export interface SubsetScore { subset: string; benchmark: "RewardBench" | "RewardBench 2" | null; section: Section | null; items: number; accuracy: number; interval: Interval; weight: number | null }

/** Ties, as far as a pairwise judge can score it. */
export interface TiesParts {
  items: number;
  /** Share of "ref" / "tied" prompts whose every correct answer beat every incorrect one. */
  ref: { prompts: number; accuracy: number | null; interval: Interval | null };
  tied: { prompts: number; accuracy: number | null; interval: Interval | null };
  /** Always null here: the margin terms (40% of the score) need rewards. */
  score: null;
  why: string;
}

export interface RewardBench2Summary {
  subsets: string[];
  ties: TiesParts | null;
  /** RewardBench 2's score (the mean of all six subsets): null unless every subset, Ties included, is scored. */
  score: null;
  /** The unweighted mean of the best-of-4 subsets present, with its interval. */
  meanOfScored: { score: number; interval: Interval; subsets: number } | null;
  note: string;
}
export interface SectionScore { section: Section; items: number; subsets: number; score: number; interval: Interval }

export interface EvalSummary {
  items: number;
  failedItems: number;
  subsets: SubsetScore[];
  sections: SectionScore[];
  /** Mean of the sections present (RewardBench's overall score); null when no subset is RewardBench's. */
  overall: { score: number; interval: Interval; sections: number } | null;
  /** RewardBench 2's subsets, when the file has any. */
  rewardBench2: RewardBench2Summary | null;
  /** Unweighted mean item score over every item. */
  allItems: { accuracy: number; interval: Interval };
  positionBias: {
    chosenFirst: { comparisons: number; accuracy: number | null };
    chosenSecond: { comparisons: number; accuracy: number | null };
    /** Comparisons shown in both orders (--swap alternate): how often the orders agree. */
    bothOrders: { comparisons: number; agreement: number | null };
  };
  judgments: number;
  invalidVotes: number;
  invalidRate: number;
  tokens: { mean: number; median: number; p90: number; max: number; histogram: { from: number; to: number; count: number }[] };
  /** Judgments per minute of this invocation's wall clock (null for a merged summary). */
  judgmentsPerMinute: number | null;
  scoring: string;
  paper: typeof PAPER_ROWS;
}

/** The majority of one order's votes. */
function orderSide(v: OrderVotes): "chosen" | "rejected" | null {
  return v.chosen > v.rejected ? "chosen" : v.rejected > v.chosen ? "rejected" : null;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function histogram(values: number[], bins = 12): EvalSummary["tokens"]["histogram"] {
  if (values.length === 0) return [];
  const max = values.reduce((m, x) => Math.max(m, x), 0); // not Math.max(...values): a long run's votes overflow the stack
  const width = Math.max(1, Math.ceil((max + 1) / bins));
  const out = Array.from({ length: bins }, (_, i) => ({ from: i * width, to: (i + 1) * width, count: 0 }));
  for (const v of values) out[Math.min(bins - 1, Math.floor(v / width))].count++;
  return out;
}

export const SCORING_NOTE =
  "item score 1 (chosen wins), 0.5 (tie or no valid verdict, as RewardBench scores generative judges) or 0; " +
  "best-of-n items (RewardBench 2's best-of-4): 0 when chosen lost a comparison, else 1 / (1 + comparisons tied), as RewardBench 2 shares the top among tied answers; " +
  "several correct answers (Ties): 1 when every chosen answer beat every rejected one, else 0; " +
  "RewardBench sections: example-count weights; overall: mean of sections; RewardBench 2: mean of its six subsets (not computed while Ties is unscored); " +
  INTERVAL_NOTE;

const TIES_WHY =
  "RewardBench 2 scores Ties from each answer's reward: 0.30 x tied-prompt accuracy + 0.30 x ref-prompt accuracy + 0.40 in margin terms (correct-incorrect gap against the spread among correct answers); " +
  "a pairwise judge gives verdicts, not rewards, so only the two accuracies are reported and Ties has no score";

export function summarize(records: (EvalItemRecord | { error: string })[], elapsedMs?: number): EvalSummary {
  const items = records.filter((r): r is EvalItemRecord => !("error" in r));
  const bySubset = new Map<string, number[]>();
  for (const r of items) {
    if (isTiesSubset(r.subset)) continue; // scored apart: tiesParts()
    const list = bySubset.get(r.subset) ?? [];
    list.push(r.score);
    bySubset.set(r.subset, list);
  }
  const subsets: SubsetScore[] = [...bySubset].map(([subset, scores]) => {
    const accuracy = scores.reduce((a, b) => a + b, 0) / scores.length;
    const section = sectionOf(subset) ?? null;
    const benchmark = section ? "RewardBench" : isRewardBench2Subset(subset) ? "RewardBench 2" : null;
    return { subset, benchmark, section, items: scores.length, accuracy, interval: wilson(accuracy, scores.length), weight: EXAMPLE_COUNTS[subset] ?? null };
  });
  // RewardBench's order first, then RewardBench 2's, then unknown subsets by name.
  const rank = (s: SubsetScore) => (s.section ? SECTIONS.indexOf(s.section) * 100 + Object.keys(EXAMPLE_COUNTS).indexOf(s.subset) : s.benchmark ? 1e5 + RB2_SUBSETS.indexOf(s.subset as never) : 1e6);
  subsets.sort((a, b) => rank(a) - rank(b) || a.subset.localeCompare(b.subset));

  const tally = (s: SubsetScore) => ({ items: s.items, scoreSum: s.accuracy * s.items });
  const sections: SectionScore[] = [];
  const overallParts: { tally: { items: number; scoreSum: number }; weight: number }[] = [];
  const presentSections = SECTIONS.filter((sec) => subsets.some((s) => s.section === sec));
  for (const section of presentSections) {
    const present = subsets.filter((s) => s.section === section);
    const total = present.reduce((t, s) => t + s.weight!, 0);
    const parts = present.map((s) => ({ tally: tally(s), weight: s.weight! / total }));
    const score = parts.reduce((t, p) => t + p.weight * (p.tally.scoreSum / p.tally.items), 0);
    sections.push({ section, items: present.reduce((t, s) => t + s.items, 0), subsets: present.length, score, interval: weightedMeanInterval(parts) });
    // The overall score weighs each section 1/S and, inside it, each subset by its example count.
    for (const p of parts) overallParts.push({ tally: p.tally, weight: p.weight / presentSections.length });
  }
  const overall = sections.length
    ? { score: sections.reduce((t, s) => t + s.score, 0) / sections.length, interval: weightedMeanInterval(overallParts), sections: sections.length }
    : null;
  const rewardBench2 = rewardBench2Summary(subsets, items);
  const all = items.reduce((t, r) => t + r.score, 0) / Math.max(1, items.length);

  const comparisons: ComparisonRecord[] = items.flatMap((r) => r.comparisons);
  const order = (name: OrderName) => {
    const with_ = comparisons.filter((c) => c.byOrder[name]);
    return { comparisons: with_.length, accuracy: with_.length ? with_.reduce((t, c) => t + comparisonScore(orderSide(c.byOrder[name]!)), 0) / with_.length : null };
  };
  const both = comparisons.filter((c) => c.byOrder.chosenFirst && c.byOrder.chosenSecond);
  const agree = both.filter((c) => {
    const a = orderSide(c.byOrder.chosenFirst!), b = orderSide(c.byOrder.chosenSecond!);
    return a !== null && a === b;
  }).length;

  const tokens = comparisons.flatMap((c) => c.tokens).sort((a, b) => a - b);
  const judgments = items.reduce((t, r) => t + r.judgments, 0);
  const invalidVotes = items.reduce((t, r) => t + r.invalidVotes, 0);
  return {
    items: items.length,
    failedItems: records.length - items.length,
    subsets,
    sections,
    overall,
    rewardBench2,
    allItems: { accuracy: all, interval: wilson(all, items.length) },
    positionBias: { chosenFirst: order("chosenFirst"), chosenSecond: order("chosenSecond"), bothOrders: { comparisons: both.length, agreement: both.length ? agree / both.length : null } },
    judgments,
    invalidVotes,
    invalidRate: judgments ? invalidVotes / judgments : 0,
    tokens: {
      mean: tokens.length ? tokens.reduce((a, b) => a + b, 0) / tokens.length : 0,
      median: quantile(tokens, 0.5),
      p90: quantile(tokens, 0.9),
      max: tokens.length ? tokens[tokens.length - 1] : 0,
      histogram: histogram(tokens),
    },
    judgmentsPerMinute: elapsedMs && elapsedMs > 0 ? judgments / (elapsedMs / 60000) : null,
    scoring: SCORING_NOTE,
    paper: PAPER_ROWS,
  };
}

function rewardBench2Summary(subsets: SubsetScore[], items: EvalItemRecord[]): RewardBench2Summary | null {
  const scored = subsets.filter((s) => s.benchmark === "RewardBench 2");
  const tiesItems = items.filter((r) => isTiesSubset(r.subset));
  if (scored.length === 0 && tiesItems.length === 0) return null;
  const ties = tiesItems.length ? tiesParts(tiesItems) : null;
  const missing = RB2_SUBSETS.filter((x) => x !== "Ties" && !scored.some((s) => s.subset === x));
  const meanOfScored = scored.length
    ? { score: scored.reduce((t, s) => t + s.accuracy, 0) / scored.length, interval: weightedMeanInterval(scored.map((s) => ({ tally: { items: s.items, scoreSum: s.accuracy * s.items }, weight: 1 / scored.length }))), subsets: scored.length }
    : null;
  const note = `it averages all six subsets, and Ties ${ties ? "has no score from a pairwise judge (its margin terms need rewards)" : "is not in this file"}` +
    `${missing.length ? `; not in this file: ${missing.join(", ")}` : ""}; shown instead: the unweighted mean of the ${scored.length} best-of-4 subset(s) present`;
  return { subsets: [...scored.map((s) => s.subset), ...(ties ? ["Ties"] : [])], ties, score: null, meanOfScored, note };
}

/** Ties' accuracy parts: per prompt sample, accurate when every chosen answer won every comparison. */
function tiesParts(items: EvalItemRecord[]): TiesParts {
  const part = (sample: "ref" | "tied") => {
    const mine = items.filter((r) => (r.ties?.sample ?? (r.format === "several-correct" ? "tied" : "ref")) === sample);
    if (mine.length === 0) return { prompts: 0, accuracy: null, interval: null };
    const accuracy = mine.filter((r) => r.comparisons.every((c) => c.winner === "chosen")).length / mine.length;
    return { prompts: mine.length, accuracy, interval: wilson(accuracy, mine.length) };
  };
  return { items: items.length, ref: part("ref"), tied: part("tied"), score: null, why: TIES_WHY };
}

const pct = (x: number) => (100 * x).toFixed(1);
const ci = (i: Interval) => `${pct(i.low)}–${pct(i.high)}`;

/** The summary as markdown tables (printed by rrm eval). */
export function summaryMarkdown(s: EvalSummary, modelName = "this run"): string {
  const out: string[] = [];
  out.push(`### Accuracy by subset (${s.items} items${s.failedItems ? `, ${s.failedItems} failed` : ""})`, "", "| subset | section | items | accuracy % | 95% CI | weight |", "|---|---|---:|---:|---|---:|");
  for (const x of s.subsets) out.push(`| ${x.subset} | ${x.section ?? x.benchmark ?? "(not RewardBench)"} | ${x.items} | ${pct(x.accuracy)} | ${ci(x.interval)} | ${x.weight ?? "–"} |`);
  const t = s.rewardBench2?.ties;
  if (t) out.push(`| Ties | RewardBench 2 | ${t.items} | no score | – | – |`);
  if (s.sections.length) {
    out.push("", "### RewardBench sections", "", `| | ${SECTIONS.join(" | ")} | overall |`, `|---|${SECTIONS.map(() => "---:").join("|")}|---:|`);
    const mine = SECTIONS.map((sec) => {
      const f = s.sections.find((x) => x.section === sec);
      return f ? `${pct(f.score)} (${ci(f.interval)})` : "–";
    });
    out.push(`| ${modelName} | ${mine.join(" | ")} | ${s.overall ? `${pct(s.overall.score)} (${ci(s.overall.interval)})` : "–"} |`);
    for (const p of s.paper) out.push(`| ${p.name} | ${SECTIONS.map((sec) => (p.sections ? p.sections[sec].toFixed(1) : "–")).join(" | ")} | ${p.overall.toFixed(1)} |`);
  }
  if (s.rewardBench2) out.push("", ...rewardBench2Markdown(s.rewardBench2, s.subsets));
  out.push("", `All items, unweighted: ${pct(s.allItems.accuracy)} (${ci(s.allItems.interval)}).`);
  const pb = s.positionBias;
  const acc = (a: number | null) => (a === null ? "–" : pct(a));
  out.push("", "### Position bias", "", "| chosen shown | comparisons | accuracy % |", "|---|---:|---:|",
    `| first | ${pb.chosenFirst.comparisons} | ${acc(pb.chosenFirst.accuracy)} |`, `| second | ${pb.chosenSecond.comparisons} | ${acc(pb.chosenSecond.accuracy)} |`);
  out.push("", pb.bothOrders.comparisons ? `Both orders agree on ${acc(pb.bothOrders.agreement)}% of ${pb.bothOrders.comparisons} comparisons shown both ways.` : "Agreement between orders: run with --swap alternate (each comparison shown both ways).");
  out.push("", `Judgments ${s.judgments}, invalid ${s.invalidVotes} (${pct(s.invalidRate)}%); tokens per judgment: mean ${s.tokens.mean.toFixed(0)}, median ${s.tokens.median}, p90 ${s.tokens.p90}, max ${s.tokens.max}` +
    `${s.judgmentsPerMinute !== null ? `; ${s.judgmentsPerMinute.toFixed(1)} judgments/min` : ""}.`, "", `Scoring: ${s.scoring}.`);
  return out.join("\n");
}

function rewardBench2Markdown(r: RewardBench2Summary, subsets: SubsetScore[]): string[] {
  const cell = (name: string) => {
    if (name === "Ties") return r.ties ? "no score" : "–";
    const x = subsets.find((s) => s.subset === name);
    return x ? `${pct(x.accuracy)} (${ci(x.interval)})` : "–";
  };
  const out = ["### RewardBench 2", "", `| ${RB2_SUBSETS.join(" | ")} | RewardBench 2 score |`, `|${RB2_SUBSETS.map(() => "---:").join("|")}|---:|`,
    `| ${RB2_SUBSETS.map(cell).join(" | ")} | not computed |`, ""];
  if (r.meanOfScored) out.push(`Mean of the ${r.meanOfScored.subsets} best-of-4 subset(s) present (not RewardBench 2's score): ${pct(r.meanOfScored.score)} (${ci(r.meanOfScored.interval)}).`);
  const t = r.ties;
  if (t) {
    const part = (name: string, p: TiesParts["ref"]) => `${name} prompts ${p.accuracy === null ? "none" : `${pct(p.accuracy)}% of ${p.prompts} (${ci(p.interval!)})`}`;
    out.push(`Ties, accuracy parts only: ${part("ref", t.ref)}, ${part("tied", t.tied)}. ${t.why}.`);
  }
  out.push(`No RewardBench 2 score: ${r.note}.`);
  return out;
}
