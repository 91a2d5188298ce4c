// The rough edges a new user met (issue 33, item 7), each checked: failed items on stderr, "missing"
// vs "wrong type", a RewardBench line given to compare, "did you mean" for a mistyped flag, eval's
// help listing --swap once, Swiss rounds past a round-robin's worth (API message), votes counted in
// the progress bar as they finish, streamed rank progress throttled, and rrm serve saying a missing
// model or a busy port before anything listens.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runMain } from "../helpers/cli-main.js";
import { comparePair, rankItem } from "../../lib/cli/commands.js";
import { failedItemsText, randomWeightsNote } from "../../lib/cli/judge-jsonl.js";
import { tinyRrmModel } from "../helpers/models.js";
import { closestFlag } from "../../lib/cli/options.js";
import { EVAL_HELP } from "../../lib/cli/eval.js";
import { ProgressBar } from "../../lib/cli/progress.js";
import { parseEvalItem } from "../../lib/eval/items.js";
import { rankCandidates } from "../../lib/tournament/rank.js";
import { throttledProgress, type RankProgress } from "../../lib/server/progress-lines.js";
import { ScriptedJudge } from "../helpers/scripted-judge.js";
import { startRrm } from "../helpers/rrm-process.js";

const run = runMain;

test("failed items on stderr: the count, the first three with their lines, where the rest are", () => {
  const text = failedItemsText(5, [
    { line: 4, error: 'line 4: "b" is missing' },
    { line: 5, error: "line 5: not valid JSON (Unexpected token)" },
    { line: 9, error: "The prompt has 9000 tokens but the engine's context holds 4096 cells" },
  ], "out.jsonl");
  assert.is(text, [
    "5 item(s) failed:",
    '  line 4: "b" is missing',
    "  line 5: not valid JSON (Unexpected token)",
    "  line 9: The prompt has 9000 tokens but the engine's context holds 4096 cells",
    '  ... and 2 more; each failed item\'s record in out.jsonl has its "error"',
  ].join("\n"));
  assert.is(failedItemsText(1, [{ line: 2, error: "x" }]).split("\n").pop(), '  each failed item\'s record has its "error"');
});

test('a missing field is "missing", a wrong one names its type; a RewardBench line points to rrm eval', () => {
  assert.throws(() => comparePair({ query: "q", a: "x" }, 3), /^line 3: "b" is missing$/);
  assert.throws(() => comparePair({ query: "q", a: "x", b: 7 }, 3), /^line 3: "b" must be a string, got a number$/);
  assert.throws(() => comparePair([1, 2], 4), /^line 4: expected a JSON object \{"query", "a", "b"\}, got an array$/);
  assert.throws(() => comparePair({ prompt: "p", chosen: "c", rejected: "r", subset: "s" }, 5), /line 5: this is a RewardBench line \("prompt", "chosen", "rejected"\); rrm eval scores those \(rrm compare reads \{"query", "a", "b"\}\)/);
  assert.throws(() => rankItem({ prompt: "p", chosen: "c", rejected: "r" }, 6), /rrm eval scores those/);
  assert.throws(() => rankItem({ query: "q" }, 7), /^line 7: "candidates" is missing$/);
  assert.throws(() => rankItem({ query: "q", candidates: ["a", 2] }, 7), /"candidates" must be a non-empty array of strings, got an array holding a number/);
  assert.throws(() => parseEvalItem({ prompt: "p", chosen: "c" }, 8), /^line 8: "rejected" is missing$/);
  assert.throws(() => parseEvalItem({ prompt: "p", chosen: "c", rejected: 3 }, 8), /"rejected" must be a string or a non-empty array of strings, got a number/);
  assert.throws(() => parseEvalItem({ query: "q", a: "x", b: "y" }, 9), /line 9: this is a rrm compare line .* rrm eval reads RewardBench lines/);
  assert.equal(comparePair({ query: "q", a: "x", b: "y", id: 1 }, 1), { query: "q", a: "x", b: "y", id: 1 });
});

test('a mistyped flag: "did you mean", with the flag\'s name', async () => {
  const r = await run(["compare", "--model", "/nonexistent.gguf", "--vote", "3"]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^rrm compare: unknown option --vote \(did you mean --votes\?\)/);
  assert.is(closestFlag("--thinking-budgt", ["thinking-budget", "max-tokens"]), "thinking-budget");
  assert.is(closestFlag("--stra", ["strategy", "swap"]), "strategy");
  assert.is(closestFlag("--zzz", ["votes", "swap"]), undefined);
});

test("rrm eval --help lists --swap once", () => {
  assert.is(EVAL_HELP().split("\n").filter((l) => /^\s+--swap /.test(l)).length, 1);
});

test("Swiss rounds past a round-robin's worth: the API names the bound and why", async () => {
  const e = await rankCandidates(new ScriptedJudge(), "q", ["a", "b", "c", "d", "e"], { strategy: "swiss", rounds: 6, seed: 1 }).then(() => undefined, (x) => x as Error);
  assert.match(e!.message, /options\.rounds: 5 candidates play at most 5 Swiss rounds \(a round-robin's worth: more would pair someone twice\), got 6/);
  const ok = await rankCandidates(new ScriptedJudge(), "q", ["a", "b", "c", "d", "e"], { strategy: "swiss", rounds: 5, seed: 1 });
  assert.is(ok.rounds, 5);
});

test("the progress bar counts votes as they finish; an adaptive wave's restart keeps the earlier ones", async () => {
  const bar = new ProgressBar("t", undefined, false);
  const c = bar.itemCounter();
  c(100, 0);
  c(250, 1);
  assert.equal([bar.tokens, bar.votes], [250, 1]);
  c(300, 2);
  c(20, 0); // the next wave starts from 0
  c(80, 1);
  assert.equal([bar.tokens, bar.votes], [380, 3]);
  c.final(3);
  assert.is(bar.votes, 3);
  // Rank reports judgments as they finish too.
  const seen: number[] = [];
  await rankCandidates(new ScriptedJudge(), "q", ["good", "bad", "meh", "bad2"], { strategy: "elo", votes: 2, seed: 3, onProgress: (p) => void seen.push(p.judgmentsDone) });
  assert.ok(seen.length > 0 && seen[seen.length - 1] === 12 && seen.some((x) => x > 0 && x < 12), JSON.stringify(seen));
});

test("streamed rank progress: a line per finished match, and between them at most one per 500 ms", () => {
  let t = 0;
  const out: RankProgress[] = [];
  const f = throttledProgress((p) => out.push(p), 500, () => t);
  const step = (matchesDone: number, tokens: number) => f({ matchesDone, matchesTotal: 4, round: 1, generatedTokens: tokens, judgmentsDone: matchesDone });
  for (let i = 0; i < 1000; i++) {
    t += 1; // a decode step a millisecond
    step(i < 600 ? 0 : 1, i);
  }
  // 0..599 ms: lines at 1, 501; at 601 the match finished: a line; then 1101 is past the end.
  assert.equal(out.map((p) => [p.matchesDone, p.generatedTokens]), [[0, 0], [0, 500], [1, 600]]);
});

test("rrm serve: a missing model and a busy port are said plainly, before anything listens", async () => {
  const r = await run(["serve", "--model", "/nonexistent/judge.gguf", "--port", "0"]);
  assert.is(r.code, 2);
  assert.is(r.stderr, "rrm serve: cannot read the model /nonexistent/judge.gguf: no such file or directory (ENOENT)");
  const busy = createServer();
  await new Promise<void>((res) => busy.listen(0, "127.0.0.1", res));
  const port = (busy.address() as { port: number }).port;
  const model = join(mkdtempSync(join(tmpdir(), "rrm-serve-")), "m.gguf");
  writeFileSync(model, "not loaded: the port is checked first");
  try {
    const p = startRrm(["serve", "--model", model, "--port", String(port)]);
    const { code } = await p.exited;
    assert.is(code, 1, p.stderr());
    assert.is(p.stderr(), `rrm serve: port ${port} on 127.0.0.1 is already in use (another rrm serve?): stop that process or give another --port\n`);
  } finally {
    busy.close();
  }
});

test("a random-weight model without a thinking budget: one line says why votes run to the token cap", () => {
  const m = tinyRrmModel();
  assert.match(randomWeightsNote(m, {})!, /random weights\): a random-weight model never closes <\/think>, so every vote runs to --max-tokens \(8192 tokens\); give --thinking-budget 64/);
  assert.match(randomWeightsNote(m, { maxTokens: 100 })!, /--max-tokens \(100 tokens\)/);
  assert.is(randomWeightsNote(m, { thinkingBudget: 64 }), undefined);
  const notGguf = join(mkdtempSync(join(tmpdir(), "rrm-note-")), "x.gguf");
  writeFileSync(notGguf, "not a model");
  assert.is(randomWeightsNote(notGguf, {}), undefined);
});

test.run();
