// The `rrm` command line, run from source as a child process.
import { spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tinyRrmModel } from "../helpers/models.js";

const entry = new URL("../../lib/cli/entry.ts", import.meta.url).pathname;
const rrm = (args: string[], input?: string) => spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { encoding: "utf8", input, timeout: 120_000 });

test("--help for every command", () => {
  const top = rrm(["--help"]);
  assert.is(top.status, 0);
  for (const cmd of ["compare", "rank", "demo", "make-model", "info"]) {
    assert.match(top.stdout, cmd);
    const r = rrm([cmd, "--help"]);
    assert.is(r.status, 0, cmd);
    assert.match(r.stdout, `rrm ${cmd}`);
  }
  const bad = rrm(["compare", "--votes", "many"]);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--votes expects an integer/);
  assert.is(rrm(["frobnicate"]).status, 2);
});

test("compare: JSONL in, JSONL out in input order, bad lines reported in place", () => {
  const input = [
    JSON.stringify({ id: "x", query: "2+2?", a: "4", b: "5" }),
    "",
    JSON.stringify({ query: "Capital of France?", a: "Paris", b: "Lyon" }),
    JSON.stringify({ query: "missing b", a: "only a" }),
  ].join("\n");
  const r = rrm(["compare", "--model", tinyRrmModel(), "--votes", "3", "--thinking-budget", "4", "--max-tokens", "8", "--seed", "1", "--no-early-stop", "--threads", "2"], input);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.is(lines.length, 3);
  assert.is(lines[0].id, "x");
  assert.is(lines[0].line, 1);
  assert.is(lines[0].votes.a + lines[0].votes.b, 3);
  assert.ok(["a", "b"].includes(lines[1].winner));
  assert.match(lines[2].error, /"b" must be a string/);
  assert.is(r.status, 1); // one item failed
  assert.match(r.stderr, /items/); // the progress line
});

test("rank: knockout and elo", () => {
  const input = JSON.stringify({ query: "Best fruit?", candidates: ["apple", "pear", "plum", "fig", "kiwi"] });
  const ko = rrm(["rank", "--model", tinyRrmModel(), "--votes", "1", "--thinking-budget", "3", "--max-tokens", "6", "--seed", "3", "--no-progress"], input);
  assert.is(ko.status, 0, ko.stderr);
  const k = JSON.parse(ko.stdout);
  assert.is(k.strategy, "knockout");
  assert.is(k.matches.length, 4);
  const elo = rrm(["rank", "--model", tinyRrmModel(), "--strategy", "elo", "--bootstrap", "10", "--thinking-budget", "3", "--max-tokens", "6", "--seed", "3", "--no-progress"], input);
  assert.is(elo.status, 0, elo.stderr);
  const e = JSON.parse(elo.stdout);
  assert.is(e.matches.length, 10);
  assert.ok(e.ranking.every((c: any) => c.interval));
});

test.run();
