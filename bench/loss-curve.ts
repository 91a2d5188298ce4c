// The trained judge's loss curve (models/arithmetic-judge.md) from the trainer's loss.tsv: training
// loss per chunk of 16 steps (smoothed over 8 chunks; phase 1's mixes packed and whole judgments)
// and the held-out eval loss (whole judgments) at checkpoints, per token with loss. From
// SWITCH_STEP on (the digit-check phases) the held-out judgments are the digit-check ones: a
// curve of their own. npx tsx bench/loss-curve.ts DIR/loss.tsv OUT.svg [SWITCH_STEP]
import { readFileSync, writeFileSync } from "node:fs";
import { lineChart } from "./lib/svg-chart.js";

const [tsv, out, switchArg] = process.argv.slice(2);
const switchStep = switchArg === undefined ? Infinity : Number(switchArg);
const rows = readFileSync(tsv, "utf8").trim().split("\n").slice(1).map((l) => l.split("\t").map(Number));
// Smoothed within a phase only: the new format's first chunks are not averaged with the old's last.
const train = rows.map((r, i) => {
  const win = rows.slice(Math.max(0, i - 7), i + 1).filter((x) => (x[0] > switchStep) === (r[0] > switchStep));
  return [r[0], win.reduce((t, x) => t + x[1], 0) / win.length] as [number, number];
});
const evals = rows.filter((r) => Number.isFinite(r[2])).map((r) => [r[0], r[2]] as [number, number]);
const before = evals.filter(([s]) => s <= switchStep), after = evals.filter(([s]) => s > switchStep);
writeFileSync(out, lineChart("Trained arithmetic judge: loss per target token", [
  { name: "training loss (mean of the last 8 chunks of 16 steps)", points: train },
  { name: "held-out eval loss (64 judgments)", points: before },
  ...(after.length ? [{ name: "held-out eval loss, digit-check judgments (64)", points: after }] : []),
], // The first chunks start near ln(695) = 6.5 (a uniform guess over the vocabulary): clipped at 2.
  { yMin: 0, yMax: 2, yStep: 0.25, logX: false, percent: false }));
console.log(evals.map(([s, l]) => `${s}: ${l.toFixed(3)}`).join("\n"));
