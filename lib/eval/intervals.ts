// 95% intervals for eval scores that stay honest at the edges.
// - One subset: the Wilson score interval (a mean of n scores in [0, 1]).
// - A weighted mean of subsets (a RewardBench section, the overall score): each subset's accuracy
//   drawn DRAWS times from its Jeffreys posterior, Beta(s + 1/2, n - s + 1/2) with s the sum of
//   its item scores, combined with the weights; the interval is the 2.5th and 97.5th percentiles
//   of the combined draws, reaching the observed score where that lies at the edge. A subset at
//   0% or 100% still adds its uncertainty (the normal approximation gave it none, and a bootstrap
//   over its items resamples only 1s or only 0s: both printed "85.7 (85.7-85.7)"). Seeded, so the
//   same records give the same interval.
import { SeededRandom } from "../random.js";

export interface Interval { low: number; high: number }

const Z = 1.959963984540054;
export const DRAWS = 4000;

/** Wilson score interval for a mean of n scores in [0, 1] (fractional successes allowed). */
export function wilson(p: number, n: number): Interval {
  if (n === 0) return { low: 0, high: 1 };
  const z2 = Z * Z;
  const center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

function normal(rng: SeededRandom): number {
  // Box–Muller; 1 - next() is in (0, 1], so the log is finite.
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/** Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 through Gamma(shape + 1) x U^(1/shape). */
function gamma(rng: SeededRandom, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function beta(rng: SeededRandom, a: number, b: number): number {
  const x = gamma(rng, a), y = gamma(rng, b);
  return x / (x + y);
}

/** A subset as the interval needs it: items and the sum of their scores (each in [0, 1]). */
export interface SubsetTally { items: number; scoreSum: number }

/** The 95% interval of sum(w_i x accuracy_i) (weights summing to 1), by Jeffreys-posterior draws. */
export function weightedMeanInterval(parts: { tally: SubsetTally; weight: number }[], seed = 0x5eed): Interval {
  if (parts.length === 0) return { low: 0, high: 1 };
  const rng = new SeededRandom(seed);
  const draws = new Float64Array(DRAWS);
  for (let k = 0; k < DRAWS; k++) {
    let x = 0;
    for (const { tally, weight } of parts) x += weight * beta(rng, tally.scoreSum + 0.5, tally.items - tally.scoreSum + 0.5);
    draws[k] = x;
  }
  draws.sort();
  // At the edge (every subset at 100%, or at 0%) the posterior's equal tails leave out the
  // observed score itself; as the Jeffreys interval does there (Brown, Cai and DasGupta 2001),
  // the interval then reaches the observed score.
  const point = parts.reduce((t, p) => t + p.weight * (p.tally.items ? p.tally.scoreSum / p.tally.items : 0), 0);
  return { low: Math.min(point, draws[Math.floor(0.025 * (DRAWS - 1))]), high: Math.max(point, draws[Math.ceil(0.975 * (DRAWS - 1))]) };
}

export const INTERVAL_NOTE =
  "95% intervals: Wilson for a subset; for a weighted mean of subsets (sections, overall), percentiles of 4,000 draws of each subset's accuracy from its Jeffreys posterior Beta(s + 1/2, n - s + 1/2), the interval reaching the observed score at the edges; a subset at 0% or 100% still adds its uncertainty";
