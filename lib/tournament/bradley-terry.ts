// Bradley–Terry maximum likelihood (Chatbot-Arena style): order-independent ratings, a tie is
// half a win each, scaled as 1000 + 400 log10(strength); bootstrap 95% intervals.
import { SeededRandom } from "../random.js";
import type { RatedMatch } from "./elo.js";

// A weak prior (this many drawn games against an average opponent) keeps an unbeaten or winless
// candidate's rating finite.
const PRIOR_GAMES = 0.1;

export function bradleyTerry(n: number, matches: readonly RatedMatch[], iterations = 500): number[] {
  const wins = new Array(n).fill(PRIOR_GAMES / 2);
  const games = Array.from({ length: n }, () => new Array(n).fill(0));
  for (const m of matches) {
    wins[m.a] += m.scoreA;
    wins[m.b] += 1 - m.scoreA;
    games[m.a][m.b]++;
    games[m.b][m.a]++;
  }
  let p = new Array(n).fill(1);
  // Minorization–maximization (Hunter 2004); the prior is a virtual opponent of strength 1.
  for (let it = 0; it < iterations; it++) {
    const next = p.map((pi, i) => {
      let denom = PRIOR_GAMES / (pi + 1);
      for (let j = 0; j < n; j++) if (games[i][j]) denom += games[i][j] / (pi + p[j]);
      return wins[i] / denom;
    });
    const logMean = next.reduce((s, x) => s + Math.log(x), 0) / n;
    const norm = Math.exp(logMean);
    const moved = next.reduce((s, x, i) => Math.max(s, Math.abs(x / norm - p[i])), 0);
    p = next.map((x) => x / norm);
    if (moved < 1e-10) break;
  }
  return p.map((x) => 1000 + 400 * Math.log10(x));
}

export interface RatingInterval { low: number; high: number }

export function bootstrapIntervals(n: number, matches: readonly RatedMatch[], seed: number, rounds = 200): RatingInterval[] {
  const rng = new SeededRandom(seed);
  const samples: number[][] = Array.from({ length: n }, () => []);
  for (let r = 0; r < rounds; r++) {
    const resampled = matches.map(() => matches[rng.int(matches.length)]);
    bradleyTerry(n, resampled, 200).forEach((x, i) => samples[i].push(x));
  }
  return samples.map((s) => {
    s.sort((x, y) => x - y);
    return { low: s[Math.floor(0.025 * (s.length - 1))], high: s[Math.ceil(0.975 * (s.length - 1))] };
  });
}
