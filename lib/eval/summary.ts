// An eval run's summary, computed from its per-item records alone (so a merged or resumed run's
// items give the same summary as one run's).
// - Subset accuracy: mean item score (1 / 0.5 / 0), with a 95% Wilson score interval.
// - Section: RewardBench's example-count-weighted mean of its subsets present; its interval is
//   the normal approximation with variance sum(w_i^2 p_i (1 - p_i) / n_i), w_i the normalized weights.
// - Overall: the mean of the sections present (RewardBench's score), variance sum(var_s) / S^2.
// - Position bias: accuracy of the comparisons' votes shown with the chosen answer first vs second
//   (each order's majority scored 1 / 0.5 / 0); with --swap alternate every comparison has both
//   orders, and agreement is the share whose two orders' majorities pick the same side.
import { comparisonScore, type ComparisonRecord, type EvalItemRecord, type OrderName, type OrderVotes } from "./items.js";
import { EXAMPLE_COUNTS, PAPER_ROWS, SECTIONS, sectionOf, type Section } from "./rewardbench.js";

export interface Interval { low: number; high: number }
export interface SubsetScore { subset: string; section: Section | null; items: number; accuracy: number; interval: Interval; weight: number | null }
export interface SectionScore { section: Section; items: number; subsets: number; score: number; interval: Interval }

export interface EvalSummary {
  items: number;
  failedItems: number;
  subsets: SubsetScore[];
  sections: SectionScore[];
  /** Mean of the sections present (RewardBench's overall score); null when no subset is RewardBench's. */
  overall: { score: number; interval: Interval; sections: number } | null;
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

const Z = 1.959963984540054;

/** Wilson score interval for a mean of n scores in [0, 1] (fractional successes allowed). */
export function wilson(p: number, n: number): Interval {
  if (n === 0) return { low: 0, high: 1 };
  const z2 = Z * Z;
  const center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

function normal(mean: number, variance: number): Interval {
  const half = Z * Math.sqrt(variance);
  return { low: Math.max(0, mean - half), high: Math.min(1, mean + half) };
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
  "best-of-n items: the lowest score of chosen vs each rejected; sections: RewardBench's example-count weights; overall: mean of sections; 95% intervals (Wilson for subsets, normal approximation for sections and overall)";

export function summarize(records: (EvalItemRecord | { error: string })[], elapsedMs?: number): EvalSummary {
  const items = records.filter((r): r is EvalItemRecord => !("error" in r));
  const bySubset = new Map<string, number[]>();
  for (const r of items) {
    const list = bySubset.get(r.subset) ?? [];
    list.push(r.score);
    bySubset.set(r.subset, list);
  }
  const subsets: SubsetScore[] = [...bySubset].map(([subset, scores]) => {
    const accuracy = scores.reduce((a, b) => a + b, 0) / scores.length;
    return { subset, section: sectionOf(subset) ?? null, items: scores.length, accuracy, interval: wilson(accuracy, scores.length), weight: EXAMPLE_COUNTS[subset] ?? null };
  });
  // RewardBench's order first, then unknown subsets by name.
  const rank = (s: SubsetScore) => (s.section ? SECTIONS.indexOf(s.section) * 100 + Object.keys(EXAMPLE_COUNTS).indexOf(s.subset) : 1e6);
  subsets.sort((a, b) => rank(a) - rank(b) || a.subset.localeCompare(b.subset));

  const sections: SectionScore[] = [];
  const sectionVar: number[] = [];
  for (const section of SECTIONS) {
    const present = subsets.filter((s) => s.section === section);
    if (present.length === 0) continue;
    const total = present.reduce((t, s) => t + s.weight!, 0);
    const score = present.reduce((t, s) => t + (s.weight! / total) * s.accuracy, 0);
    const variance = present.reduce((t, s) => t + (s.weight! / total) ** 2 * (s.accuracy * (1 - s.accuracy)) / s.items, 0);
    sections.push({ section, items: present.reduce((t, s) => t + s.items, 0), subsets: present.length, score, interval: normal(score, variance) });
    sectionVar.push(variance);
  }
  const overall = sections.length
    ? (() => {
        const score = sections.reduce((t, s) => t + s.score, 0) / sections.length;
        return { score, interval: normal(score, sectionVar.reduce((a, b) => a + b, 0) / sections.length ** 2), sections: sections.length };
      })()
    : null;
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

const pct = (x: number) => (100 * x).toFixed(1);
const ci = (i: Interval) => `${pct(i.low)}–${pct(i.high)}`;

/** The summary as markdown tables (printed by rrm eval). */
export function summaryMarkdown(s: EvalSummary, modelName = "this run"): string {
  const out: string[] = [];
  out.push(`### Accuracy by subset (${s.items} items${s.failedItems ? `, ${s.failedItems} failed` : ""})`, "", "| subset | section | items | accuracy % | 95% CI | weight |", "|---|---|---:|---:|---|---:|");
  for (const x of s.subsets) out.push(`| ${x.subset} | ${x.section ?? "(not RewardBench)"} | ${x.items} | ${pct(x.accuracy)} | ${ci(x.interval)} | ${x.weight ?? "–"} |`);
  out.push("", "### RewardBench sections", "", `| | ${SECTIONS.join(" | ")} | overall |`, `|---|${SECTIONS.map(() => "---:").join("|")}|---:|`);
  const mine = SECTIONS.map((sec) => {
    const f = s.sections.find((x) => x.section === sec);
    return f ? `${pct(f.score)} (${ci(f.interval)})` : "–";
  });
  out.push(`| ${modelName} | ${mine.join(" | ")} | ${s.overall ? `${pct(s.overall.score)} (${ci(s.overall.interval)})` : "–"} |`);
  for (const p of s.paper) out.push(`| ${p.name} | ${SECTIONS.map((sec) => (p.sections ? p.sections[sec].toFixed(1) : "–")).join(" | ")} | ${p.overall.toFixed(1)} |`);
  out.push(`| all items, unweighted | ${SECTIONS.map(() => "").join(" | ")} | ${pct(s.allItems.accuracy)} (${ci(s.allItems.interval)}) |`);
  const pb = s.positionBias;
  const acc = (a: number | null) => (a === null ? "–" : pct(a));
  out.push("", "### Position bias", "", "| chosen shown | comparisons | accuracy % |", "|---|---:|---:|",
    `| first | ${pb.chosenFirst.comparisons} | ${acc(pb.chosenFirst.accuracy)} |`, `| second | ${pb.chosenSecond.comparisons} | ${acc(pb.chosenSecond.accuracy)} |`);
  out.push("", pb.bothOrders.comparisons ? `Both orders agree on ${acc(pb.bothOrders.agreement)}% of ${pb.bothOrders.comparisons} comparisons shown both ways.` : "Agreement between orders: run with --swap alternate (each comparison shown both ways).");
  out.push("", `Judgments ${s.judgments}, invalid ${s.invalidVotes} (${pct(s.invalidRate)}%); tokens per judgment: mean ${s.tokens.mean.toFixed(0)}, median ${s.tokens.median}, p90 ${s.tokens.p90}, max ${s.tokens.max}` +
    `${s.judgmentsPerMinute !== null ? `; ${s.judgmentsPerMinute.toFixed(1)} judgments/min` : ""}.`, "", `Scoring: ${s.scoring}.`);
  return out.join("\n");
}
