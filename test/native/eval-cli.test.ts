// rrm eval, resume and shards on the real engine with the test model: the summary's arithmetic
// from the per-item output; runs killed (SIGKILL) and interrupted (SIGINT) at random points and
// resumed, and 3 merged shards, write the bytes of an uninterrupted run, on the default engine
// (batch-invariant on the CPU: no flag needed).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tinyRrmModel } from "../helpers/models.js";
import { recordsIn } from "../helpers/rrm-process.js";

const entry = new URL("../../lib/cli/entry.ts", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "rrm-eval-cli-"));
const rrm = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { encoding: "utf8", timeout: 300_000 });
const JUDGE = ["--model", "", "--votes", "3", "--thinking-budget", "12", "--max-tokens", "20", "--threads", "2", "--no-progress", "--no-early-stop"];
const judge = () => (JUDGE[1] = tinyRrmModel(), JUDGE);

const subsets = ["alpacaeval-easy", "mt-bench-hard", "xstest-should-refuse", "hep-go", "custom"];
const evalInput = join(dir, "rb.jsonl");
writeFileSync(evalInput, [
  ...Array.from({ length: 9 }, (_, i) => JSON.stringify({ id: `e${i}`, prompt: `Question ${i}: which is better?`, chosen: `Answer ${i} that is right`, rejected: `Answer ${i} that is wrong`, subset: subsets[i % subsets.length] })),
  "{oops",
  JSON.stringify({ id: "b1", prompt: "Pick one", chosen: ["right"], rejected: ["wrong 1", "wrong 2", "wrong 3"], subset: "Focus" }),
].join("\n") + "\n");

test("eval: per-item records, the summary recomputes from them, report and JSON written", () => {
  const out = join(dir, "items.jsonl"), json = join(dir, "summary.json"), html = join(dir, "eval.html");
  const r = rrm(["eval", ...judge(), "--swap", "alternate", "-i", evalInput, "-o", out, "--json", json, "--report", html]);
  assert.is(r.status, 1, r.stderr); // the bad line fails; the rest is judged
  const items = recordsIn(out) as any[];
  assert.is(items.length, 11);
  assert.match(items[9].error, /line 10: not valid JSON/);
  assert.is(items[10].format, "best-of-n");
  assert.is(items[10].comparisons.length, 3);
  const s = JSON.parse(readFileSync(json, "utf8"));
  assert.is(s.items, 10);
  assert.is(s.failedItems, 1);
  for (const sub of s.subsets) {
    const mine = items.filter((x) => x.subset === sub.subset);
    const acc = mine.reduce((t: number, x: { score: number }) => t + x.score, 0) / mine.length;
    assert.ok(Math.abs(acc - sub.accuracy) < 1e-12, sub.subset);
  }
  assert.ok(s.sections.length === 4);
  assert.ok(Math.abs(s.overall.score - s.sections.reduce((t: number, x: { score: number }) => t + x.score, 0) / 4) < 1e-12);
  // Alternate: every comparison has votes in both orders (2 + 1 of 3 votes).
  assert.is(s.positionBias.bothOrders.comparisons, 12);
  assert.is(s.judgments, 12 * 3);
  assert.match(r.stdout, /### RewardBench sections/);
  assert.match(r.stdout, /RRM-32B \(paper\)/);
  assert.match(readFileSync(html, "utf8"), /id="subset-accuracy"/);
});

function runKilled(args: string[], out: string, signal: NodeJS.Signals, afterBytes: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], { stdio: "ignore" });
    const timer = setInterval(() => {
      if (existsSync(out) && statSync(out).size > afterBytes) {
        child.kill(signal);
        clearInterval(timer);
      }
    }, 20);
    child.on("exit", () => {
      clearInterval(timer);
      resolve();
    });
  });
}

const compareInput = join(dir, "pairs.jsonl");
writeFileSync(compareInput, Array.from({ length: 10 }, (_, i) => JSON.stringify({ id: i, query: `Query number ${i}?`, a: `First answer ${i}`, b: `Second answer ${i}` })).join("\n") + "\n");

test("a RewardBench 2 file with every subset: its own rows, Ties' accuracy parts, no RewardBench 2 score", () => {
  const rb2 = join(dir, "rb2.jsonl");
  const bo4 = (id: string, subset: string) => JSON.stringify({ id, prompt: `Question ${id}?`, chosen: [`Right answer ${id}`], rejected: [`Wrong ${id} a`, `Wrong ${id} b`, `Wrong ${id} c`], subset });
  writeFileSync(rb2, [
    bo4("f1", "Factuality"), bo4("p1", "Precise IF"), bo4("m1", "Math"), bo4("s1", "Safety"), bo4("o1", "Focus"),
    JSON.stringify({ id: "ref:1", prompt: "Name a primary colour", chosen: ["red"], rejected: ["green", "pink"], subset: "Ties" }),
    JSON.stringify({ id: "tied:1", prompt: "Name a primary colour", chosen: ["red", "blue", "yellow"], rejected: ["green", "pink"], subset: "Ties" }),
  ].join("\n") + "\n");
  const json = join(dir, "rb2.json");
  const r = rrm(["eval", ...judge(), "-i", rb2, "-o", join(dir, "rb2-items.jsonl"), "--json", json]);
  assert.is(r.status, 0, r.stderr);
  const s = JSON.parse(readFileSync(json, "utf8"));
  assert.equal(s.subsets.map((x: any) => [x.subset, x.benchmark]), ["Factuality", "Precise IF", "Math", "Safety", "Focus"].map((x) => [x, "RewardBench 2"]));
  assert.equal(s.sections, []);
  assert.is(s.rewardBench2.score, null);
  assert.equal([s.rewardBench2.ties.ref.prompts, s.rewardBench2.ties.tied.prompts], [1, 1]);
  assert.is(s.rewardBench2.meanOfScored.subsets, 5);
  assert.is(s.run.settings.judge.thinkingBudget, 12);
  const items = recordsIn(join(dir, "rb2-items.jsonl")) as any[];
  assert.is(items[6].comparisons.length, 6); // 3 correct x 2 incorrect
  assert.match(r.stdout, /### RewardBench 2/);
  assert.match(r.stdout, /No RewardBench 2 score: it averages all six subsets, and Ties has no score from a pairwise judge/);
  assert.not.match(r.stdout, /not RewardBench\)|### RewardBench sections/);
});

test("eval without -o: stdout is JSONL only (the header and the records), the summary on stderr", () => {
  const r = rrm(["eval", ...judge(), "-i", evalInput]);
  assert.is(r.status, 1, r.stderr); // the bad line
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l)); // every line parses
  assert.ok(lines[0].rrmRun);
  assert.is(lines.length, 12);
  assert.match(r.stderr, /### Accuracy by subset/);
  assert.not.match(r.stdout, /###/);
});

test("compare (default engine): SIGKILL and SIGINT at random points, resumed, equal an uninterrupted run", async () => {
  const full = join(dir, "full.jsonl");
  const args = (out: string) => ["compare", ...judge(), "--temperature", "0.8", "--seed", "7", "-i", compareInput, "-o", out];
  assert.is(rrm(args(full)).status, 0);
  const expected = readFileSync(full, "utf8");
  assert.is(expected.trim().split("\n").length, 11); // the run header and 10 records
  const out = join(dir, "resumed.jsonl");
  const cuts = [0.15, 0.4, 0.7].map((f) => Math.floor(expected.length * (f + Math.random() * 0.1)));
  await runKilled(args(out), out, "SIGKILL", cuts[0]);
  await runKilled([...args(out), "--resume"], out, "SIGINT", cuts[1]);
  await runKilled([...args(out), "--resume"], out, "SIGKILL", cuts[2]);
  const last = rrm([...args(out), "--resume"]);
  assert.is(last.status, 0, last.stderr);
  assert.is(readFileSync(out, "utf8"), expected);
});

test("eval in 3 shards (default engine), merged, equals the unsharded run byte for byte; merge --eval summarizes", () => {
  const base = ["eval", ...judge(), "-i", evalInput];
  const full = join(dir, "eval-full.jsonl");
  rrm([...base, "-o", full]);
  const shards = [0, 1, 2].map((k) => join(dir, `eval-shard${k}.jsonl`));
  shards.forEach((p, k) => rrm([...base, "-o", p, "--shard", `${k}/3`]));
  const merged = join(dir, "eval-merged.jsonl");
  const m = rrm(["merge", "--eval", "-o", merged, "--json", join(dir, "merged.json"), ...shards]);
  assert.is(m.status, 0, m.stderr);
  assert.is(readFileSync(merged, "utf8"), readFileSync(full, "utf8"));
  assert.is(JSON.parse(readFileSync(join(dir, "merged.json"), "utf8")).items, 10);
});

test("rank (default engine; knockout rounds batched together, early stop, both orders): shards merged equal one run; --no-batch-invariant's do not", () => {
  const input = join(dir, "cands.jsonl");
  writeFileSync(input, Array.from({ length: 4 }, (_, i) => JSON.stringify({ query: `Task ${i}`, candidates: Array.from({ length: 5 }, (_, k) => `Candidate ${k} for task ${i}`) })).join("\n") + "\n");
  const args = ["rank", "--model", tinyRrmModel(), "--votes", "4", "--swap", "alternate", "--thinking-budget", "10", "--max-tokens", "16", "--temperature", "0.9", "--threads", "2", "--no-progress", "-i", input];
  const full = join(dir, "rank-full.jsonl");
  assert.is(rrm([...args, "-o", full]).status, 0);
  const again = join(dir, "rank-again.jsonl");
  assert.is(rrm([...args, "-o", again]).status, 0);
  assert.is(readFileSync(again, "utf8"), readFileSync(full, "utf8"));
  const shards = [0, 1].map((k) => join(dir, `rank-shard${k}.jsonl`));
  shards.forEach((p, k) => assert.is(rrm([...args, "-o", p, "--shard", `${k}/2`]).status, 0));
  const merged = join(dir, "rank-merged.jsonl");
  assert.is(rrm(["merge", "-o", merged, ...shards]).status, 0);
  assert.is(readFileSync(merged, "utf8"), readFileSync(full, "utf8"));
  // The control: the old kernels, the same shards and merge; the verdicts move with the batches.
  const off = [...args, "--no-batch-invariant"];
  const offFull = join(dir, "rank-off-full.jsonl");
  assert.is(rrm([...off, "-o", offFull]).status, 0);
  const offShards = [0, 1].map((k) => join(dir, `rank-off-shard${k}.jsonl`));
  offShards.forEach((p, k) => assert.is(rrm([...off, "-o", p, "--shard", `${k}/2`]).status, 0));
  const offMerged = join(dir, "rank-off-merged.jsonl");
  assert.is(rrm(["merge", "-o", offMerged, ...offShards]).status, 0);
  assert.is.not(readFileSync(offMerged, "utf8"), readFileSync(offFull, "utf8"));
});

test("--resume without --output, or a bad --shard, fails before the model loads", () => {
  const a = rrm(["compare", "--model", "/nonexistent.gguf", "--resume"]);
  assert.is(a.status, 2);
  assert.match(a.stderr, /--resume needs --output/);
  const b = rrm(["eval", "--model", "/nonexistent.gguf", "--shard", "4/4"]);
  assert.is(b.status, 2);
  assert.match(b.stderr, /--shard expects K\/N/);
});

test.run();
