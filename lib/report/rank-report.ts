// rrm rank --report: per item, the query and every candidate's text (shortened, whole on hover or
// when expanded), then the knockout bracket with each match's votes and the byes, the ratings (one
// rating system per chart, named: online Elo, which decides the ranking, and Bradley–Terry with
// bootstrap intervals where asked for), or the Swiss standings; under a budget, where the
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

/** An item's texts, from the input line (not kept in the output records). */
export interface RankTexts { query: string; candidates: string[] }

/** One line, at most `n` characters: whitespace runs as one space, an ellipsis where cut. */
export function shorten(text: string, n: number): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length <= n ? one : one.slice(0, n - 1).trimEnd() + "…";
}

/** A text shortened, the whole of it on hover (title) and when expanded (details). */
function expandable(text: string, n: number, cls: string): string {
  const short = shorten(text, n);
  if (short === text) return `<span class="${cls}">${esc(text)}</span>`;
  return `<details class="${cls}"><summary title="${esc(text)}">${esc(short)}</summary><div class="full">${esc(text)}</div></details>`;
}

/** "#3 Paris is the capital…": a candidate as the charts and tables name it. */
function candidateLabel(i: number | null | undefined, texts: RankTexts | undefined, n = 24): string {
  if (i === null || i === undefined) return "–";
  const t = texts?.candidates[i];
  return t === undefined ? `candidate ${i}` : `#${i} ${shorten(t, n)}`;
}

function votesText(m: MatchRecord): string {
  return `${m.votes.a}–${m.votes.b}${m.votes.invalid ? ` (${m.votes.invalid} invalid)` : ""}`;
}

/**
 * The bracket as columns, round by round: each pair of entrants is a match (its votes, the winner
 * in bold) or a bye (one entrant goes through unplayed); the whole candidate text on hover.
 */
export function bracketSvg(r: RankRecord, id: string, texts?: RankTexts): string {
  const matches = r.matches ?? [];
  const rounds = Math.max(1, r.rounds ?? 1);
  // Entrants round by round (the record's bracket), else the matches alone (older records).
  const slots = Array.from({ length: rounds }, (_, ri) => {
    const entrants = r.bracket?.[ri];
    const played = matches.filter((m) => m.round === ri + 1);
    if (!entrants) return played.map((m) => ({ match: m as MatchRecord | undefined, bye: undefined as number | undefined }));
    const out: { match?: MatchRecord; bye?: number }[] = [];
    for (let k = 0; k < entrants.length; k += 2) {
      const [a, b] = [entrants[k], entrants[k + 1]];
      if (a === null || b === null || b === undefined) out.push({ bye: (a ?? b) as number });
      else out.push({ match: played.find((m) => (m.a === a && m.b === b) || (m.a === b && m.b === a)) });
    }
    return out;
  });
  const colW = 220, boxH = 58, gap = 14, left = 8, top = 24;
  const rows = Math.max(1, ...slots.map((x) => x.length));
  const height = top + rows * (boxH + gap) + 34;
  const width = left + (rounds + 1) * colW;
  const title = (c: number) => (texts?.candidates[c] !== undefined ? `<title>${esc(`#${c}: ${texts.candidates[c]}`)}</title>` : "");
  const parts: string[] = [];
  slots.forEach((xs, ri) => {
    const x = left + ri * colW;
    parts.push(`<text x="${x}" y="14" font-size="12" font-weight="600">Round ${ri + 1}</text>`);
    // Later rounds are spaced out to sit between the matches that fed them.
    const span = (rows * (boxH + gap)) / Math.max(1, xs.length);
    xs.forEach((slot, mi) => {
      const y = top + mi * span + (span - boxH - gap) / 2;
      if (slot.bye !== undefined) {
        parts.push(`<g class="bye"><rect x="${x}" y="${y}" width="${colW - 24}" height="${boxH}" rx="4" fill="#fff" stroke="#b8c0cc" stroke-dasharray="4 3"/><text x="${x + 8}" y="${y + 16}" font-size="12">${title(slot.bye)}${esc(candidateLabel(slot.bye, texts))}</text><text x="${x + 8}" y="${y + 32}" font-size="11" fill="#5b6573">bye: goes through unplayed</text></g>`);
        return;
      }
      const m = slot.match;
      if (!m) return;
      const line = (c: number, yy: number) => `<text x="${x + 8}" y="${yy}" font-size="12"${m.winner === c ? ' font-weight="700"' : ""}>${title(c)}${esc(candidateLabel(c, texts))}${m.winner === c ? " ✓" : ""}</text>`;
      parts.push(`<g class="match"><rect x="${x}" y="${y}" width="${colW - 24}" height="${boxH}" rx="4" fill="#f4f6f8" stroke="#b8c0cc"/>${line(m.a, y + 16)}${line(m.b, y + 32)}<text x="${x + 8}" y="${y + 49}" font-size="11" fill="#5b6573">votes ${esc(votesText(m))}${m.tieBreak ? ` ${esc(m.tieBreak)}` : ""}</text></g>`);
    });
  });
  const cx = left + rounds * colW;
  const winner = r.winner !== undefined ? `${title(r.winner)}winner: ${esc(candidateLabel(r.winner, texts, 18))}` : "winner: –";
  parts.push(`<g class="champion"><rect x="${cx}" y="${top + (rows * (boxH + gap)) / 2 - boxH / 2}" width="${colW - 24}" height="${boxH}" rx="4" fill="#e6f4ea" stroke="#4c9a5e"/><text x="${cx + 8}" y="${top + (rows * (boxH + gap)) / 2 + 4}" font-size="13" font-weight="700">${winner}</text></g>`);
  return `<svg id="${esc(id)}" class="bracket" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${parts.join("")}</svg>`;
}

function ratingChart(rows: { label: string; value: number; low?: number; high?: number; text: string }[], id: string): string {
  const all = rows.flatMap((x) => [x.value, x.low ?? x.value, x.high ?? x.value]);
  const min = Math.floor((Math.min(...all) - 20) / 50) * 50, max = Math.ceil((Math.max(...all) + 20) / 50) * 50;
  return barChart(rows, { id, min, max });
}

/**
 * One rating system per chart: online Elo decides the ranking and the winner; with --bootstrap,
 * Bradley–Terry ratings and their intervals get a chart of their own (their order can differ).
 */
function eloSection(r: RankRecord, id: string, texts?: RankTexts): string {
  const ranking = r.ranking ?? [];
  const label = (c: RankedCandidate) => candidateLabel(c.index, texts);
  const elo = ranking.filter((c) => c.rating !== undefined).map((c) => ({ label: `${label(c)}${c.index === r.winner ? " (winner)" : ""}`, value: c.rating!, text: c.rating!.toFixed(0) }));
  const parts: string[] = [];
  if (elo.length) parts.push(`<h3>Online Elo</h3>${ratingChart(elo, `elo-${id}`)}<p class="note">${esc("Online Elo ratings over the matches in their seeded order: they decide the ranking and the winner.")}</p>`);
  const bt = ranking.filter((c) => c.interval || c.bradleyTerry !== undefined);
  if (bt.length) {
    const sorted = [...bt].sort((a, b) => (b.bradleyTerry ?? 0) - (a.bradleyTerry ?? 0));
    const rows = sorted.map((c) => {
      const v = c.bradleyTerry ?? 0;
      return { label: label(c), value: v, low: c.interval?.low, high: c.interval?.high, text: c.interval ? `${v.toFixed(0)} [${c.interval.low.toFixed(0)}, ${c.interval.high.toFixed(0)}]` : v.toFixed(0) };
    });
    parts.push(`<h3>Bradley–Terry</h3>${ratingChart(rows, `bt-${id}`)}<p class="note">${esc("Bradley–Terry ratings over every match, with bootstrap 95% intervals (whiskers); for reference: the ranking is online Elo's.")}</p>`);
  } else parts.push(`<p class="note">${esc("Run with --bootstrap N for Bradley–Terry ratings with intervals.")}</p>`);
  const name = (c: number | null) => (c === null ? "none" : candidateLabel(c, texts));
  return parts.join("") + table(["match", "votes a–b", "winner"], (r.matches ?? []).map((m) => [`${name(m.a)} vs ${name(m.b)}`, votesText(m), name(m.winner)]));
}

function swissSection(r: RankRecord, texts?: RankTexts): string {
  const ranking = r.ranking ?? [];
  const name = (c: number | null) => (c === null ? "draw" : candidateLabel(c, texts));
  const standings = table(["place", "candidate", "points", "Buchholz", "Bradley–Terry"], ranking.map((c, k) => [k + 1, `${candidateLabel(c.index, texts)}${c.index === r.winner ? " (winner)" : ""}`, c.score ?? 0, c.buchholz ?? 0, c.bradleyTerry?.toFixed(0) ?? ""]));
  const note = "Order: points (win 1, draw 1/2, bye 1), then Buchholz (the opponents' points), then Bradley–Terry over every match.";
  const rounds = Array.from({ length: r.rounds ?? 0 }, (_, k) => k + 1).map((round) => {
    const ms = (r.matches ?? []).filter((m) => m.round === round);
    const bye = r.byes?.[round - 1];
    return `<h3>Round ${round}${bye !== null && bye !== undefined ? ` · bye: ${esc(candidateLabel(bye, texts))}` : ""}</h3>` + table(["match", "votes a–b", "winner"], ms.map((m) => [`${name(m.a)} vs ${name(m.b)}`, votesText(m), name(m.winner)]));
  });
  return `${standings}<p class="note">${esc(note)}</p>${rounds.join("")}`;
}

function budgetSection(b: BudgetRecord): string {
  const head = `<p class="note">${esc(`Budget: ${b.spent} of ${b.total} judgments spent (at most ${b.maxVotes} per match, a match stops at ${b.confidence} confidence).`)}</p>`;
  return head + table(["round", "matches", "share", "spent", "extra waves"], b.rounds.map((x) => [x.round, x.matches, x.share, x.spent, x.extraWaves]));
}

/** The query and every candidate, shortened, whole when expanded; in ranking order when there is one. */
function textsSection(r: RankRecord, texts: RankTexts | undefined): string {
  if (!texts) return `<p class="note">${esc(`The texts are in the input, line ${r.line}.`)}</p>`;
  const place = new Map((r.ranking ?? []).map((c, k) => [c.index, k + 1]));
  const order = texts.candidates.map((_, i) => i).sort((a, b) => (place.get(a) ?? 1e9) - (place.get(b) ?? 1e9) || a - b);
  const rows = order.map((i) => `<tr><td>${place.get(i) ?? ""}</td><td>#${i}${i === r.winner ? " (winner)" : ""}</td><td class="text">${expandable(texts.candidates[i], 140, "candidate")}</td></tr>`);
  return `<div class="query"><b>Query:</b> ${expandable(texts.query, 240, "query-text")}</div><table class="candidates"><thead><tr><th>place</th><th>candidate</th><th>text</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

export function rankReportHtml(records: RankRecord[], o: { title: string; model: string; run?: RunDescription; texts?: Map<number, RankTexts> }): string {
  const sorted = [...records].sort((a, b) => a.line - b.line);
  const shown = sorted.slice(0, MAX_ITEMS);
  const body = shown.map((r, i) => {
    const texts = o.texts?.get(r.line);
    const head = `<h2>Line ${r.line}${r.id !== undefined ? ` · ${esc(r.id)}` : ""}${texts ? ` · ${esc(shorten(texts.query, 80))}` : ""}</h2>`;
    if (r.error) return `<section class="item error">${head}<p>error: ${esc(r.error)}</p></section>`;
    const stats = r.stats ? `<p class="note">${esc(`${r.strategy}, ${r.matches?.length ?? 0} matches, ${r.stats.judgments} judgments, ${r.stats.generatedTokens} generated tokens`)}</p>` : "";
    const main = r.strategy === "elo" ? eloSection(r, String(i), texts) : r.strategy === "swiss" ? swissSection(r, texts) : bracketSvg(r, `bracket-${i}`, texts);
    return `<section class="item">${head}${textsSection(r, texts)}${stats}${main}${r.budget ? budgetSection(r.budget) : ""}</section>`;
  });
  const more = sorted.length > MAX_ITEMS ? `<p class="note">${sorted.length - MAX_ITEMS} more items are in the JSONL output.</p>` : "";
  return page(o.title, `model ${o.model}; ${records.length} items; written ${new Date().toISOString().slice(0, 19)}Z`, body.join("\n") + more + runSettingsSection(o.run));
}
