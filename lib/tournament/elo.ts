// Round-robin ratings. Online Elo exactly as the authors' release (RRM.md §6): matches shuffled
// with a fixed seed, start 1000, K = 4, scale 400, base 10, a draw is half a win each.
import { SeededRandom } from "../random.js";

export interface EloParams { initial: number; k: number; scale: number; base: number }
export const ELO_DEFAULTS: EloParams = { initial: 1000, k: 4, scale: 400, base: 10 };

/** One match's result for rating: score of `a` is 1 (a won), 0 (b won) or 0.5 (no winner). */
export interface RatedMatch { a: number; b: number; scoreA: number }

export function onlineElo(n: number, matches: readonly RatedMatch[], seed: number, p: EloParams = ELO_DEFAULTS): number[] {
  const ratings = new Array(n).fill(p.initial);
  const order = new SeededRandom(seed).shuffle([...matches]);
  for (const m of order) {
    const ea = 1 / (1 + Math.pow(p.base, (ratings[m.b] - ratings[m.a]) / p.scale));
    const delta = p.k * (m.scoreA - ea);
    ratings[m.a] += delta;
    ratings[m.b] -= delta;
  }
  return ratings;
}

/** Indexes by rating, highest first; ties keep the lower index first (the authors' argmax). */
export function rankByRating(ratings: readonly number[]): number[] {
  return [...ratings.keys()].sort((x, y) => ratings[y] - ratings[x] || x - y);
}
