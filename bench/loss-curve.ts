// The trained judge's loss curve (models/arithmetic-judge.md) from the trainer's loss.tsv: training
// loss per chunk of 16 steps (smoothed over 8 chunks) and the held-out eval loss at checkpoints,
// per token with loss. npx tsx bench/loss-curve.ts DIR/loss.tsv OUT.svg
import { readFileSync, writeFileSync } from "node:fs";
import { lineChart } from "./lib/svg-chart.js";

const [tsv, out] = process.argv.slice(2);
const rows = readFileSync(tsv, "utf8").trim().split("\n").slice(1).map((l) => l.split("\t").map(Number));
const train = rows.map((r, i) => [r[0], rows.slice(Math.max(0, i - 7), i + 1).reduce((t, x) => t + x[1], 0) / Math.min(i + 1, 8)] as [number, number]);
const evals = rows.filter((r) => Number.isFinite(r[2])).map((r) => [r[0], r[2]] as [number, number]);
writeFileSync(out, lineChart("Trained arithmetic judge: loss per target token", [
  { name: "training loss (mean of the last 8 chunks of 16 steps)", points: train },
  { name: "held-out eval loss (64 judgments)", points: evals },
], // Early losses carry the constant prompt prefix, learned in the first ~700 steps (up to ~38): clipped at 6.
  { yMin: 0, yMax: 6, yStep: 1, logX: false, percent: false }));
console.log(evals.map(([s, l]) => `${s}: ${l.toFixed(3)}`).join("\n"));
