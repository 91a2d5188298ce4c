// rrm eval --report: per-subset accuracy bars with 95% intervals, the RewardBench sections beside
// the paper's rows, the reasoning-length histogram and the position-bias table.
import type { EvalSummary } from "../eval/summary.js";
import { RB2_SUBSETS, SECTIONS } from "../eval/rewardbench.js";
import { INTERVAL_NOTE } from "../eval/intervals.js";
import { barChart, esc, histogramChart, page, runSettingsSection, table, type RunDescription } from "./html.js";

const pct = (x: number | null) => (x === null ? "–" : (100 * x).toFixed(1));

export function evalReportHtml(s: EvalSummary, o: { title: string; model: string; run?: RunDescription }): string {
  const subsets = barChart(
    s.subsets.map((x) => ({ label: x.subset, value: 100 * x.accuracy, low: 100 * x.interval.low, high: 100 * x.interval.high, color: x.section ? "#4c78a8" : x.benchmark ? "#54a24b" : "#9d755d", text: `${pct(x.accuracy)}% (n=${x.items})` })),
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
<section><h2>Accuracy by subset</h2>${subsets}<p class="note">Bars: accuracy; whiskers: 95% Wilson intervals. Blue: RewardBench's subsets; green: RewardBench 2's; brown: others.</p>
${table(["subset", "section", "items", "accuracy %", "95% CI", "weight"], s.subsets.map((x) => [x.subset, x.section ?? x.benchmark ?? "(not RewardBench)", x.items, pct(x.accuracy), `${pct(x.interval.low)}–${pct(x.interval.high)}`, x.weight ?? "–"]), "subsets")}</section>
${s.sections.length ? `<section><h2>RewardBench sections</h2>${barChart(sectionRows, { id: "section-scores", min: 0, max: 100, unit: "%" })}${sectionTable}
<p class="note">Whiskers: 95% intervals (${esc(INTERVAL_NOTE)}).</p></section>` : ""}
${s.rewardBench2 ? rewardBench2Section(s) : ""}
<section><h2>All items</h2>
<p class="note">All items, unweighted: ${pct(s.allItems.accuracy)}% (${pct(s.allItems.interval.low)}–${pct(s.allItems.interval.high)}).</p></section>
<section><h2>Reasoning length</h2>${histogramChart(s.tokens.histogram, { id: "token-histogram", xLabel: "generated tokens per judgment (reasoning + verdict)" })}
<p>Mean ${s.tokens.mean.toFixed(0)}, median ${s.tokens.median}, p90 ${s.tokens.p90}, max ${s.tokens.max} tokens; ${s.judgments} judgments, ${s.invalidVotes} invalid (${pct(s.invalidRate)}%)${s.judgmentsPerMinute !== null ? `; ${s.judgmentsPerMinute.toFixed(1)} judgments/min` : ""}.</p></section>
<section><h2>Position bias</h2>${bias}${agreement}</section>
<section><h2>Scoring</h2><p class="note">${esc(s.scoring)}.</p></section>${runSettingsSection(o.run)}`;
  return page(o.title, `model ${o.model}; ${s.items} items${s.failedItems ? `, ${s.failedItems} failed` : ""}; written ${new Date().toISOString().slice(0, 19)}Z`, body);
}

/** RewardBench 2: its subsets, Ties' accuracy parts, and why there is no RewardBench 2 score. */
function rewardBench2Section(s: EvalSummary): string {
  const r = s.rewardBench2!;
  const ci = (i: { low: number; high: number } | null) => (i ? `${pct(i.low)}–${pct(i.high)}` : "–");
  const rows = RB2_SUBSETS.map((name) => {
    if (name === "Ties") {
      const t = r.ties;
      return [name, t ? t.items : 0, t ? "no score" : "–", "–"];
    }
    const x = s.subsets.find((y) => y.subset === name);
    return [name, x?.items ?? 0, x ? pct(x.accuracy) : "–", x ? ci(x.interval) : "–"];
  });
  const mean = r.meanOfScored ? `<p>Mean of the ${r.meanOfScored.subsets} best-of-4 subset(s) present (not RewardBench 2's score): ${pct(r.meanOfScored.score)}% (${ci(r.meanOfScored.interval)}).</p>` : "";
  const t = r.ties;
  const ties = t ? table(["Ties prompts", "prompts", "accurate %", "95% CI"], [["ref (one correct answer)", t.ref.prompts, pct(t.ref.accuracy), ci(t.ref.interval)], ["tied (several correct answers)", t.tied.prompts, pct(t.tied.accuracy), ci(t.tied.interval)]], "ties-parts") + `<p class="note">${esc(t.why)}.</p>` : "";
  return `<section><h2>RewardBench 2</h2>${table(["subset", "items", "accuracy %", "95% CI"], rows, "rewardbench2")}${mean}${ties}<p class="note">${esc(`No RewardBench 2 score: ${r.note}`)}.</p></section>`;
}
