// The trained judge's loss curve (models/arithmetic-judge.md) from the trainer's loss.tsv: training
// loss per chunk of 16 steps (smoothed over 8 chunks; phase 1's mixes packed and whole judgments)
// and the held-out eval loss (whole judgments) at checkpoints, per token with loss. npx tsx bench/loss-curve.ts DIR/loss.tsv OUT.svg
import { readFileSync, writeFileSync } from "node:fs";
import { lineChart } from "./lib/svg-chart.js";

const [tsv, out] = process.argv.slice(2);
const rows = readFileSync(tsv, "utf8").trim().split("\n").slice(1).map((l) => l.split("\t").map(Number));
const train = rows.map((r, i) => [r[0], rows.slice(Math.max(0, i - 7), i + 1).reduce((t, x) => t + x[1], 0) / Math.min(i + 1, 8)] as [number, number]);
const evals = rows.filter((r) => Number.isFinite(r[2])).map((r) => [r[0], r[2]] as [number, number]);
writeFileSync(out, lineChart("Trained arithmetic judge: loss per target token", [
  { name: "training loss (mean of the last 8 chunks of 16 steps)", points: train },
  { name: "held-out eval loss (64 judgments)", points: evals },
], // The first chunks start near ln(695) = 6.5 (a uniform guess over the vocabulary): clipped at 2.
  { yMin: 0, yMax: 2, yStep: 0.25, logX: false, percent: false }));
console.log(evals.map(([s, l]) => `${s}: ${l.toFixed(3)}`).join("\n"));
