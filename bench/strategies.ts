// Accuracy against compute for the ranking strategies (issue 19, BENCHMARKS.md): the real
// tournament code (rankCandidates) driven by a simulated judge (lib/bench/simulated-judge.ts:
// strengths N(0, 1.2^2), Bradley–Terry votes with N(0, 0.5^2) logit noise per vote, +0.2 logit
// for the answer shown first, 5% invalid votes), many seeded ground truths per N. For each
// strategy: top-1 (the true best ranked first), top-3 recall, Kendall tau against the truth, and
// the judgments it spent. Writes the table (markdown, stdout and bench/results/) and one SVG.
//   npx tsx bench/strategies.ts [--scale 1] [--out bench/results] [--svg docs/strategies.svg]
// --scale multiplies the seed counts (0.1 for a quick look).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { kendallTau, SIMULATION_DEFAULTS, SimulatedJudge, simulatedCandidates, topKRecall, trueOrder } from "../lib/bench/simulated-judge.js";
import { rankCandidates, type RankOptions } from "../lib/tournament/rank.js";
import { cpus, totalmem } from "node:os";

// Not bench/lib/machine.ts's line: that one asks the native addon for GPUs, and a simulation needs no addon.
const machineLine = () => `${cpus()[0]?.model?.trim() ?? "unknown CPU"}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}`;

interface Row { n: number; label: string; family: string; seeds: number; top1: number; top3: number; tau: number; judgments: number; vsKnockout?: { diff: number; se: number } }

// Each strategy: its options, given the 3-vote knockout's judgments on the same truth (the budget rows).
interface Spec { label: string; family: string; opts: (n: number, knockoutJudgments: number) => RankOptions | null; maxN?: number }
const ADAPTIVE = { max: 9, confidence: 0.9 };
const SPECS: Spec[] = [
  { label: "knockout, 1 vote", family: "knockout", opts: () => ({ votes: 1 }) },
  { label: "knockout, 3 votes (paper)", family: "knockout", opts: () => ({ votes: 3 }) },
  { label: "knockout, adaptive (max 9, 0.9)", family: "knockout", opts: () => ({ votes: ADAPTIVE }) },
  { label: "knockout, budget = 3-vote knockout's judgments", family: "budget", opts: (_n, k) => ({ budget: k }) },
  { label: "knockout, budget = 3(N-1)", family: "budget", opts: (n) => ({ budget: 3 * (n - 1) }) },
  { label: "swiss, 1 vote", family: "swiss", opts: () => ({ strategy: "swiss" }) },
  { label: "swiss, adaptive (max 9, 0.9)", family: "swiss", opts: () => ({ strategy: "swiss", votes: ADAPTIVE }) },
  { label: "swiss, budget = 2 x its matches", family: "budget", opts: (n) => ({ strategy: "swiss", budget: 2 * (Math.ceil(Math.log2(n)) + 1) * Math.floor(n / 2) }) },
  { label: "round-robin (ELO), 1 vote", family: "round-robin", opts: () => ({ strategy: "elo" }) },
  { label: "round-robin (ELO), adaptive (max 9, 0.9)", family: "round-robin", opts: () => ({ strategy: "elo", votes: ADAPTIVE }), maxN: 32 },
];

async function measure(n: number, seeds: number): Promise<Row[]> {
  const acc = SPECS.map(() => ({ top1: 0, top3: 0, tau: 0, judgments: 0, wins: [] as number[] }));
  for (let s = 0; s < seeds; s++) {
    const { strengths, texts } = simulatedCandidates(n, 70000 + s);
    const best = trueOrder(strengths)[0];
    const judge = () => new SimulatedJudge(strengths, texts, 90000 + s);
    const k3 = await rankCandidates(judge(), "q", texts, { votes: 3, seed: s });
    for (const [x, spec] of SPECS.entries()) {
      if (spec.maxN && n > spec.maxN) continue;
      const o = spec.opts(n, k3.stats.judgments);
      if (!o) continue;
      const r = await rankCandidates(judge(), "q", texts, { ...o, seed: s });
      const order = r.ranking.map((c) => c.index);
      const a = acc[x];
      a.top1 += +(r.winner === best);
      a.wins.push(+(r.winner === best));
      a.top3 += topKRecall(order, strengths, 3);
      a.tau += kendallTau(order, strengths);
      a.judgments += r.stats.judgments;
    }
  }
  const base = acc[SPECS.findIndex((s) => s.label.startsWith("knockout, 3 votes"))].wins;
  return SPECS.flatMap((spec, x) => {
    if (spec.maxN && n > spec.maxN) return [];
    const a = acc[x];
    const row: Row = { n, label: spec.label, family: spec.family, seeds, top1: a.top1 / seeds, top3: a.top3 / seeds, tau: a.tau / seeds, judgments: a.judgments / seeds };
    if (spec.family === "budget" && spec.label.startsWith("knockout")) {
      // Paired difference of top-1 against the 3-vote knockout on the same truths, with its standard error.
      const d = a.wins.map((w, k) => w - base[k]);
      const mean = d.reduce((t, v) => t + v, 0) / seeds;
      const sd = Math.sqrt(d.reduce((t, v) => t + (v - mean) ** 2, 0) / Math.max(1, seeds - 1));
      row.vsKnockout = { diff: mean, se: sd / Math.sqrt(seeds) };
    }
    return [row];
  });
}

const COLORS: Record<string, string> = { knockout: "#1f77b4", budget: "#d62728", swiss: "#2ca02c", "round-robin": "#9467bd" };
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Panels: top-1 and Kendall tau (rows) by N (columns), against judgments on a log axis. */
export function strategiesSvg(rows: Row[], title: string): string {
  const ns = [...new Set(rows.map((r) => r.n))];
  const PW = 300, PH = 200, L = 60, T = 50, GX = 40, GY = 60, LEG = 250;
  const W = L + ns.length * (PW + GX) + LEG, H = T + 2 * (PH + GY) + 10;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`, `<rect width="${W}" height="${H}" fill="white"/>`, `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`];
  const metrics: [keyof Row, string][] = [["top1", "top-1 (true best first)"], ["tau", "Kendall tau vs truth"]];
  metrics.forEach(([key, name], mi) => {
    ns.forEach((n, ni) => {
      const x0 = L + ni * (PW + GX), y0 = T + mi * (PH + GY);
      const pts = rows.filter((r) => r.n === n);
      const lo = Math.log10(Math.min(...pts.map((r) => r.judgments)) / 1.3), hi = Math.log10(Math.max(...pts.map((r) => r.judgments)) * 1.3);
      const x = (j: number) => x0 + ((Math.log10(j) - lo) / (hi - lo)) * PW;
      const y = (v: number) => y0 + PH - v * PH;
      out.push(`<rect x="${x0}" y="${y0}" width="${PW}" height="${PH}" fill="none" stroke="#888"/>`, `<text x="${x0 + PW / 2}" y="${y0 - 8}" text-anchor="middle" font-size="12">N = ${n}: ${esc(name)}</text>`);
      for (let k = 0; k <= 4; k++) out.push(`<line x1="${x0}" y1="${y(k / 4)}" x2="${x0 + PW}" y2="${y(k / 4)}" stroke="#eee"/><text x="${x0 - 5}" y="${y(k / 4) + 4}" text-anchor="end">${(k / 4).toFixed(2)}</text>`);
      for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) for (const m of [1, 2, 5]) {
        const j = m * 10 ** e;
        if (Math.log10(j) < lo || Math.log10(j) > hi) continue;
        out.push(`<line x1="${x(j)}" y1="${y0 + PH}" x2="${x(j)}" y2="${y0 + PH + 4}" stroke="#888"/><text x="${x(j)}" y="${y0 + PH + 15}" text-anchor="middle">${j}</text>`);
      }
      out.push(`<text x="${x0 + PW / 2}" y="${y0 + PH + 30}" text-anchor="middle">judgments per ranking (log)</text>`);
      for (const r of pts) {
        const shape = r.label.includes("adaptive") ? "diamond" : r.label.includes("budget") ? "square" : "circle";
        const cx = x(r.judgments), cy = y(r[key] as number), c = COLORS[r.family];
        const tip = `<title>${esc(`${r.label}, N=${n}: top-1 ${r.top1.toFixed(3)}, tau ${r.tau.toFixed(3)}, ${r.judgments.toFixed(1)} judgments`)}</title>`;
        if (shape === "circle") out.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="4.5" fill="${c}">${tip}</circle>`);
        else if (shape === "square") out.push(`<rect x="${(cx - 4.5).toFixed(1)}" y="${(cy - 4.5).toFixed(1)}" width="9" height="9" fill="${c}">${tip}</rect>`);
        else out.push(`<polygon points="${cx},${cy - 6} ${cx + 6},${cy} ${cx},${cy + 6} ${cx - 6},${cy}" fill="${c}">${tip}</polygon>`);
      }
    });
  });
  const lx = L + ns.length * (PW + GX) + 10;
  const legend = [...new Map(rows.map((r) => [r.label, r])).values()];
  legend.forEach((r, k) => {
    const y = T + k * 18, c = COLORS[r.family];
    const mark = r.label.includes("adaptive") ? `<polygon points="${lx + 5},${y - 6} ${lx + 11},${y} ${lx + 5},${y + 6} ${lx - 1},${y}" fill="${c}"/>` : r.label.includes("budget") ? `<rect x="${lx}" y="${y - 5}" width="10" height="10" fill="${c}"/>` : `<circle cx="${lx + 5}" cy="${y}" r="5" fill="${c}"/>`;
    out.push(`${mark}<text x="${lx + 16}" y="${y + 4}">${esc(r.label)}</text>`);
  });
  out.push(`<text x="${lx}" y="${T + legend.length * 18 + 14}" fill="#555">circle: fixed votes; diamond: adaptive;</text><text x="${lx}" y="${T + legend.length * 18 + 28}" fill="#555">square: judgment budget</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function markdown(rows: Row[]): string {
  const lines = ["| N | strategy | seeds | top-1 | top-3 recall | Kendall tau | judgments | top-1 vs 3-vote knockout |", "|---:|---|---:|---:|---:|---:|---:|---:|"];
  for (const r of rows) {
    const vs = r.vsKnockout ? `${r.vsKnockout.diff >= 0 ? "+" : ""}${(100 * r.vsKnockout.diff).toFixed(1)} ± ${(100 * r.vsKnockout.se).toFixed(1)} pts` : "";
    lines.push(`| ${r.n} | ${r.label} | ${r.seeds} | ${r.top1.toFixed(3)} | ${r.top3.toFixed(3)} | ${r.tau.toFixed(3)} | ${r.judgments.toFixed(1)} | ${vs} |`);
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { scale: { type: "string" }, out: { type: "string" }, svg: { type: "string" }, ns: { type: "string" } } });
  const scale = Number(values.scale ?? 1);
  const ns = (values.ns ?? "8,16,32,128").split(",").map(Number);
  // Seeds per N: a 1-2 point standard error on the paired knockout differences at 16 and 32; N = 128
  // (a 8,128-match round-robin per truth) gets fewer.
  const SEEDS: Record<number, number> = { 8: 1000, 16: 2000, 32: 800, 128: 40 };
  const t0 = Date.now();
  const rows: Row[] = [];
  for (const n of ns) {
    const seeds = Math.max(10, Math.round((SEEDS[n] ?? 200) * scale));
    rows.push(...await measure(n, seeds));
    console.error(`N = ${n}: ${seeds} seeds, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const p = SIMULATION_DEFAULTS;
  const head = [
    `## Ranking strategies: accuracy against judgments (simulated judge)`,
    `\`npx tsx bench/strategies.ts${values.scale ? ` --scale ${scale}` : ""}\` (${((Date.now() - t0) / 1000).toFixed(0)} s); ${machineLine()}; ${new Date().toISOString().slice(0, 10)}.`,
    `Simulator: strengths N(0, ${p.strengthSd}^2), Bradley–Terry votes, per-vote logit noise N(0, ${p.voteNoise}^2), position bias +${p.positionBias} logit for Assistant 1, ${100 * p.invalidRate}% invalid votes; the judge's early stop on (as the real judge).`,
  ].join("\n");
  const md = `${head}\n\n${markdown(rows)}\n`;
  console.log(md);
  const outDir = values.out ?? "bench/results";
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "strategies.md"), md);
  const svgPath = values.svg ?? "docs/strategies.svg";
  mkdirSync(dirname(svgPath), { recursive: true });
  writeFileSync(svgPath, strategiesSvg(rows, "Ranking strategies on a simulated judge: accuracy against judgments"));
  console.error(`wrote ${join(outDir, "strategies.md")} and ${svgPath}`);
}
