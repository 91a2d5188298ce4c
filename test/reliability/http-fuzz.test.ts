// The HTTP fuzzer against `rrm serve` in its own process, short (bench/http-fuzz.ts runs 10,000
// requests and the full 1,000 idle + 100 slow connections): 1,000 requests of the fuzz mix
// (RRM_HTTP_FUZZ_REQUESTS, RRM_HTTP_FUZZ_SEED override) with no 5xx but 504, every valid request
// answered correctly, RSS and descriptors flat at rest; then 200 idle keep-alive connections and 20
// slow-body clients held while normal requests keep their latency. And the bugs it found, each
// pinned down on its own.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEngine } from "../../lib/engine.js";
import { loadModel } from "../../lib/model.js";
import { tinyModel } from "../helpers/models.js";
import { exchange, requestBytes } from "./http-fuzz/client.js";
import { growth, runFuzz, runPressure } from "./http-fuzz/run.js";
import { alarming, startServe, type ServeProcess } from "./http-fuzz/server.js";

const REQUESTS = Number(process.env.RRM_HTTP_FUZZ_REQUESTS ?? 1000);
const SEED = Number(process.env.RRM_HTTP_FUZZ_SEED ?? 20261202);
let server: ServeProcess;
const target = () => ({ port: server.port, rssMiB: server.rssMiB, fds: server.fds, alive: () => server.child.exitCode === null && server.child.signalCode === null });

test.before(async () => {
  server = await startServe();
});
test.after(async () => {
  await server?.stop();
});

const post = (path: string, body: unknown) => fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  .then(async (r) => ({ status: r.status, body: await r.json() as Record<string, any> }));

test(`${REQUESTS} fuzzed requests: no 5xx, every valid request answered correctly, RSS and descriptors flat`, async () => {
  const rep = await runFuzz(target(), { seed: SEED, requests: REQUESTS, rounds: 5, concurrency: 8 });
  const g = growth(rep.samples, 1);
  console.log(`http fuzz, seed ${SEED}: ${rep.requests} requests in ${rep.seconds.toFixed(0)} s; statuses ${JSON.stringify(rep.statuses)}; valid ${rep.validAnswered}/${rep.validRequests}; RSS at rest ${rep.samples.map((s) => s.rssMiB.toFixed(0)).join(" ")} MiB; fds ${rep.samples.map((s) => s.fds).join(" ")}`);
  const shown = rep.problems.slice(0, 10).map((p) => `case ${p.id} (${p.kind}: ${p.note}): ${p.problem}`).join("\n");
  assert.is(rep.problems.length, 0, `${rep.problems.length} problems (replay one: makeCase(${SEED}, id)):\n${shown}`);
  assert.is(rep.serverErrors, 0);
  assert.ok(rep.requests >= REQUESTS);
  assert.ok(rep.validRequests >= REQUESTS / 5 && rep.validAnswered === rep.validRequests, `${rep.validAnswered} of ${rep.validRequests} valid requests answered`);
  // At rest (every connection closed, the queue empty) after the first round: no growth trend.
  assert.ok(g.rssMiB < 64, `RSS ${g.warm.rssMiB.toFixed(0)} -> ${g.last.rssMiB.toFixed(0)} MiB`);
  assert.is(g.fds, 0, `descriptors at rest: ${rep.samples.map((s) => s.fds).join(" ")}`);
  assert.ok(target().alive(), "the server is still running");
});

test("200 idle keep-alive connections and 20 slow-body clients held: normal requests keep their latency", async () => {
  const p = await runPressure(target(), { idle: 200, slow: 20, requests: 40, concurrency: 4 });
  console.log(`pressure: ${p.idleOpen}/${p.idle} idle held, ${p.slowAnswered}/${p.slow} slow answered; p50 ${p.baseline.p50.toFixed(0)} -> ${p.loaded.p50.toFixed(0)} ms, p99 ${p.baseline.p99.toFixed(0)} -> ${p.loaded.p99.toFixed(0)} ms; server fds ${p.serverFdsHeld}`);
  assert.equal(p.problems, []);
  assert.is(p.idleOpen, 200);
  assert.is(p.slowAnswered, 20);
  assert.ok(p.serverFdsHeld >= 220, `server fds ${p.serverFdsHeld}`);
  assert.ok(p.loaded.p99 <= Math.max(3 * p.baseline.p99, p.baseline.p99 + 1000), `p99 ${p.loaded.p99.toFixed(0)} ms held, ${p.baseline.p99.toFixed(0)} ms without`);
});

test("found by the fuzzer: a request stopped before its samples started resolves with 'cancelled' completions, not holes (was a 500 from /v1/compare)", async () => {
  // The judge's early stop cancels the other order's request; samples not yet admitted then never
  // sent an event, and `completions.map` kept their holes: the judge read undefined.finishReason.
  const model = await loadModel(tinyModel());
  const engine = createEngine(model, { contextSize: 2048, maxSequences: 2, threads: 2 });
  try {
    for (const delay of [0, 5]) {
      const stop = new AbortController();
      const busy = engine.generate({ prompt: `busy ${delay}`, n: 2, maxTokens: 30, ignoreEos: true, seed: 2 });
      const r = engine.generate({ prompt: `stopped ${delay}`, n: 3, maxTokens: 50, ignoreEos: true, seed: 1, stopSignal: stop.signal });
      setTimeout(() => stop.abort(), delay);
      const res = await r;
      await busy;
      assert.is(Object.keys(res.completions).length, 3, `delay ${delay}: ${JSON.stringify(res.completions)}`);
      for (const c of res.completions) assert.ok(c && typeof c.finishReason === "string");
    }
  } finally {
    engine.dispose();
    model.dispose();
  }
  // Through the server: early-stopping votes in both orders, many at once.
  const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => post("/v1/compare", { query: `q${i}`, a: "a", b: "b", votes: 3, swap: "alternate", seed: i })));
  for (const r of rs) assert.is(r.status, 200, JSON.stringify(r.body));
});

test("found by the fuzzer: many judgments on one request's signal print no MaxListenersExceededWarning", async () => {
  const r = await post("/v1/compare", { pairs: Array.from({ length: 12 }, (_, i) => ({ query: `q${i}`, a: "a", b: "b" })), swap: "alternate", votes: 2 });
  assert.is(r.status, 200, JSON.stringify(r.body));
  const elo = await post("/v1/rank", { query: "q", candidates: ["a", "b", "c", "d", "e", "f"], strategy: "elo" });
  assert.is(elo.status, 200, JSON.stringify(elo.body));
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(alarming(server.unusual()), [], server.unusual().join("\n"));
});

test("found by the fuzzer: bootstrap is bounded at 1,000 resamples (100,000 held the event loop for about a minute)", async () => {
  const over = await post("/v1/rank", { query: "q", candidates: ["a", "b", "c", "d"], strategy: "elo", bootstrap: 100000 });
  assert.is(over.status, 400);
  assert.is(over.body.error, "bootstrap must be <= 1000");
  const t0 = Date.now();
  const ranked = post("/v1/rank", { query: "q", candidates: ["a", "b", "c", "d"], strategy: "elo", bootstrap: 1000, seed: 1 });
  const health = await fetch(server.url + "/health");
  assert.is(health.status, 200);
  const r = await ranked;
  assert.is(r.status, 200, JSON.stringify(r.body));
  assert.ok(r.body.ranking.every((x: { interval?: unknown }) => x.interval), JSON.stringify(r.body.ranking));
  console.log(`elo of 4 with 1,000 resamples: ${Date.now() - t0} ms`);
});

test("hostile framing on one connection leaves the next request on a fresh one served", async () => {
  // A content-length longer than the body, abandoned; then a chunked body with a bad size line.
  const lie = await exchange(server.port, { pieces: [{ data: Buffer.from("POST /v1/compare HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"query\":") }], after: "end", expect: 1, timeoutMs: 5000, giveUpMs: 500 });
  assert.ok(!lie.responses.some((r) => r.status >= 500), JSON.stringify(lie.responses.map((r) => r.status)));
  const bad = await exchange(server.port, { pieces: [{ data: Buffer.from("POST /v1/compare HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n") }], after: "wait", expect: 1, timeoutMs: 5000 });
  assert.is(bad.responses[0]?.status, 400);
  const ok = await exchange(server.port, { pieces: [{ data: requestBytes("GET", "/health", [["Host", "x"]]) }], after: "wait", expect: 1, timeoutMs: 5000 });
  assert.is(ok.responses[0]?.status, 200);
  assert.ok(target().alive());
});

test("SIGTERM after the fuzzing: exit code 0, nothing alarming on stderr", async () => {
  const exit = await server.stop();
  assert.is(exit.code, 0, server.tail().slice(-2000));
  assert.equal(alarming(server.unusual()), []);
});

test.run();
