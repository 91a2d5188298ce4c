// The rank report a person reads: the query and every candidate's text (shortened, whole on hover
// and when expanded, escaped), knockout byes drawn, one rating system per chart and named. The
// screenshot checks are in test/browser/reports.test.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rankCandidates } from "../../lib/tournament/rank.js";
import { rankReportHtml, shorten, type RankTexts } from "../../lib/report/rank-report.js";
import { ScriptedJudge } from "../helpers/scripted-judge.js";

const cands = ["meh 0", "good 1 <b>bold</b>", "bad 2", "meh 3 " + "long text ".repeat(40) + "THE END", "bad 4", "good 5", "meh 6"];
const query = "Which answer explains <tags> & quotes \"best\"?";

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;

test("knockout: query and candidate texts, byes drawn, winner named by its text", async () => {
  const k = await rankCandidates(new ScriptedJudge(), query, cands, { strategy: "knockout", votes: 1, seed: 3, swap: "none" });
  const texts = new Map<number, RankTexts>([[1, { query, candidates: cands }]]);
  const html = rankReportHtml([{ line: 1, ...k }], { title: "rrm rank", model: "m.gguf", texts });
  assert.ok(html.includes("Which answer explains &lt;tags&gt; &amp; quotes &quot;best&quot;?"), "the query, escaped");
  assert.not.ok(html.includes("<b>bold</b>"), "no candidate text becomes markup");
  for (const c of cands) assert.ok(html.includes(c.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")), `candidate text: ${c.slice(0, 20)}`);
  // The long one: shortened in the table, whole when expanded and on hover.
  assert.ok(html.includes(`<details class="candidate"><summary title="${cands[3]}">${shorten(cands[3], 140)}</summary>`));
  assert.ok(shorten(cands[3], 140).endsWith("…") && shorten(cands[3], 140).length === 140);
  // 7 candidates in an 8-slot bracket: one bye in round 1, drawn; 6 matches.
  assert.is(count(html, /<g class="bye">/g), 1);
  assert.is(count(html, /<g class="match">/g), 6);
  const byeEntrant = k.bracket![0].find((x, i, all) => x !== null && all[i % 2 === 0 ? i + 1 : i - 1] === null);
  assert.match(html, new RegExp(`<g class="bye">.*?#${byeEntrant} .*?bye: goes through unplayed`));
  assert.match(html, new RegExp(`winner: #${k.winner} ${shorten(cands[k.winner], 18).replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/</g, "&lt;").replace(/>/g, "&gt;")}`));
  assert.not.match(html, /candidate \d/); // every entrant named by its text
});

test("elo with --bootstrap: online Elo and Bradley-Terry in separate, named charts; the winner marked on Elo's only", async () => {
  const five = cands.slice(0, 5);
  const e = await rankCandidates(new ScriptedJudge(), query, five, { strategy: "elo", bootstrap: 50, votes: 1, seed: 4, swap: "none" });
  const html = rankReportHtml([{ line: 2, ...e }], { title: "rrm rank", model: "m.gguf", texts: new Map([[2, { query, candidates: five }]]) });
  const elo = /<svg id="elo-0"[^]*?<\/svg>/.exec(html)![0];
  const bt = /<svg id="bt-0"[^]*?<\/svg>/.exec(html)![0];
  assert.match(html, /<h3>Online Elo<\/h3><svg id="elo-0"/);
  assert.match(html, /<h3>Bradley–Terry<\/h3><svg id="bt-0"/);
  assert.is(count(elo, /class="ci"/g), 0, "Elo has no intervals");
  assert.is(count(bt, /class="ci"/g), 5, "Bradley-Terry: an interval each");
  assert.is(count(elo, /\(winner\)/g), 1);
  assert.is(count(bt, /\(winner\)/g), 0);
  // Each chart shows its own system's numbers: Elo's ratings, not Bradley-Terry's.
  for (const c of e.ranking) assert.ok(elo.includes(`>${c.rating!.toFixed(0)}</text>`), `Elo rating of ${c.index}`);
  assert.match(html, /the ranking is online Elo&#39;s/);
});

test("no texts (a stdin run resumed): the report says where they are", async () => {
  const k = await rankCandidates(new ScriptedJudge(), "q", ["a", "b", "c"], { strategy: "knockout", votes: 1, seed: 1 });
  const html = rankReportHtml([{ line: 4, ...k }], { title: "t", model: "m" });
  assert.match(html, /The texts are in the input, line 4\./);
  assert.match(html, /candidate \d/);
});

test.run();
