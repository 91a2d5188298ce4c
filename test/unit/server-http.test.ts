// The HTTP layer without a model: JSON bodies only (415 for any other type), the connection limits
// set on the server, and a model file changed on disk (503 while its weights are mapped; logged
// once and served on when they were read into memory).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createJudgeServer, type JudgeServer } from "../../lib/server/app.js";
import { SERVER_LIMITS } from "../../lib/server/limits.js";
import { ScriptedJudge } from "../helpers/scripted-judge.js";

function server(log: string[] = []): JudgeServer {
  return createJudgeServer({ defaults: {}, maxQueue: 64, bodyLimit: 1 << 16, requestTimeoutMs: 0, rewardGroups: { size: 2, waitMs: 100, mode: "baseline" }, log: (l) => void log.push(l) });
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

test.run();
