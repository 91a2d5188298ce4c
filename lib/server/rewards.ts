// RL group rewards from pairwise verdicts: one reward per response of a group (the responses an
// RL step sampled for one query). Every formula is in the README ("rrm serve").
//   baseline   each response against one member drawn from the group (seeded); the baseline
//              itself is not judged and gets 0.5. reward = score.
//   baselines  each response against k fixed members drawn from the group (seeded), never itself.
//              reward = mean score.
//   elo        m seeded opponents each; online Elo over all matches (start 1000, K 4, scale 400,
//              seeded order, RRM.md §6). reward = (rating - 1000) / 200 + 0.5.
//   reference  each response against the given reference answer. reward = score.
//   swiss      Swiss rounds over the group (lib/tournament/swiss.ts; default ceil(log2 n) + 1, at
//              most a round-robin's worth). reward = (points + t) / (rounds + 1/2): points as in
//              rank (win 1, no winner 1/2, bye 1); t splits equal points by the Swiss tie-break
//              (Buchholz, then Bradley-Terry, then the lower index): in a group of g equal, the
//              i-th from its bottom gets i / (2g). Rewards follow the final standing strictly and
//              lie in [0, 1); a group of one gets 0.5.
// score: 1 for a win, 0 for a loss, 0.5 when the judge gives no winner (invalid votes or a tie:
// counted in `invalid`). Positions alternate: a pair's k-th match shows the response first when k
// is even, second when odd, so neither side owns a position.
import { SeededRandom } from "../random.js";
import type { Side } from "../rrm/votes.js";
import { ELO_DEFAULTS, onlineElo, type RatedMatch } from "../tournament/elo.js";
import { swiss, swissRoundsPlayed } from "../tournament/swiss.js";
import type { MatchOutcome, PlayRound } from "../tournament/types.js";

export type RewardMode = "baseline" | "baselines" | "elo" | "reference" | "swiss";
export const REWARD_MODES: readonly RewardMode[] = ["baseline", "baselines", "elo", "reference", "swiss"];

/** Swiss rounds a group of n plays: `rounds` (default ceil(log2 n) + 1), at most a round-robin's worth. */

export interface RewardOptions {
  mode: RewardMode;
  seed: number;
  /** baselines: members every response is judged against (default 2). */
  k?: number;
  /** elo: opponents per response (default 2). */
  m?: number;
  /** reference: the answer every response is judged against. */
  reference?: string;
  /** swiss: rounds (default ceil(log2 n) + 1); more than a round-robin's worth play a round-robin's worth. */
  rounds?: number;
}

/** Judges `first` against `second` (shown in that order); returns the winning side. */
export type PairJudge = (first: string, second: string, seed: number) => Promise<{ winner: Side | null }>;

export interface ResponseReward {
  reward: number; wins: number; losses: number; invalid: number;
  /** elo */
  rating?: number;
  /** swiss: points, Buchholz, byes and the final place (1 = first). */
  score?: number; buchholz?: number; byes?: number; place?: number;
}
export interface GroupRewards { rewards: number[]; details: ResponseReward[]; mode: RewardMode; matches: number; rounds?: number }

interface Match { x: number; y: number; other?: string }

export async function groupRewards(responses: readonly string[], o: RewardOptions, judge: PairJudge): Promise<GroupRewards> {
  const n = responses.length;
  const rng = new SeededRandom(o.seed);
  const details: ResponseReward[] = responses.map(() => ({ reward: 0, wins: 0, losses: 0, invalid: 0 }));
  if (o.mode === "swiss") return swissRewards(responses, o, judge);
  const matches: Match[] = [];
  let baseline = -1;
  if (o.mode === "reference") {
    for (let i = 0; i < n; i++) matches.push({ x: i, y: -1, other: o.reference });
  } else if (o.mode === "baseline") {
    baseline = rng.int(n);
    for (let i = 0; i < n; i++) if (i !== baseline) matches.push({ x: i, y: baseline });
  } else if (o.mode === "baselines") {
    const k = Math.min(o.k ?? 2, n);
    const members = rng.shuffle([...Array(n).keys()]).slice(0, k);
    for (let i = 0; i < n; i++) for (const b of members) if (b !== i) matches.push({ x: i, y: b });
  } else {
    // elo: every response meets m distinct opponents drawn for it; a pair drawn twice is played once.
    const m = Math.min(o.m ?? 2, n - 1);
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const others = rng.shuffle([...Array(n).keys()].filter((j) => j !== i)).slice(0, m);
      for (const j of others) {
        const key = i < j ? `${i},${j}` : `${j},${i}`;
        if (!seen.has(key)) {
          seen.add(key);
          matches.push({ x: i, y: j });
        }
      }
    }
  }
  // Every match of the group in flight together: the engine batches them and shares the query.
  const scores = await Promise.all(matches.map(async (mt, k) => {
    const other = mt.other ?? responses[mt.y];
    const firstIsX = k % 2 === 0;
    const seed = (o.seed ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0;
    const r = await judge(firstIsX ? responses[mt.x] : other, firstIsX ? other : responses[mt.x], seed);
    if (r.winner === null) return 0.5;
    return (r.winner === "a") === firstIsX ? 1 : 0;
  }));
  const tally = (i: number, s: number) => {
    if (s === 1) details[i].wins++;
    else if (s === 0) details[i].losses++;
    else details[i].invalid++;
  };
  matches.forEach((mt, k) => {
    tally(mt.x, scores[k]);
    if (o.mode === "elo") tally(mt.y, 1 - scores[k]);
  });
  if (o.mode === "elo") {
    const rated: RatedMatch[] = matches.map((mt, k) => ({ a: mt.x, b: mt.y, scoreA: scores[k] }));
    const ratings = onlineElo(n, rated, o.seed);
    ratings.forEach((r, i) => {
      details[i].rating = r;
      details[i].reward = (r - ELO_DEFAULTS.initial) / 200 + 0.5;
    });
  } else {
    for (let i = 0; i < n; i++) {
      const d = details[i];
      const played = d.wins + d.losses + d.invalid;
      d.reward = i === baseline ? 0.5 : played ? (d.wins + 0.5 * d.invalid) / played : 0.5;
    }
  }
  return { rewards: details.map((d) => d.reward), details, mode: o.mode, matches: matches.length };
}

async function swissRewards(responses: readonly string[], o: RewardOptions, judge: PairJudge): Promise<GroupRewards> {
  const n = responses.length;
  if (n < 2) return { rewards: responses.map(() => 0.5), details: responses.map(() => ({ reward: 0.5, wins: 0, losses: 0, invalid: 0, score: 0, buchholz: 0, byes: 0, place: 1 })), mode: "swiss", matches: 0, rounds: 0 };
  let played = 0;
  // A round's matches in flight together; the k-th match of the tournament shows its "a" first
  // when k is even, so neither the higher-standing side nor any response owns a position.
  const playRound: PlayRound = (pairs, _round, matchDone) => {
    const offset = played;
    played += pairs.length;
    return Promise.all(pairs.map(async (p, k): Promise<MatchOutcome> => {
      const aFirst = (offset + k) % 2 === 0;
      const r = await judge(responses[aFirst ? p.a : p.b], responses[aFirst ? p.b : p.a], p.seed);
      matchDone();
      const winner = r.winner === null ? null : (r.winner === "a") === aFirst ? "a" : "b";
      return { winner, votes: { a: winner === "a" ? 1 : 0, b: winner === "b" ? 1 : 0, invalid: winner === null ? 1 : 0 } };
    }));
  };
  const sw = await swiss(n, playRound, o.seed, swissRoundsPlayed(n, o.rounds));
  const details: ResponseReward[] = new Array(n);
  // Standings are in final order; equal points sit together.
  for (let top = 0; top < n;) {
    let end = top;
    while (end < n && sw.standings[end].score === sw.standings[top].score) end++;
    const g = end - top;
    for (let p = top; p < end; p++) {
      const st = sw.standings[p];
      const t = (end - 1 - p) / (2 * g);
      details[st.index] = {
        reward: (st.score + t) / (sw.rounds + 0.5),
        wins: st.wins, losses: st.losses, invalid: st.draws,
        score: st.score, buchholz: st.buchholz, byes: st.byes, place: p + 1,
      };
    }
    top = end;
  }
  return { rewards: details.map((d) => d.reward), details, mode: "swiss", matches: sw.matches.length, rounds: sw.rounds };
}
