// The `rrm` command line, run from source as a child process.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tinyRrmModel } from "../helpers/models.js";
import { jsonRecords } from "../helpers/rrm-process.js";

const entry = new URL("../../lib/cli/entry.ts", import.meta.url).pathname;
const rrm = (args: string[], input?: string) => spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { encoding: "utf8", input, timeout: 120_000 });

test("--help for every command", () => {
  const top = rrm(["--help"]);
  assert.is(top.status, 0);
  for (const cmd of ["compare", "rank", "eval", "merge", "serve", "bench", "demo", "make-model", "info"]) {
    assert.match(top.stdout, cmd);
    const r = rrm([cmd, "--help"]);
    assert.is(r.status, 0, cmd);
    assert.match(r.stdout, `rrm ${cmd}`);
  }
  const bad = rrm(["compare", "--votes", "many"]);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--votes expects an integer/);
  assert.is(rrm(["frobnicate"]).status, 2);
  // A whole-run setting fails at once, before the model loads (this model path does not exist).
  const strategy = rrm(["rank", "--model", "/nonexistent.gguf", "--strategy", "roundrobin"]);
  assert.is(strategy.status, 2);
  assert.match(strategy.stderr, /--strategy must be knockout, elo or swiss/);
});

test("compare: JSONL in, JSONL out in input order, bad lines reported in place", () => {
  const input = [
    JSON.stringify({ id: "x", query: "2+2?", a: "4", b: "5" }),
    "",
    JSON.stringify({ query: "Capital of France?", a: "Paris", b: "Lyon" }),
    JSON.stringify({ query: "missing b", a: "only a" }),
    "{not json",
    JSON.stringify({ query: "After a bad line", a: "x", b: "y" }),
  ].join("\n");
  const r = rrm(["compare", "--model", tinyRrmModel(), "--votes", "3", "--thinking-budget", "4", "--max-tokens", "8", "--seed", "1", "--no-early-stop", "--threads", "2"], input);
  const lines = jsonRecords(r.stdout);
  assert.is(JSON.parse(r.stdout.split("\n")[0]).rrmRun.settings.judge.votes, 3); // the run header first
  assert.is(lines.length, 5);
  assert.is(lines[0].id, "x");
  assert.is(lines[0].line, 1);
  assert.is(lines[0].votes.a + lines[0].votes.b, 3);
  assert.ok(["a", "b"].includes(lines[1].winner));
  assert.match(lines[2].error, /^line 4: "b" is missing$/);
  // A line that is not JSON is that line's error; the lines around it are judged.
  assert.is(lines[3].line, 5);
  assert.match(lines[3].error, /line 5: not valid JSON/);
  assert.is(lines[4].votes.a + lines[4].votes.b, 3);
  assert.is(r.status, 1); // two items failed
  assert.match(r.stderr, /items/); // the progress line
  // The failures on stderr too: the count, each with its line (not only inside the output).
  assert.match(r.stderr, /2 item\(s\) failed:\n  line 4: "b" is missing\n  line 5: not valid JSON \([^\n]+\)\n  each failed item's record has its "error"\n$/);
});

test("a random-weight model without --thinking-budget: one stderr line says why the votes run to the cap", () => {
  const r = rrm(["compare", "--model", tinyRrmModel(), "--max-tokens", "8", "--seed", "1", "--threads", "2", "--no-progress"], JSON.stringify({ query: "q", a: "x", b: "y" }));
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr.match(/random-weight model never closes <\/think>, so every vote runs to --max-tokens \(8 tokens\); give --thinking-budget 64/g)?.length, 1, r.stderr);
});

test("compare --votes 16 at the default maxTokens runs on an engine sized by default", () => {
  const input = JSON.stringify({ query: "2+2?", a: "4", b: "5" });
  const r = rrm(["compare", "--model", tinyRrmModel(), "--votes", "16", "--thinking-budget", "4", "--no-early-stop", "--seed", "2", "--threads", "2", "--no-progress"], input);
  assert.is(r.status, 0, r.stderr);
  const [v] = jsonRecords(r.stdout);
  assert.is(v.votes.a + v.votes.b, 16);
});

test("rank: knockout and elo", () => {
  const input = JSON.stringify({ query: "Best fruit?", candidates: ["apple", "pear", "plum", "fig", "kiwi"] });
  const ko = rrm(["rank", "--model", tinyRrmModel(), "--votes", "1", "--thinking-budget", "3", "--max-tokens", "6", "--seed", "3", "--no-progress"], input);
  assert.is(ko.status, 0, ko.stderr);
  const [k] = jsonRecords(ko.stdout);
  assert.is(k.strategy, "knockout");
  assert.is(k.matches.length, 4);
  const elo = rrm(["rank", "--model", tinyRrmModel(), "--strategy", "elo", "--bootstrap", "10", "--thinking-budget", "3", "--max-tokens", "6", "--seed", "3", "--no-progress"], input);
  assert.is(elo.status, 0, elo.stderr);
  const [e] = jsonRecords(elo.stdout);
  assert.is(e.matches.length, 10);
  assert.ok(e.ranking.every((c: any) => c.interval));
});

test("rank --strategy swiss --rounds past a round-robin's worth: capped, one warning naming --rounds and the bound", () => {
  const five = JSON.stringify({ query: "Best fruit?", candidates: ["apple", "pear", "plum", "fig", "kiwi"] });
  const r = rrm(["rank", "--model", tinyRrmModel(), "--strategy", "swiss", "--rounds", "6", "--thinking-budget", "3", "--max-tokens", "6", "--seed", "3", "--no-progress"], `${five}\n${five}\n`);
  assert.is(r.status, 0, r.stderr);
  const recs = jsonRecords(r.stdout);
  assert.equal(recs.map((x) => x.rounds), [5, 5]);
  assert.is(r.stderr.match(/--rounds/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /rrm rank: --rounds 6 is more than 5 candidates can play without a pair meeting twice \(at most 5, a round-robin's worth\): line 1 plays 5/);
});

test("bench: a sweep's table as JSON and SVG; bad flags fail before any model loads", () => {
  const svg = join(mkdtempSync(join(tmpdir(), "rrm-bench-")), "tg.svg");
  const r = rrm(["bench", "--shape", "tiny", "--prompt", "64", "--gen", "16", "--batch", "1,4", "--kv", "unified,split", "--json", "--svg", svg, "--threads", "2", "--no-progress"]);
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.rows.length, 4);
  for (const row of out.rows) {
    assert.ok(row.sTg > 0 && row.sPp > 0 && row.t > 0);
    assert.is(row.nKv, row.pp + row.b * row.tg);
    assert.is(row.promptSubmitted, row.pp);
  }
  const drawn = readFileSync(svg, "utf8");
  assert.is((drawn.match(/class="series"/g) ?? []).length, 2);
  const table = rrm(["bench", "--shape", "tiny", "--prompt", "32", "--gen", "8", "--batch", "2", "--no-progress"]);
  assert.is(table.status, 0, table.stderr);
  assert.match(table.stdout, /\| +PP \| +TG \| +B \| +N_KV \| +T_PP s \| +S_PP t\/s \| +T_TG s \| +S_TG t\/s \| +T s \| +S t\/s \|/);
  const bad = rrm(["bench", "--batch", "0,x"]);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--batch expects a comma list of positive integers/);
  assert.is(rrm(["bench", "--kv", "both"]).status, 2);
});

test("bench: Ctrl-C prints the rows finished so far", async () => {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, ["--import", "tsx", entry, "bench", "--shape", "tiny", "--prompt", "32", "--gen", "64", "--batch", "1,2,3,4,5,6,7,8,9,10,11,12", "--threads", "2"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "", sent = false;
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => {
    err += d;
    // Interrupt once two rows are done (the progress line counts them).
    if (!sent && / 2\/12 /.test(err)) sent = child.kill("SIGINT");
  });
  const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  assert.is(code, 130, err);
  assert.match(err, /interrupted after \d+ of 12 rows/);
  const rows = out.trim().split("\n").filter((l) => /^\| +32 \|/.test(l));
  assert.ok(rows.length >= 2 && rows.length < 12, out);
});

test("serve: binding beyond loopback without an API key exits non-zero before binding", () => {
  const r = rrm(["serve", "--model", tinyRrmModel(), "--host", "0.0.0.0", "--port", "0"]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /--api-key/);
  assert.not.match(r.stderr, /listening/);
});

test.run();
