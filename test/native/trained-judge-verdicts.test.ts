// Verdicts that mean something, on the trained arithmetic judge (trainedJudgeModel();
// models/arithmetic-judge.md), through the public API, the server and the CLI: its verdicts follow
// the right answer in either place, more votes stop early on a pair it has settled, a forced
// verdict after its check favours the right answer while one before any reasoning does not, and
// tournaments and group rewards crown the right candidate. All on held-out problems (the judge
// never trained on them). The bounds sit well below what the shipped model measures
// (bench/judge-accuracy.ts, BENCHMARKS.md) and far above chance: at chance each fails.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEngine, type Engine } from "../../lib/engine.js";
import { loadModel, type Model } from "../../lib/model.js";
import { SeededRandom } from "../../lib/random.js";
import { createJudge, type Judge } from "../../lib/rrm/judge.js";
import { createJudgeServer } from "../../lib/server/app.js";
import { drawCandidateSet, heldOut, reasoning, type JudgingItem } from "../../lib/train/arithmetic.js";
import { drawSplitItem } from "../../lib/train/dataset.js";
import { trainedJudgeModel } from "../../lib/train/trained-model.js";

let model: Model, engine: Engine, judge: Judge;
test.before(async () => {
  model = await loadModel(trainedJudgeModel());
  engine = createEngine(model, { contextSize: 32768, maxSequences: 64, threads: 2 });
  judge = createJudge(engine);
});
test.after(() => {
  engine.dispose();
  model.dispose();
});

const r = new SeededRandom(7331);
const PAIRS: JudgingItem[] = [...Array.from({ length: 16 }, () => drawSplitItem(r, "add2", true)), ...Array.from({ length: 16 }, () => drawSplitItem(r, "sub2", true))];
const list = (xs: string[]) => xs.map((x) => `  ${x}`).join("\n");
// Shown first for even i, second for odd: the verdict must follow the answer, not the place.
const shown = (p: JudgingItem, i: number) => (i % 2 === 0 ? { a: p.right, b: p.wrong, right: "a" } : { a: p.wrong, b: p.right, right: "b" });

test("one vote follows the right answer, shown first or second (chance: 16 of 32)", async () => {
  const res = await Promise.all(PAIRS.map((p, i) => judge.compare({ query: p.query, a: shown(p, i).a, b: shown(p, i).b }, { swap: "none", seed: 10 + i })));
  const ok = res.map((x, i) => x.winner === shown(PAIRS[i], i).right);
  const first = ok.filter((y, i) => y && i % 2 === 0).length, second = ok.filter((y, i) => y && i % 2 === 1).length;
  const wrong = res.filter((_, i) => !ok[i]).map((x) => x.samples[0].text.replace(/\n/g, " | "));
  assert.ok(first + second >= 22 && first >= 9 && second >= 9, `right shown first: ${first} of 16; second: ${second} of 16; the wrong ones:\n${list(wrong)}`);
});

test("8 votes with early stop: settled pairs stop before the 8th vote, and the majority is right", async () => {
  const eight = PAIRS.filter((_, i) => i % 4 === 0);
  const res = await Promise.all(eight.map((p, i) => judge.compare({ query: p.query, a: p.right, b: p.wrong }, { votes: 8, earlyStop: true, seed: 40 + i })));
  const right = res.filter((x) => x.winner === "a").length;
  const early = res.filter((x) => x.samples.length < 8).length;
  assert.ok(right >= 5, `${right} of 8 majorities right`);
  assert.ok(early >= 4, `${early} of 8 stopped early (votes: ${res.map((x) => x.samples.length).join(" ")})`);
});

test("a forced verdict after the check favours the right answer; one before any reasoning is a guess", async () => {
  // The budget cuts each judgment inside its last check line (`Assistant 2: 75, 7:`): the first
  // answer's check is written. With 1 token the judge has seen nothing of the sum.
  const some = PAIRS.filter((_, i) => i % 2 === 0);
  const budgets = some.map((p) => model.tokenize(reasoning(p.problem, [p.rightValue, p.wrongValue])).length - 4);
  const pRight = async (budget: (i: number) => number) => {
    const res = await Promise.all(some.map((p, i) => judge.compare({ query: p.query, a: p.right, b: p.wrong }, { swap: "none", thinkingBudget: budget(i), seed: 70 + i })));
    const forced = res.map((x) => x.samples[0]).filter((s) => s.finishReason === "forced");
    return { forced: forced.length, mean: forced.reduce((t, s) => t + s.probabilityA!, 0) / Math.max(1, forced.length) };
  };
  const late = await pRight((i) => budgets[i]), none = await pRight(() => 1);
  assert.is(none.forced, 16);
  assert.ok(late.forced >= 12, `${late.forced} of 16 reached the late budget`);
  assert.ok(none.mean > 0.3 && none.mean < 0.7, `mean P(right) with a 1-token budget: ${none.mean.toFixed(3)}`);
  assert.ok(late.mean > 0.62 && late.mean > none.mean + 0.1, `mean P(right) after the check: ${late.mean.toFixed(3)} (1 token: ${none.mean.toFixed(3)})`);
});

test("knockout over 4 candidates, one right: the right one is champion far more often than 1 in 4", async () => {
  const g = new SeededRandom(99);
  const sets = Array.from({ length: 8 }, () => drawCandidateSet(g, "add2", 4, heldOut));
  const res = await Promise.all(sets.map((s, i) => judge.rank(s.query, s.candidates, { votes: 1, seed: 5 + i })));
  const crowned = res.filter((x, i) => x.winner === sets[i].right).length;
  assert.ok(crowned >= 4, `${crowned} of 8: ${res.map((x, i) => `${sets[i].query} right ${sets[i].candidates[sets[i].right]}, champion ${sets[i].candidates[x.winner]}`).join("; ")}`);
});

test("rrm serve: /v1/rewards (elo) ranks the right response in the top 2 of 4 (at least 3 of 4 groups)", async () => {
  const server = createJudgeServer({ defaults: {}, maxQueue: 512, bodyLimit: 1 << 20, requestTimeoutMs: 0, rewardGroups: { size: 4, waitMs: 200, mode: "elo" }, log: () => {} });
  server.setJudge(judge);
  const url = await server.app.listen({ host: "127.0.0.1", port: 0 });
  try {
    const g = new SeededRandom(123);
    const sets = Array.from({ length: 4 }, () => drawCandidateSet(g, "sub2", 4, heldOut));
    const tops = await Promise.all(sets.map(async (s, i) => {
      const res = await fetch(url + "/v1/rewards", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: s.query, responses: s.candidates, mode: "elo", seed: i }) });
      assert.is(res.status, 200);
      const rewards: number[] = (await res.json()).rewards;
      return rewards.filter((x) => x > rewards[s.right]).length < 2;
    }));
    assert.ok(tops.filter(Boolean).length >= 3, `right response in the top 2 in ${tops.filter(Boolean).length} of 4 groups`);
  } finally {
    await server.app.close();
  }
});

test("rrm eval: accuracy on held-out arithmetic pairs above chance (at least 10 of 16)", () => {
  const dir = mkdtempSync(join(tmpdir(), "rrm-trained-eval-"));
  const input = join(dir, "pairs.jsonl"), out = join(dir, "items.jsonl"), json = join(dir, "summary.json");
  writeFileSync(input, PAIRS.filter((_, i) => i % 2 === 1).map((p, i) => JSON.stringify({ id: `p${i}`, prompt: p.query, chosen: p.right, rejected: p.wrong, subset: p.problem.kind })).join("\n") + "\n");
  const entry = new URL("../../lib/cli/entry.ts", import.meta.url).pathname;
  const run = spawnSync(process.execPath, ["--import", "tsx", entry, "eval", "--model", trainedJudgeModel(), "--threads", "2", "--no-progress", "-i", input, "-o", out, "--json", json], { encoding: "utf8", timeout: 300_000 });
  assert.is(run.status, 0, run.stderr);
  const s = JSON.parse(readFileSync(json, "utf8"));
  assert.is(s.items, 16);
  assert.ok(s.allItems.accuracy >= 10 / 16, `accuracy ${s.allItems.accuracy} (${JSON.stringify(s.subsets)})`);
});

test.run();
