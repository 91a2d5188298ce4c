// Counting votes: pure functions, shared by the judge and its tests.
/** Votes for each side; `ties` is there only for judges whose rule has a tie (lib/judges). */
export interface VoteCount { a: number; b: number; invalid: number; cancelled: number; ties?: number }

/** Judgments that gave a verdict or none (not cancelled ones): a, b, ties and invalid. */
export const castVotes = (c: VoteCount) => c.a + c.b + (c.ties ?? 0) + c.invalid;

export type Side = "a" | "b";
export type TieBreak = "none" | "a" | "b" | "probability" | "coin";

/**
 * The side that already has more than half of all `total` votes: the rest cannot change it. A tie
 * is half a vote for each side (votes.a + ties / 2 against the rest).
 */
export function decidedSide(count: VoteCount, total: number): Side | null {
  const t = count.ties ?? 0;
  if (count.a * 2 + t > total) return "a";
  if (count.b * 2 + t > total) return "b";
  return null;
}

export interface Outcome {
  winner: Side | null;
  /** Why there is no winner, or how a tie was broken. */
  reason?: "tie" | "no-valid-votes" | "tie-break:a" | "tie-break:b" | "tie-break:probability" | "tie-break:coin";
}

/**
 * Majority of valid votes (a tie vote is half for each side, so it never moves the majority). An
 * even split or no valid vote is no winner unless the caller chose a
 * tie-break policy; `probabilityA` (from forced verdicts) and `coin` serve those policies.
 */
export function majority(count: VoteCount, tieBreak: TieBreak = "none", probabilityA?: number, coin?: () => boolean): Outcome {
  if (count.a > count.b) return { winner: "a" };
  if (count.b > count.a) return { winner: "b" };
  const reason = count.a + count.b + (count.ties ?? 0) === 0 ? "no-valid-votes" : "tie";
  switch (tieBreak) {
    case "a":
    case "b":
      return { winner: tieBreak, reason: `tie-break:${tieBreak}` };
    case "probability":
      if (probabilityA !== undefined && probabilityA !== 0.5) return { winner: probabilityA > 0.5 ? "a" : "b", reason: "tie-break:probability" };
      if (coin) return { winner: coin() ? "a" : "b", reason: "tie-break:coin" };
      return { winner: null, reason };
    case "coin":
      return coin ? { winner: coin() ? "a" : "b", reason: "tie-break:coin" } : { winner: null, reason };
    default:
      return { winner: null, reason };
  }
}
