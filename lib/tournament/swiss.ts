// Swiss-system tournament: a full ranking at a fraction of a round-robin's judgments. Each round
// pairs candidates of equal or near score (standings order, neighbours meet), never the same pair
// twice; with an odd count one candidate sits out (a bye, worth a win, as in chess: it never costs
// a candidate ground) and byes rotate: the lowest-standing candidate with the fewest byes gets it.
// Every match of a round goes to the engine as one batch.
// A match's winner scores 1, the loser 0; a match without a winner (a tie or only invalid votes) is
// a draw, 1/2 each: no coin decides a ranking.
// Final order: score, then Buchholz (the sum of the opponents' final scores: a win against strong
// opposition counts for more), then Bradley-Terry over every match (order-independent, uses the
// margins of the whole tournament), then the lower index (as the ELO ranking).
// Default rounds: ceil(log2 n) + 1, the rounds a knockout needs plus one, so the best can lose a
// match and still finish first; capped at n - 1 (n even) or n (n odd), a round-robin's worth.
import { SeededRandom } from "../random.js";
import { bradleyTerry } from "./bradley-terry.js";
import type { RatedMatch } from "./elo.js";
import type { MatchRecord, PlayRound, TournamentProgress } from "./types.js";

export interface SwissStanding {
  index: number;
  score: number;
  buchholz: number;
  bradleyTerry: number;
  wins: number;
  losses: number;
  draws: number;
  byes: number;
}

export interface SwissResult {
  /** Candidates by final standing, best first. */
  ranking: number[];
  /** In ranking order. */
  standings: SwissStanding[];
  /** Rounds played: fewer than asked only when no pairing without a rematch was left. */
  rounds: number;
  matches: MatchRecord[];
  /** Round by round, the candidate with the bye (null: none, an even count). */
  byes: (number | null)[];
}

/** The most rounds without a rematch or a second bye for anyone: a round-robin's worth. */
export const maxSwissRounds = (n: number) => (n < 2 ? 0 : n % 2 ? n : n - 1);
export const defaultSwissRounds = (n: number) => Math.min(maxSwissRounds(n), n < 2 ? 0 : Math.ceil(Math.log2(n)) + 1);
/** The rounds a Swiss of n plays when asked for `rounds` (default, capped at a round-robin's worth). */
export const swissRoundsPlayed = (n: number, rounds?: number) => Math.min(rounds ?? defaultSwissRounds(n), maxSwissRounds(n));

// Pairing search steps before a round gives up (a dead end can take exponential search; the
// default rounds never come near it: at n = 128, 8 rounds pair at the first try).
const PAIRING_STEPS = 200_000;

/**
 * One round's pairs from the standings (best first): neighbours meet, no rematch; backtracks when
 * the greedy choice leaves someone without an unplayed partner. Null: no such pairing exists
 * (or none found within PAIRING_STEPS).
 */
export function swissPairing(standing: readonly number[], played: (i: number, j: number) => boolean, byes: readonly number[]): { pairs: [number, number][]; bye: number | null } | null {
  const steps = { left: PAIRING_STEPS };
  const pairUp = (list: readonly number[]): [number, number][] | null => {
    if (list.length === 0) return [];
    const x = list[0];
    for (let k = 1; k < list.length; k++) {
      const y = list[k];
      if (played(x, y)) continue;
      if (--steps.left < 0) return null;
      const rest = pairUp(list.filter((_, m) => m !== 0 && m !== k));
      if (rest) return [[x, y], ...rest];
    }
    return null;
  };
  if (standing.length % 2 === 0) {
    const pairs = pairUp(standing);
    return pairs && { pairs, bye: null };
  }
  // The bye: fewest byes first (a second bye only where no other pairing exists), then from the
  // bottom of the standings up.
  const candidates = standing.map((c, pos) => ({ c, pos })).sort((x, y) => byes[x.c] - byes[y.c] || y.pos - x.pos);
  for (const { c } of candidates) {
    const pairs = pairUp(standing.filter((x) => x !== c));
    if (pairs) return { pairs, bye: c };
  }
  return null;
}

export async function swiss(n: number, playRound: PlayRound, seed: number, rounds: number, onProgress?: (p: TournamentProgress) => void): Promise<SwissResult> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Expected at least one candidate, got ${n}`);
  const planned = Math.min(rounds, maxSwissRounds(n));
  // A seeded order stands in for the unknown strengths before the first round, and stays the last
  // pairing key: round 1 is a random draw.
  const seedOrder = new SeededRandom(seed).shuffle([...Array(n).keys()]);
  const position = new Array<number>(n);
  seedOrder.forEach((c, p) => (position[c] = p));
  const score = new Array<number>(n).fill(0);
  const byeCount = new Array<number>(n).fill(0);
  const opponents: number[][] = Array.from({ length: n }, () => []);
  const playedSet = new Set<number>();
  const played = (i: number, j: number) => playedSet.has(i * n + j);
  const buchholz = (c: number) => opponents[c].reduce((s, o) => s + score[o], 0);
  const matches: MatchRecord[] = [];
  const byes: (number | null)[] = [];
  const matchesTotal = planned * Math.floor(n / 2);
  let done = 0;
  let round = 0;
  while (round < planned) {
    const standing = [...Array(n).keys()].sort((x, y) => score[y] - score[x] || buchholz(y) - buchholz(x) || position[x] - position[y]);
    const pairing = swissPairing(standing, played, byeCount);
    if (!pairing) break;
    round++;
    const pairs = pairing.pairs.map(([a, b], k) => ({ a, b, seed: (seed ^ Math.imul(round, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca6b)) >>> 0 }));
    const outcomes = await playRound(pairs, round, () => onProgress?.({ matchesDone: ++done, matchesTotal, round }));
    pairs.forEach(({ a, b }, k) => {
      const r = outcomes[k];
      const winner = r.winner === "a" ? a : r.winner === "b" ? b : null;
      const rec: MatchRecord = { round, a, b, winner, votes: r.votes, probabilityA: r.probabilityA, reason: r.reason };
      if (r.waves !== undefined) rec.waves = r.waves;
      matches.push(rec);
      score[a] += winner === a ? 1 : winner === null ? 0.5 : 0;
      score[b] += winner === b ? 1 : winner === null ? 0.5 : 0;
      opponents[a].push(b);
      opponents[b].push(a);
      playedSet.add(a * n + b).add(b * n + a);
    });
    if (pairing.bye !== null) {
      score[pairing.bye] += 1;
      byeCount[pairing.bye]++;
    }
    byes.push(pairing.bye);
  }
  const rated: RatedMatch[] = matches.map((m) => ({ a: m.a, b: m.b, scoreA: m.winner === m.a ? 1 : m.winner === m.b ? 0 : 0.5 }));
  const bt = bradleyTerry(n, rated);
  const bh = [...Array(n).keys()].map(buchholz);
  const ranking = [...Array(n).keys()].sort((x, y) => score[y] - score[x] || bh[y] - bh[x] || bt[y] - bt[x] || x - y);
  const standings = ranking.map((index) => {
    const mine = matches.filter((m) => m.a === index || m.b === index);
    const wins = mine.filter((m) => m.winner === index).length;
    const draws = mine.filter((m) => m.winner === null).length;
    return { index, score: score[index], buchholz: bh[index], bradleyTerry: bt[index], wins, losses: mine.length - wins - draws, draws, byes: byeCount[index] };
  });
  return { ranking, standings, rounds: round, matches, byes };
}
