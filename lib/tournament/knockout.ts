// Knockout: a seeded random bracket, byes in the first round only (to the next power of two),
// adjacent winners meet; n - 1 matches in ceil(log2 n) rounds, every match of a round in flight
// together.
import { SeededRandom } from "../random.js";
import { roundOf, type MatchRecord, type PlayMatch, type PlayRound, type TournamentProgress } from "./types.js";

export interface KnockoutResult {
  champion: number;
  /** Candidates by the round they went out in, champion first (same round: bracket order). */
  ranking: number[];
  rounds: number;
  matches: MatchRecord[];
  /** Round by round, the bracket's entrants in order (null: a bye's empty slot). */
  bracket: (number | null)[][];
}

export function knockout(n: number, play: PlayMatch, seed: number, onProgress?: (p: TournamentProgress) => void): Promise<KnockoutResult> {
  return knockoutRounds(n, roundOf(play), seed, onProgress);
}

/** The same bracket with a round player: the whole round is handed over at once (budgets). */
export async function knockoutRounds(n: number, playRound: PlayRound, seed: number, onProgress?: (p: TournamentProgress) => void): Promise<KnockoutResult> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Expected at least one candidate, got ${n}`);
  const rng = new SeededRandom(seed);
  const order = rng.shuffle([...Array(n).keys()]);
  let size = 1;
  while (size < n) size *= 2;
  const byes = size - n;
  // Slots in pairs: the first `byes` pairs hold one entrant and an empty slot.
  const slots: (number | null)[] = [];
  let next = 0;
  for (let p = 0; p < size / 2; p++) {
    slots.push(order[next++]);
    slots.push(p < byes ? null : order[next++]);
  }
  const matches: MatchRecord[] = [];
  const outRound = new Map<number, number>();
  const bracket: (number | null)[][] = [];
  let current = n === 1 ? [order[0]] as (number | null)[] : slots;
  let round = 0;
  let done = 0;
  while (current.length > 1) {
    round++;
    bracket.push(current);
    const pairs: [number | null, number | null][] = [];
    for (let k = 0; k < current.length; k += 2) pairs.push([current[k], current[k + 1]]);
    const games = pairs.map(([a, b], k) => ({ a, b, k })).filter((g): g is { a: number; b: number; k: number } => g.a !== null && g.b !== null);
    const seeds = games.map((g) => (seed ^ Math.imul(round, 0x9e3779b1) ^ Math.imul(g.k + 1, 0x85ebca6b)) >>> 0);
    const outcomes = await playRound(games.map((g, x) => ({ a: g.a, b: g.b, seed: seeds[x] })), round, () => onProgress?.({ matchesDone: ++done, matchesTotal: n - 1, round }));
    const winnerOf = new Map<number, number>();
    games.forEach(({ a, b, k }, x) => {
      const r = outcomes[x];
      const matchSeed = seeds[x];
      const rec: MatchRecord = { round, a, b, winner: null, votes: r.votes, probabilityA: r.probabilityA, reason: r.reason };
      if (r.waves !== undefined) rec.waves = r.waves;
      let side = r.winner;
      if (!side) {
        // A knockout needs a winner: the judge's probability where known, else a seeded coin.
        const tb = new SeededRandom(matchSeed ^ 0x5bd1e995);
        if (r.probabilityA !== undefined && r.probabilityA !== 0.5) {
          side = r.probabilityA > 0.5 ? "a" : "b";
          rec.tieBreak = "probability";
        } else {
          side = tb.coin() ? "a" : "b";
          rec.tieBreak = "coin";
        }
      }
      rec.winner = side === "a" ? a : b;
      outRound.set(side === "a" ? b : a, round);
      matches.push(rec);
      winnerOf.set(k, rec.winner);
    });
    const winners = pairs.map(([a, b], k) => (a === null || b === null ? a ?? b : winnerOf.get(k)!)); // a bye goes through
    current = winners;
  }
  bracket.push(current);
  const champion = current[0]!;
  const ranking = [champion, ...order.filter((c) => c !== champion).sort((x, y) => (outRound.get(y) ?? 0) - (outRound.get(x) ?? 0))];
  matches.sort((x, y) => x.round - y.round);
  return { champion, ranking, rounds: round, matches, bracket };
}
