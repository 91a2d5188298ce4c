// Admission by use: work larger than the KV cache runs by preempting samples to host memory and
// resuming them; the paper's settings run on a default engine; fairness under load.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEngine, type Engine, type GenerateRequest } from "../../lib/engine.js";
import { loadModel, type Model } from "../../lib/model.js";
import { createJudge } from "../../lib/rrm/judge.js";
import { tinyModel, tinyRrmModel } from "../helpers/models.js";

let model: Model;
test.before(async () => {
  model = await loadModel(tinyModel());
});
test.after(() => model.dispose());

const PROMPT = "The history of the printing press begins in";

function idle(e: Engine) {
  const s = e.stats();
  assert.is(s.liveSequences, 0);
  assert.is(s.swappedSequences, 0);
  assert.is(s.generatedCells, 0);
}

test("a request larger than the context runs by preemption; greedy tokens equal a large context's", async () => {
  const large = createEngine(model, { contextSize: 8192, maxSequences: 8, threads: 2 });
  // 256 cells (llama.cpp pads to 256) for 6 samples x 120 tokens: every sample cannot fit at once.
  const small = createEngine(model, { contextSize: 256, maxSequences: 8, threads: 2, sampleHeadroom: 4 });
  const req: GenerateRequest = { prompt: PROMPT, n: 6, maxTokens: 120, ignoreEos: true, temperature: 0, seed: 5 };
  const a = await large.generate(req);
  const b = await small.generate(req);
  assert.is(a.stats.preemptions, 0);
  assert.ok(b.stats.preemptions >= 6, `expected every sample preempted at least once, got ${b.stats.preemptions} preemptions`);
  const st = small.stats();
  assert.is(st.resumes, st.preemptions);
  assert.ok(st.swapBytes > 0);
  assert.ok(st.peakCells <= small.contextSize);
  for (let i = 0; i < 6; i++) {
    assert.is(b.completions[i].finishReason, "length");
    assert.equal(b.completions[i].tokens, a.completions[i].tokens, `sample ${i}`);
  }
  idle(small);
  large.dispose();
  small.dispose();
});

test("seeded samples under preemption: all complete, and the same load repeats exactly", async () => {
  const small = createEngine(model, { contextSize: 256, maxSequences: 8, threads: 2, sampleHeadroom: 4 });
  const req: GenerateRequest = { prompt: PROMPT, n: 6, maxTokens: 120, ignoreEos: true, temperature: 0.8, seed: 11 };
  const a = await small.generate({ ...req, prefixCache: false });
  const b = await small.generate({ ...req, prefixCache: false });
  assert.ok(a.stats.preemptions > 0);
  for (let i = 0; i < 6; i++) {
    assert.is(a.completions[i].tokens.length, 120);
    assert.equal(b.completions[i].tokens, a.completions[i].tokens, `sample ${i}`);
  }
  idle(small);
  small.dispose();
});

test("a sample that alone outgrows the context ends with 'length' at the edge", async () => {
  const e = createEngine(model, { contextSize: 256, maxSequences: 2, threads: 2 });
  const prompt = model.tokenize(PROMPT);
  const r = await e.generate({ prompt, n: 1, maxTokens: 5000, ignoreEos: true, temperature: 0 });
  assert.is(r.completions[0].finishReason, "length");
  // Every cell holds a token; the last sampled token needs none (nothing is decoded after it).
  assert.is(r.completions[0].tokens.length, e.contextSize - prompt.length + 1);
  assert.is(e.stats().edgeFinishes, 1);
  // Two samples: one is preempted, the other reaches the edge, then the first resumes and does too.
  const two = await e.generate({ prompt, n: 2, maxTokens: 5000, ignoreEos: true, temperature: 0 });
  for (const c of two.completions) assert.is(c.finishReason, "length");
  idle(e);
  e.dispose();
});

test("more samples than maxSequences: the rest wait and start as sequences free", async () => {
  const e = createEngine(model, { contextSize: 4096, maxSequences: 4, threads: 2 });
  const r = await e.generate({ prompt: PROMPT, n: 11, maxTokens: 20, ignoreEos: true, temperature: 0.8, seed: 3 });
  assert.is(r.completions.length, 11);
  for (const c of r.completions) assert.is(c.tokens.length, 20);
  assert.ok(e.stats().peakLiveSequences <= 4, `peak ${e.stats().peakLiveSequences}`);
  idle(e);
  e.dispose();
});

test("worst-case admission keeps the old reservation rule and its error", async () => {
  const e = createEngine(model, { contextSize: 4096, maxSequences: 8, threads: 2, admission: "worst-case" });
  try {
    await e.generate({ prompt: new Array(3000).fill(11), n: 4, maxTokens: 512 });
    assert.unreachable("expected an error");
  } catch (err) {
    assert.match((err as Error).message, /needs 5048 KV cells.*holds 4096.*worst-case/);
  }
  const r = await e.generate({ prompt: PROMPT, n: 4, maxTokens: 16, ignoreEos: true });
  assert.is(r.stats.generatedTokens, 64);
  e.dispose();
});

test("a default engine runs the paper's settings: 16 votes at the default maxTokens", async () => {
  const rrm = await loadModel(tinyRrmModel());
  const e = createEngine(rrm);
  assert.ok(e.contextSize >= 16384, `auto context ${e.contextSize}`);
  assert.ok(e.info.bytesPerCell > 0 && e.info.kvBytes === e.info.bytesPerCell * e.contextSize);
  assert.match(e.info.contextSource, /^auto: /);
  const judge = createJudge(e);
  const r = await judge.compare({ query: "2+2?", a: "4", b: "5" }, { votes: 16, thinkingBudget: 24, earlyStop: false, seed: 1 });
  assert.is(r.votes.a + r.votes.b, 16);
  const alt = await judge.compare({ query: "2+2?", a: "4", b: "5" }, { votes: 16, swap: "alternate", thinkingBudget: 24, earlyStop: false, seed: 1 });
  assert.is(alt.votes.a + alt.votes.b, 16);
  e.dispose();
  rrm.dispose();
});

test("priority: of two queued requests that cannot run together, the higher one goes first", async () => {
  const e = createEngine(model, { contextSize: 256, maxSequences: 4, threads: 2, sampleHeadroom: 64 });
  const long = (k: number) => new Array(120).fill(0).map((_, i) => 1000 + k * 200 + i);
  const finished: string[] = [];
  const run = (name: string, k: number, priority: number) =>
    e.generate({ prompt: long(k), n: 1, maxTokens: 40, ignoreEos: true, priority }).then(() => finished.push(name));
  const blocker = run("blocker", 0, 0);
  await new Promise((r) => setTimeout(r, 20));
  const low = run("low", 1, 0);
  const high = run("high", 2, 5);
  await Promise.all([blocker, low, high]);
  assert.equal(finished, ["blocker", "high", "low"]);
  e.dispose();
});

test("no starvation: a large request behind a stream of small ones is admitted within a bounded wait", async () => {
  const e = createEngine(model, { contextSize: 512, maxSequences: 8, threads: 2, sampleHeadroom: 16 });
  const small = (k: number, maxTokens: number) => e.generate({ prompt: [500 + k, 501 + k, 502 + k, 503 + k], n: 1, maxTokens, ignoreEos: true, prefixCache: false });
  // Three small requests always in flight, of different lengths so they never all end at once:
  // each finishes and the next takes its place.
  let submitted = 0, completed = 0;
  const stream = async (maxTokens: number) => {
    while (submitted < 60) {
      submitted++;
      await small(submitted, maxTokens);
      completed++;
    }
  };
  const streams = [stream(100), stream(77), stream(53)];
  await new Promise((r) => setTimeout(r, 30));
  // 470 prompt cells + 4 x 8 headroom: it fits only when no small one (20..104 cells each) runs.
  const big = e.generate({ prompt: new Array(470).fill(0).map((_, i) => 2000 + i), n: 4, maxTokens: 8, ignoreEos: true });
  await big;
  const completedBeforeBig = completed;
  await Promise.all(streams);
  assert.ok(completedBeforeBig < 30, `the large request waited for ${completedBeforeBig} small ones`);
  idle(e);
  e.dispose();
});

test.run();
