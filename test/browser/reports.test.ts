// The HTML reports in a real headless browser: self-contained (no script, no network), the
// expected elements present and laid out with real sizes, the screenshot not blank.
import { test as plainTest } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluateItem, parseEvalItem } from "../../lib/eval/items.js";
import { summarize } from "../../lib/eval/summary.js";
import { evalReportHtml } from "../../lib/report/eval-report.js";
import { rankReportHtml } from "../../lib/report/rank-report.js";
import { rankCandidates } from "../../lib/tournament/rank.js";
import { ScriptedJudge } from "../helpers/scripted-judge.js";
import { measure, screenshot } from "../helpers/browser.js";
import { decodePng, inkShare } from "../helpers/png.js";
import { CHROMIUM, testNeeding } from "../helpers/system-tools.js";

const test = testNeeding(plainTest, CHROMIUM);

const dir = mkdtempSync(join(tmpdir(), "rrm-report-"));

function selfContained(html: string) {
  assert.not.match(html, /<script/i);
  assert.not.match(html, /(src|href)=["']?(https?:)?\/\//i);
  assert.not.match(html, /@import|url\(/i);
}

test("eval report: subset bars with intervals, sections, histogram, position bias", async () => {
  const judge = new ScriptedJudge();
  const subsets = ["alpacaeval-easy", "mt-bench-hard", "xstest-should-respond", "math-prm", "hep-go", "my-own-set"];
  const recs = [];
  for (let i = 0; i < 30; i++) {
    const chosen = i % 3 === 0 ? "bad answer" : i % 5 === 0 ? "first answer" : "good answer".repeat(1 + (i % 4));
    recs.push(await evaluateItem(judge, parseEvalItem({ id: i, prompt: "q", chosen, rejected: "meh", subset: subsets[i % subsets.length] }, i + 1), { votes: 2, swap: "alternate", seed: i }));
  }
  const html = evalReportHtml(summarize(recs, 60_000), { title: "rrm eval: test <file>", model: "m.gguf" });
  selfContained(html);
  assert.match(html, /test &lt;file&gt;/);
  const path = join(dir, "eval.html");
  writeFileSync(path, html);
  const boxes = measure(path, ["#subset-accuracy", "#subset-accuracy rect.bar", "#subset-accuracy line.ci", "#section-scores", "#token-histogram rect.bar", "#position-bias tr", "#sections tr"], dir);
  assert.is(boxes["#subset-accuracy rect.bar"].length, 6);
  assert.is(boxes["#subset-accuracy line.ci"].length, 6);
  assert.ok(boxes["#subset-accuracy"][0].w > 500 && boxes["#subset-accuracy"][0].h > 100, JSON.stringify(boxes["#subset-accuracy"]));
  assert.ok(boxes["#subset-accuracy rect.bar"].every((b) => b.w >= 1 && b.h > 5));
  assert.is(boxes["#token-histogram rect.bar"].length, 12);
  assert.is(boxes["#position-bias tr"].length, 3);
  assert.is(boxes["#sections tr"].length, 6); // header, ours, 4 paper rows
  // Laid out top to bottom in order, not stacked on each other.
  assert.ok(boxes["#section-scores"][0].y > boxes["#subset-accuracy"][0].y + boxes["#subset-accuracy"][0].h - 1);
  const png = decodePng(screenshot(path, join(dir, "eval.png")));
  const ink = inkShare(png);
  assert.ok(ink > 0.02 && ink < 0.6, `ink ${ink}`);
});

test("rank report: texts, knockout bracket with votes and its bye, online Elo and Bradley-Terry intervals in charts of their own", async () => {
  const judge = new ScriptedJudge();
  const cands = ["meh 0", "good 1", "bad 2", "meh 3", "bad 4", "good 5", "meh 6"];
  const k = await rankCandidates(judge, "q", cands, { strategy: "knockout", votes: 3, seed: 3, swap: "none" });
  const e = await rankCandidates(judge, "q", cands.slice(0, 5), { strategy: "elo", bootstrap: 50, votes: 1, seed: 4, swap: "none" });
  const texts = new Map([[1, { query: "q", candidates: cands }], [2, { query: "q", candidates: cands.slice(0, 5) }]]);
  const html = rankReportHtml([{ line: 1, ...k }, { line: 2, ...e }, { line: 3, error: "line 3: \"candidates\" must be a non-empty array of strings" }], { title: "rrm rank", model: "m.gguf", texts });
  selfContained(html);
  const path = join(dir, "rank.html");
  writeFileSync(path, html);
  const boxes = measure(path, ["svg.bracket", "svg.bracket g.match", "svg.bracket g.bye", "svg.bracket g.champion", "#elo-1 rect.bar", "#bt-1 rect.bar", "#bt-1 line.ci", "table.candidates tr", "section.item"], dir);
  assert.is(boxes["svg.bracket g.match"].length, 6); // 7 candidates: 6 matches
  assert.is(boxes["svg.bracket g.bye"].length, 1); // and one bye in an 8-slot bracket
  assert.is(boxes["table.candidates tr"].length, 7 + 1 + 5 + 1); // rows and headers of both items
  assert.is(boxes["svg.bracket g.champion"].length, 1);
  assert.ok(boxes["svg.bracket"][0].w > 400);
  assert.is(boxes["#elo-1 rect.bar"].length, 5);
  assert.is(boxes["#bt-1 rect.bar"].length, 5);
  assert.is(boxes["#bt-1 line.ci"].length, 5);
  assert.is(boxes["section.item"].length, 3);
  assert.match(readFileSync(path, "utf8"), new RegExp(`winner: #${k.winner} ${cands[k.winner]}`));
  const ink = inkShare(decodePng(screenshot(path, join(dir, "rank.png"))));
  assert.ok(ink > 0.02, `ink ${ink}`);
});

test.run();
