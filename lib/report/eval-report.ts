// rrm eval --report: per-subset accuracy bars with 95% intervals, the RewardBench sections beside
// the paper's rows, the reasoning-length histogram and the position-bias table.
import type { EvalSummary } from "../eval/summary.js";
import { SECTIONS } from "../eval/rewardbench.js";
import { barChart, esc, histogramChart, page, runSettingsSection, table, type RunDescription } from "./html.js";

const pct = (x: number | null) => (x === null ? "–" : (100 * x).toFixed(1));

export function evalReportHtml(s: EvalSummary, o: { title: string; model: string; run?: RunDescription }): string {
  const subsets = barChart(
    s.subsets.map((x) => ({ label: x.subset, value: 100 * x.accuracy, low: 100 * x.interval.low, high: 100 * x.interval.high, color: x.section ? "#4c78a8" : "#9d755d", text: `${pct(x.accuracy)}% (n=${x.items})` })),
    { id: "subset-accuracy", min: 0, max: 100, unit: "%" },
  );
  const sectionRows = [
    ...s.sections.map((x) => ({ label: x.section, value: 100 * x.score, low: 100 * x.interval.low, high: 100 * x.interval.high, text: `${pct(x.score)}%` })),
    ...(s.overall ? [{ label: "overall", value: 100 * s.overall.score, low: 100 * s.overall.interval.low, high: 100 * s.overall.interval.high, color: "#f58518", text: `${pct(s.overall.score)}%` }] : []),
  ];
  const sectionTable = table(["", ...SECTIONS, "overall"], [
    [o.model, ...SECTIONS.map((sec) => pct(s.sections.find((x) => x.section === sec)?.score ?? null)), pct(s.overall?.score ?? null)],
    ...s.paper.map((p) => [p.name, ...SECTIONS.map((sec) => (p.sections ? p.sections[sec].toFixed(1) : "–")), p.overall.toFixed(1)]),
  ], "sections");
  const pb = s.positionBias;
  const bias = table(["chosen answer shown", "comparisons", "accuracy %"], [
    ["first (Assistant 1)", pb.chosenFirst.comparisons, pct(pb.chosenFirst.accuracy)],
    ["second (Assistant 2)", pb.chosenSecond.comparisons, pct(pb.chosenSecond.accuracy)],
  ], "position-bias");
  const agreement = pb.bothOrders.comparisons
    ? `<p>Both orders agree on ${pct(pb.bothOrders.agreement)}% of ${pb.bothOrders.comparisons} comparisons shown both ways.</p>`
    : `<p class="note">Agreement between orders needs --swap alternate.</p>`;
  const body = `
<section><h2>Accuracy by subset</h2>${subsets}<p class="note">Bars: accuracy; whiskers: 95% Wilson intervals. Brown: subsets outside RewardBench's sections.</p>
${table(["subset", "section", "items", "accuracy %", "95% CI", "weight"], s.subsets.map((x) => [x.subset, x.section ?? "(not RewardBench)", x.items, pct(x.accuracy), `${pct(x.interval.low)}–${pct(x.interval.high)}`, x.weight ?? "–"]), "subsets")}</section>
<section><h2>RewardBench sections</h2>${sectionRows.length ? barChart(sectionRows, { id: "section-scores", min: 0, max: 100, unit: "%" }) : "<p>No RewardBench subsets in this file.</p>"}${sectionTable}
<p class="note">All items, unweighted: ${pct(s.allItems.accuracy)}% (${pct(s.allItems.interval.low)}–${pct(s.allItems.interval.high)}).</p></section>
<section><h2>Reasoning length</h2>${histogramChart(s.tokens.histogram, { id: "token-histogram", xLabel: "generated tokens per judgment (reasoning + verdict)" })}
<p>Mean ${s.tokens.mean.toFixed(0)}, median ${s.tokens.median}, p90 ${s.tokens.p90}, max ${s.tokens.max} tokens; ${s.judgments} judgments, ${s.invalidVotes} invalid (${pct(s.invalidRate)}%)${s.judgmentsPerMinute !== null ? `; ${s.judgmentsPerMinute.toFixed(1)} judgments/min` : ""}.</p></section>
<section><h2>Position bias</h2>${bias}${agreement}</section>
<section><h2>Scoring</h2><p class="note">${esc(s.scoring)}.</p></section>${runSettingsSection(o.run)}`;
  return page(o.title, `model ${o.model}; ${s.items} items${s.failedItems ? `, ${s.failedItems} failed` : ""}; written ${new Date().toISOString().slice(0, 19)}Z`, body);
}
