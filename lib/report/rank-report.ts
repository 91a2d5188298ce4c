// rrm rank --report: per item, the knockout bracket with each match's votes, the ELO ratings
// with their Bradley–Terry intervals as bars, or the Swiss standings; under a budget, where the
// judgments went, round by round.
import type { BudgetRecord } from "../tournament/budget.js";
import type { RankedCandidate, Strategy } from "../tournament/rank.js";
import type { MatchRecord } from "../tournament/types.js";
import { barChart, esc, page, runSettingsSection, table, type RunDescription } from "./html.js";

export interface RankRecord {
  line: number;
  id?: unknown;
  error?: string;
  winner?: number;
  strategy?: Strategy;
  ranking?: RankedCandidate[];
  matches?: MatchRecord[];
  rounds?: number;
  bracket?: (number | null)[][];
  byes?: (number | null)[];
  budget?: BudgetRecord;
  stats?: { judgments: number; generatedTokens: number };
}

const MAX_ITEMS = 100;

function votesText(m: MatchRecord): string {
  return `${m.votes.a}–${m.votes.b}${m.votes.invalid ? ` (${m.votes.invalid} invalid)` : ""}`;
}

/** The bracket as columns of matches, round by round; the winner of each match in bold. */
export function bracketSvg(r: RankRecord, id: string): string {
  const matches = r.matches ?? [];
  const rounds = Math.max(1, r.rounds ?? 1);
  const byRound = Array.from({ length: rounds }, (_, i) => matches.filter((m) => m.round === i + 1));
  const colW = 200, boxH = 58, gap = 14, left = 8, top = 24;
  const rows = Math.max(1, ...byRound.map((ms) => ms.length));
  const height = top + rows * (boxH + gap) + 34;
  const width = left + (rounds + 1) * colW;
  const parts: string[] = [];
  byRound.forEach((ms, ri) => {
    const x = left + ri * colW;
    parts.push(`<text x="${x}" y="14" font-size="12" font-weight="600">Round ${ri + 1}</text>`);
    // Later rounds are spaced out to sit between the matches that fed them.
    const span = (rows * (boxH + gap)) / Math.max(1, ms.length);
    ms.forEach((m, mi) => {
      const y = top + mi * span + (span - boxH - gap) / 2;
      const line = (c: number, yy: number) => `<text x="${x + 8}" y="${yy}" font-size="12"${m.winner === c ? ' font-weight="700"' : ""}>candidate ${c}${m.winner === c ? " ✓" : ""}</text>`;
      parts.push(`<g class="match"><rect x="${x}" y="${y}" width="${colW - 24}" height="${boxH}" rx="4" fill="#f4f6f8" stroke="#b8c0cc"/>${line(m.a, y + 16)}${line(m.b, y + 32)}<text x="${x + 8}" y="${y + 49}" font-size="11" fill="#5b6573">votes ${esc(votesText(m))}${m.tieBreak ? ` ${esc(m.tieBreak)}` : ""}</text></g>`);
    });
  });
  const cx = left + rounds * colW;
  parts.push(`<g class="champion"><rect x="${cx}" y="${top + (rows * (boxH + gap)) / 2 - boxH / 2}" width="${colW - 24}" height="${boxH}" rx="4" fill="#e6f4ea" stroke="#4c9a5e"/><text x="${cx + 8}" y="${top + (rows * (boxH + gap)) / 2 + 4}" font-size="13" font-weight="700">winner: candidate ${esc(r.winner)}</text></g>`);
  return `<svg id="${esc(id)}" class="bracket" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${parts.join("")}</svg>`;
}

function eloSection(r: RankRecord, id: string): string {
  const ranking = r.ranking ?? [];
  const withBt = ranking.some((c) => c.interval);
  const rows = ranking.map((c) => {
    const v = withBt ? c.bradleyTerry ?? c.rating ?? 0 : c.rating ?? 0;
    return { label: `candidate ${c.index}${c.index === r.winner ? " (winner)" : ""}`, value: v, low: c.interval?.low, high: c.interval?.high, text: c.interval ? `${v.toFixed(0)} [${c.interval.low.toFixed(0)}, ${c.interval.high.toFixed(0)}]` : v.toFixed(0) };
  });
  const all = rows.flatMap((x) => [x.value, x.low ?? x.value, x.high ?? x.value]);
  const min = Math.floor((Math.min(...all) - 20) / 50) * 50, max = Math.ceil((Math.max(...all) + 20) / 50) * 50;
  const chart = barChart(rows, { id, min, max });
  const note = withBt ? "Bradley–Terry ratings with bootstrap 95% intervals (bars from the axis minimum; whiskers: interval)." : "Online ELO ratings (run with --bootstrap N for Bradley–Terry intervals).";
  return `${chart}<p class="note">${esc(note)}</p>` + table(["match", "votes a–b", "winner"], (r.matches ?? []).map((m) => [`${m.a} vs ${m.b}`, votesText(m), m.winner ?? "none"]));
}

function swissSection(r: RankRecord): string {
  const ranking = r.ranking ?? [];
  const standings = table(["place", "candidate", "points", "Buchholz", "Bradley–Terry"], ranking.map((c, k) => [k + 1, `candidate ${c.index}${c.index === r.winner ? " (winner)" : ""}`, c.score ?? 0, c.buchholz ?? 0, c.bradleyTerry?.toFixed(0) ?? ""]));
  const note = "Order: points (win 1, draw 1/2, bye 1), then Buchholz (the opponents' points), then Bradley–Terry over every match.";
  const rounds = Array.from({ length: r.rounds ?? 0 }, (_, k) => k + 1).map((round) => {
    const ms = (r.matches ?? []).filter((m) => m.round === round);
    const bye = r.byes?.[round - 1];
    return `<h3>Round ${round}${bye !== null && bye !== undefined ? ` · bye: candidate ${esc(bye)}` : ""}</h3>` + table(["match", "votes a–b", "winner"], ms.map((m) => [`${m.a} vs ${m.b}`, votesText(m), m.winner ?? "draw"]));
  });
  return `${standings}<p class="note">${esc(note)}</p>${rounds.join("")}`;
}

function budgetSection(b: BudgetRecord): string {
  const head = `<p class="note">${esc(`Budget: ${b.spent} of ${b.total} judgments spent (at most ${b.maxVotes} per match, a match stops at ${b.confidence} confidence).`)}</p>`;
  return head + table(["round", "matches", "share", "spent", "extra waves"], b.rounds.map((x) => [x.round, x.matches, x.share, x.spent, x.extraWaves]));
}

export function rankReportHtml(records: RankRecord[], o: { title: string; model: string; run?: RunDescription }): string {
  const sorted = [...records].sort((a, b) => a.line - b.line);
  const shown = sorted.slice(0, MAX_ITEMS);
  const body = shown.map((r, i) => {
    const head = `<h2>Line ${r.line}${r.id !== undefined ? ` · ${esc(r.id)}` : ""}</h2>`;
    if (r.error) return `<section class="item error">${head}<p>error: ${esc(r.error)}</p></section>`;
    const stats = r.stats ? `<p class="note">${esc(`${r.strategy}, ${r.matches?.length ?? 0} matches, ${r.stats.judgments} judgments, ${r.stats.generatedTokens} generated tokens`)}</p>` : "";
    const main = r.strategy === "elo" ? eloSection(r, `elo-${i}`) : r.strategy === "swiss" ? swissSection(r) : bracketSvg(r, `bracket-${i}`);
    return `<section class="item">${head}${stats}${main}${r.budget ? budgetSection(r.budget) : ""}</section>`;
  });
  const more = sorted.length > MAX_ITEMS ? `<p class="note">${sorted.length - MAX_ITEMS} more items are in the JSONL output.</p>` : "";
  return page(o.title, `model ${o.model}; ${records.length} items; written ${new Date().toISOString().slice(0, 19)}Z`, body.join("\n") + more + runSettingsSection(o.run));
}
