// The HTTP layer without a model: JSON bodies only (415 for any other type), the connection limits
// set on the server, and a model file changed on disk (503 while its weights are mapped; logged
// once and served on when they were read into memory).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createJudgeServer, type JudgeServer } from "../../lib/server/app.js";
import { SERVER_LIMITS } from "../../lib/server/limits.js";
import { ScriptedJudge } from "../helpers/scripted-judge.js";

function server(log: string[] = [], mode: "baseline" | "swiss" = "baseline"): JudgeServer {
  return createJudgeServer({ defaults: {}, maxQueue: 64, bodyLimit: 1 << 16, requestTimeoutMs: 0, rewardGroups: { size: 2, waitMs: 100, mode }, log: (l) => void log.push(l) });
}

/** A scripted judge on an engine whose model file reports `change`. */
function judgeWithModel(change: () => string | undefined, mapped: boolean) {
  const j = new ScriptedJudge() as ScriptedJudge & { engine: unknown };
  j.engine = { model: { info: { name: "scripted", path: "/models/judge.gguf" }, mapped, fileChange: change }, disposed: true };
  return j as never;
}

const pair = JSON.stringify({ query: "q", a: "good answer", b: "bad answer" });

test("any body that is not JSON is a 415 naming the type; JSON types pass to the schema", async () => {
  const s = server();
  s.setJudge(judgeWithModel(() => undefined, true));
  for (const type of ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "application/octet-stream"]) {
    const r = await s.app.inject({ method: "POST", url: "/v1/compare", headers: { "content-type": type }, payload: pair });
    assert.is(r.statusCode, 415, `${type}: ${r.body}`);
    assert.match(r.json().error, /the body must be JSON \(content-type: application\/json\), got "/);
  }
  const none = await s.app.inject({ method: "POST", url: "/v1/compare", payload: Buffer.from(pair) });
  assert.is(none.statusCode, 415, none.body);
  assert.match(none.json().error, /got no content-type/);
  for (const type of ["application/json", "application/json; charset=utf-8", "Application/JSON"]) {
    const r = await s.app.inject({ method: "POST", url: "/v1/compare", headers: { "content-type": type }, payload: pair });
    assert.is(r.statusCode, 200, `${type}: ${r.body}`);
  }
  const bad = await s.app.inject({ method: "POST", url: "/v1/compare", headers: { "content-type": "application/json" }, payload: "{nope" });
  assert.is(bad.statusCode, 400);
  await s.app.close();
});

test("connection limits are the documented ones", async () => {
  const s = server();
  await s.app.ready();
  const h = s.app.server;
  assert.is(h.keepAliveTimeout, SERVER_LIMITS.keepAliveTimeout);
  assert.is(h.requestTimeout, SERVER_LIMITS.requestTimeout);
  assert.is(h.headersTimeout, SERVER_LIMITS.headersTimeout);
  assert.is(h.timeout, SERVER_LIMITS.connectionTimeout);
  await s.app.close();
});

test("a model file changed under mapped weights: 503 on every judging route and /health", async () => {
  let change: string | undefined;
  const s = server();
  s.setJudge(judgeWithModel(() => change, true));
  const compare = () => s.app.inject({ method: "POST", url: "/v1/compare", headers: { "content-type": "application/json" }, payload: pair });
  assert.is((await compare()).statusCode, 200);
  change = "/models/judge.gguf was replaced by another file";
  const r = await compare();
  assert.is(r.statusCode, 503);
  assert.is(r.json().error, "the model file changed on disk after it was loaded (/models/judge.gguf was replaced by another file): restart rrm serve to load it");
  const health = await s.app.inject({ method: "GET", url: "/health" });
  assert.is(health.statusCode, 503);
  assert.is(health.json().status, "model-file-changed");
  for (const [url, body] of [["/v1/rank", { query: "q", candidates: ["x", "y"] }], ["/v1/rewards", { query: "q", responses: ["x", "y"] }], ["/get_reward", { query: ["q"] }]] as const) {
    const x = await s.app.inject({ method: "POST", url, headers: { "content-type": "application/json" }, payload: JSON.stringify(body) });
    assert.is(x.statusCode, 503, url);
  }
  await s.app.close();
});

test("a model file changed under weights read into memory (--no-mmap): logged once, served on", async () => {
  const log: string[] = [];
  const s = server(log);
  s.setJudge(judgeWithModel(() => "/models/judge.gguf was rewritten (size 1 -> 2 bytes, modified 2026-12-01T00:00:00.000Z)", false));
  for (let i = 0; i < 3; i++) {
    const r = await s.app.inject({ method: "POST", url: "/v1/compare", headers: { "content-type": "application/json" }, payload: pair });
    assert.is(r.statusCode, 200);
  }
  assert.is(log.filter((l) => /was rewritten.*--no-mmap/.test(l)).length, 1);
  assert.is((await s.app.inject({ method: "GET", url: "/health" })).statusCode, 200);
  await s.app.close();
});

test("/v1/rewards mode swiss: rewards from Swiss rounds, admitted as rounds x floor(n/2) judgments", async () => {
  const log: string[] = [];
  const s = server(log);
  const j = judgeWithModel(() => undefined, true) as unknown as ScriptedJudge;
  s.setJudge(j as never);
  const post = (body: unknown) => s.app.inject({ method: "POST", url: "/v1/rewards", headers: { "content-type": "application/json" }, payload: JSON.stringify(body) });
  // "good" beats anything, "bad" loses to anything, two of a kind give no winner (a draw).
  const responses = ["meh one", "good", "bad", "meh two", "meh three"];
  const r = await post({ query: "q", responses, mode: "swiss", seed: 7, votes: 1 });
  assert.is(r.statusCode, 200, r.body);
  const b = r.json();
  assert.is(b.mode, "swiss");
  assert.is(b.rounds, 4); // ceil(log2 5) + 1
  assert.is(b.matches, 4 * 2);
  assert.is(j.calls.length, 8);
  assert.is(b.rewards.length, 5);
  assert.is(b.details[1].place, 1);
  assert.is(b.details[2].place, 5);
  assert.ok(b.rewards[1] > Math.max(b.rewards[0], b.rewards[3], b.rewards[4]));
  assert.ok(b.rewards[2] < Math.min(b.rewards[0], b.rewards[3], b.rewards[4]));
  for (const d of b.details) assert.ok(d.reward >= 0 && d.reward < 1 && typeof d.buchholz === "number" && typeof d.score === "number");
  assert.match(log[0], /^POST \/v1\/rewards 200 \d+ms judgments=8$/);
  // Explicit rounds, and a bound: rounds x floor(n/2) x votes past --max-queue is refused up front.
  const two = (await post({ query: "q", responses, mode: "swiss", rounds: 2, seed: 7 })).json();
  assert.is(two.rounds, 2);
  assert.is(two.matches, 4);
  const many = await post({ query: "q", responses, mode: "swiss", rounds: 5, votes: 8 });
  assert.is(many.statusCode, 400);
  assert.match(many.json().error, /needs 80 judgments/);
  // rounds belongs to swiss; the schema bounds it.
  const notSwiss = await post({ query: "q", responses, mode: "elo", rounds: 2 });
  assert.is(notSwiss.statusCode, 400);
  assert.match(notSwiss.json().error, /rounds applies to mode "swiss" only/);
  assert.is((await post({ query: "q", responses, mode: "swiss", rounds: 0 })).statusCode, 400);
  assert.is((await post({ query: "q", responses, mode: "swis" })).statusCode, 400);
  await s.app.close();
});

test("/get_reward with --group-mode swiss: a full group is judged in Swiss rounds", async () => {
  const s = server([], "swiss");
  s.setJudge(judgeWithModel(() => undefined, true));
  const r = await s.app.inject({ method: "POST", url: "/get_reward", headers: { "content-type": "application/json" }, payload: JSON.stringify({ query: ["Q good", "Q bad"], prompts: ["Q ", "Q "] }) });
  assert.is(r.statusCode, 200, r.body);
  const b = r.json();
  // Two responses, one round: the winner 1 point, the loser 0, over 1.5.
  assert.equal(b.rewards, [1 / 1.5, 0]);
  assert.equal(b.extra_logs.rrm_wins, [1, 0]);
  await s.app.close();
});

test.run();
