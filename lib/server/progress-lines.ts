// Streamed /v1/rank progress: the tournament reports every decode step (hundreds a second, most
// of them the same match count). A line goes out when a match finishes, and otherwise at most
// every `minMs` (the tokens of the matches in play), so a client reads a few lines a second.
import type { TournamentProgress } from "../tournament/types.js";

export type RankProgress = TournamentProgress & { generatedTokens: number; judgmentsDone: number };

export function throttledProgress(write: (p: RankProgress) => void, minMs = 500, now: () => number = Date.now): (p: RankProgress) => void {
  let lastMatches = -1, lastAt = -Infinity;
  return (p) => {
    const t = now();
    if (p.matchesDone === lastMatches && t - lastAt < minMs) return;
    lastMatches = p.matchesDone;
    lastAt = t;
    write(p);
  };
}
