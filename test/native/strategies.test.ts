// Swiss tournaments and judgment budgets on the real engine with the test model: `rrm rank
// --strategy swiss` and `--budget` through the CLI (records, report), /v1/rank and /v1/rewards
// through the server, and --resume / --shard writing the bytes of an uninterrupted --reproducible
// run. Short judgments throughout (a forced verdict after a few tokens of reasoning).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEngine, type Engine } from "../../lib/engine.js";
import { loadModel, type Model } from "../../lib/model.js";
import { createJudge } from "../../lib/rrm/judge.js";
import { createJudgeServer, type JudgeServer } from "../../lib/server/app.js";
import { tinyRrmModel } from "../helpers/models.js";
import { recordsIn } from "../helpers/rrm-process.js";

const entry = new URL("../../lib/cli/entry.ts", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "rrm-strategies-"));
const rrm = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { encoding: "utf8", timeout: 300_000 });
const SHORT = ["--thinking-budget", "6", "--max-tokens", "12", "--threads", "2", "--no-progress"];

const input = join(dir, "cands.jsonl");
writeFileSync(input, Array.from({ length: 2 }, (_, i) => JSON.stringify({ id: `t${i}`, query: `Task ${i}: pick the best`, candidates: Array.from({ length: 5 }, (_, k) => `Candidate ${k} for task ${i}`) })).join("\n") + "\n");
const records = (file: string) => recordsIn(file);

/** The run, again after a cut-off write with --resume, and in 2 merged shards: the same bytes. */
function resumedAndShardedEqual(name: string, args: string[], full: string) {
  const expected = readFileSync(full, "utf8");
  assert.is(expected.trim().split("\n").length, 3); // the run header and 2 records
  // Killed mid-write: the header, the first record and half of the second on disk.
  const cut = join(dir, `${name}-resumed.jsonl`);
  const firstEnd = expected.indexOf("\n", expected.indexOf("\n") + 1) + 1;
  writeFileSync(cut, expected.slice(0, firstEnd + Math.floor((expected.length - firstEnd) / 2)));
  const resumed = rrm([...args, "-o", cut, "--resume"]);
  assert.is(resumed.status, 0, resumed.stderr);
  assert.is(readFileSync(cut, "utf8"), expected, `${name}: resumed`);
  const shards = [0, 1].map((k) => join(dir, `${name}-shard${k}.jsonl`));
  shards.forEach((p, k) => assert.is(rrm([...args, "-o", p, "--shard", `${k}/2`]).status, 0));
  const merged = join(dir, `${name}-merged.jsonl`);
  assert.is(rrm(["merge", "-o", merged, ...shards]).status, 0);
  assert.is(readFileSync(merged, "utf8"), expected, `${name}: merged shards`);
}

test("rrm rank --strategy swiss --reproducible: standings, byes, report; --resume and --shard write the same bytes", () => {
  // 2 votes in both orders per match, 3 rounds of 2 matches and a bye.
  const args = ["rank", "--model", tinyRrmModel(), ...SHORT, "--strategy", "swiss", "--rounds", "3", "--votes", "2", "--swap", "alternate", "--seed", "9", "--reproducible", "-i", input];
  const full = join(dir, "swiss-full.jsonl"), html = join(dir, "swiss.html");
  const r = rrm([...args, "-o", full, "--report", html]);
  assert.is(r.status, 0, r.stderr);
  for (const rec of records(full)) {
    assert.is(rec.strategy, "swiss");
    assert.is(rec.rounds, 3);
    assert.is(rec.matches.length, 3 * 2);
    assert.is(rec.byes.length, 3);
    assert.is(new Set(rec.byes).size, 3, "byes rotate");
    const keys = rec.matches.map((m: { a: number; b: number }) => `${Math.min(m.a, m.b)},${Math.max(m.a, m.b)}`);
    assert.is(new Set(keys).size, keys.length, "no rematch");
    // Points: 1 per win, 1/2 per draw, 1 per bye; standings in order of points.
    assert.is(rec.ranking.reduce((s: number, c: { score: number }) => s + c.score, 0), 6 + 3);
    for (let k = 1; k < rec.ranking.length; k++) assert.ok(rec.ranking[k - 1].score >= rec.ranking[k].score);
    assert.is(rec.winner, rec.ranking[0].index);
    assert.ok(rec.stats.judgments >= 6 && rec.stats.judgments <= 12);
  }
  const page = readFileSync(html, "utf8");
  assert.match(page, /Buchholz/);
  assert.match(page, /Round 3 · bye: #\d Candidate \d for task 0/); // named by its text
  resumedAndShardedEqual("swiss", args, full);
});

test("rrm rank --budget --reproducible: never past the budget, where it went; --resume and --shard write the same bytes", () => {
  // Temperature 0.9: a budget's waves follow the votes, so a run that drew other samples would
  // spend differently.
  const args = ["rank", "--model", tinyRrmModel(), ...SHORT, "--budget", "9", "--temperature", "0.9", "--seed", "9", "--reproducible", "-i", input];
  const full = join(dir, "budget-full.jsonl"), html = join(dir, "budget.html");
  const r = rrm([...args, "-o", full, "--report", html]);
  assert.is(r.status, 0, r.stderr);
  for (const rec of records(full)) {
    assert.is(rec.strategy, "knockout");
    assert.is(rec.matches.length, 4);
    assert.is(rec.budget.total, 9);
    assert.ok(rec.budget.spent <= 9 && rec.budget.spent >= 4, `spent ${rec.budget.spent}`);
    assert.is(rec.stats.judgments, rec.budget.spent);
    assert.is(rec.budget.rounds.reduce((s: number, x: { spent: number }) => s + x.spent, 0), rec.budget.spent);
    const votes = rec.matches.reduce((s: number, m: { votes: { a: number; b: number; invalid: number } }) => s + m.votes.a + m.votes.b + m.votes.invalid, 0);
    assert.is(votes, rec.budget.spent);
    for (const m of rec.matches) assert.ok(m.waves >= 1);
  }
  assert.match(readFileSync(html, "utf8"), /Budget: \d+ of 9 judgments spent/);
  resumedAndShardedEqual("budget", args, full);
  // A budget below one judgment per match is refused, item by item.
  const low = rrm(["rank", "--model", tinyRrmModel(), ...SHORT, "--budget", "3", "-i", input]);
  assert.is(low.status, 1);
  assert.match(low.stdout, /at least 4 judgments/);
});

let model: Model, engine: Engine, server: JudgeServer, url: string;
const post = async (path: string, body: unknown) => {
  const r = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
};

test("/v1/rank: swiss, and swiss and knockout under a budget", async () => {
  model = await loadModel(tinyRrmModel());
  engine = createEngine(model, { contextSize: 8192, maxSequences: 16, threads: 2 });
  server = createJudgeServer({ defaults: { thinkingBudget: 6, maxTokens: 12, seed: 7 }, maxQueue: 512, bodyLimit: 1 << 20, requestTimeoutMs: 0, rewardGroups: { size: 2, waitMs: 200, mode: "baseline" }, log: () => {} });
  server.setJudge(createJudge(engine));
  url = await server.app.listen({ host: "127.0.0.1", port: 0 });
  const candidates = ["one", "two", "three", "four", "five", "six"];
  const sw = await post("/v1/rank", { query: "Pick one", candidates, strategy: "swiss" });
  assert.is(sw.status, 200, JSON.stringify(sw.body));
  assert.is(sw.body.strategy, "swiss");
  assert.is(sw.body.rounds, 4); // ceil(log2 6) + 1
  assert.is(sw.body.matches.length, 4 * 3);
  assert.equal(sw.body.byes, [null, null, null, null]);
  assert.ok(sw.body.ranking.every((c: { score?: number; buchholz?: number }) => typeof c.score === "number" && typeof c.buchholz === "number"));
  const swb = await post("/v1/rank", { query: "Pick one", candidates, strategy: "swiss", rounds: 2, budget: 10 });
  assert.is(swb.status, 200, JSON.stringify(swb.body));
  assert.is(swb.body.matches.length, 6);
  assert.ok(swb.body.budget.spent <= 10 && swb.body.stats.judgments === swb.body.budget.spent);
  const ko = await post("/v1/rank", { query: "Pick one", candidates, budget: 12 });
  assert.is(ko.status, 200, JSON.stringify(ko.body));
  assert.is(ko.body.strategy, "knockout");
  assert.is(ko.body.budget.total, 12);
  assert.ok(ko.body.budget.spent <= 12 && ko.body.stats.judgments === ko.body.budget.spent);
  const tooLow = await post("/v1/rank", { query: "Pick one", candidates, budget: 4 });
  assert.is(tooLow.status, 400);
  assert.match(tooLow.body.error, /at least 5 judgments/);
});

test("/v1/rewards mode swiss: one reward per response from Swiss rounds, in standing order", async () => {
  const responses = ["r0", "r1", "r2", "r3", "r4"];
  const r = await post("/v1/rewards", { query: "Say something", responses, mode: "swiss", seed: 5 });
  assert.is(r.status, 200, JSON.stringify(r.body));
  assert.is(r.body.mode, "swiss");
  assert.is(r.body.rounds, 4);
  assert.is(r.body.matches, 4 * 2);
  assert.is(r.body.rewards.length, 5);
  const byPlace = [...r.body.details].sort((x: { place: number }, y: { place: number }) => x.place - y.place);
  assert.equal(byPlace.map((d: { place: number }) => d.place), [1, 2, 3, 4, 5]);
  for (let k = 1; k < 5; k++) assert.ok(byPlace[k - 1].reward > byPlace[k].reward);
  for (const d of r.body.details) assert.ok(d.reward >= 0 && d.reward < 1 && d.wins + d.losses + d.invalid + d.byes === 4);
  await server.app.close();
  engine.dispose();
  model.dispose();
});

test.run();
