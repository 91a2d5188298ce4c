// rrm serve's "judge" field: each route answers with the preset it names, on the server's one
// engine (real server on loopback, real engine, RRM-vocabulary test model).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEngine, type Engine } from "../../lib/engine.js";
import { loadModel, type Model } from "../../lib/model.js";
import { createJudge } from "../../lib/rrm/judge.js";
import { createJudgeServer, type JudgeServer } from "../../lib/server/app.js";
import { tinyRrmModel } from "../helpers/models.js";

let model: Model, engine: Engine, server: JudgeServer, url: string;
const post = async (path: string, body: unknown) => {
  const r = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
};
test.before(async () => {
  model = await loadModel(tinyRrmModel());
  engine = createEngine(model, { contextSize: 16384, maxSequences: 32, threads: 2 });
  server = createJudgeServer({ defaults: { thinkingBudget: 8, maxTokens: 32, seed: 7 }, maxQueue: 512, bodyLimit: 1 << 20, requestTimeoutMs: 0, rewardGroups: { size: 2, waitMs: 200, mode: "baseline" }, log: () => {} });
  server.setJudge(createJudge(engine));
  url = await server.app.listen({ host: "127.0.0.1", port: 0 });
});
test.after(async () => {
  await server.app.close();
  engine.dispose();
  model.dispose();
});

const PAIR = { query: "What is 2+2?", a: "4", b: "5" };

test("/v1/compare: the judge field picks the preset; its forced verdict shows in the text", async () => {
  const rrm = await post("/v1/compare", { ...PAIR, votes: 2, earlyStop: false });
  assert.is(rrm.status, 200);
  for (const s of rrm.body.samples) assert.match(s.text, /\\boxed\{Assistant [12]\}$/);
  const rmr1 = await post("/v1/compare", { ...PAIR, votes: 2, earlyStop: false, judge: "rm-r1-reasoning" });
  assert.is(rmr1.status, 200);
  assert.is(rmr1.body.votes.a + rmr1.body.votes.b, 2);
  for (const s of rmr1.body.samples) assert.match(s.text, /<answer>\[\[[AB]\]\]<\/answer>$/);
  const j1 = await post("/v1/compare", { pairs: [PAIR, PAIR], votes: 1, judge: "j1" });
  assert.is(j1.status, 200);
  for (const r of j1.body.results) assert.match(r.samples[0].text, /<answer> \[\[[AB]\]\] <\/answer>$/);
});

test("a judge without a forced verdict: the server's default budget is skipped, a request's own is a 400", async () => {
  const lrm = await post("/v1/compare", { ...PAIR, votes: 2, maxTokens: 4, judge: "judgelrm" });
  assert.is(lrm.status, 200);
  assert.is(lrm.body.votes.ties, 0);
  assert.is(lrm.body.winner, null);
  for (const s of lrm.body.samples) assert.is(s.invalidReason, "length-limit");
  const bad = await post("/v1/compare", { ...PAIR, thinkingBudget: 4, judge: "j1-scores" });
  assert.is(bad.status, 400);
  assert.match(bad.body.error, /no thinking budget with the j1-scores judge/);
});

test("an unknown judge is a 400 naming the field and the presets", async () => {
  const r = await post("/v1/compare", { ...PAIR, judge: "gpt-judge" });
  assert.is(r.status, 400);
  assert.match(JSON.stringify(r.body), /judge/);
  assert.match(JSON.stringify(r.body), /rm-r1-reasoning|allowed/);
});

test("/v1/rank, /v1/rewards and /get_reward take the judge field", async () => {
  const rank = await post("/v1/rank", { query: "Best answer?", candidates: ["a", "b", "c"], strategy: "elo", judge: "think-rm-binary" });
  assert.is(rank.status, 200);
  assert.is(rank.body.matches.length, 3);
  const rewards = await post("/v1/rewards", { query: "2+2?", responses: ["4", "5", "four"], judge: "j1" });
  assert.is(rewards.status, 200);
  assert.is(rewards.body.rewards.length, 3);
  const openrlhf = await post("/get_reward", { query: ["Q: 2+2?\nA: 4"], prompts: ["Q: 2+2?\nA: "], labels: ["4"], judge: "rm-r1-reasoning" });
  assert.is(openrlhf.status, 200);
  assert.is(openrlhf.body.rewards.length, 1);
  assert.is((await post("/get_reward", { query: ["x"], judge: "nope" })).status, 400);
});

test.run();
