// `rrm serve`'s routes against the real server on loopback, with the real engine and test model.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEngine, type Engine } from "../../lib/engine.js";
import { loadModel, type Model } from "../../lib/model.js";
import { createJudge } from "../../lib/rrm/judge.js";
import { createJudgeServer, type JudgeServer, type ServerOptions } from "../../lib/server/app.js";
import { tinyRrmModel } from "../helpers/models.js";

let model: Model, engine: Engine;
const servers: JudgeServer[] = [];
// Short judgments: the forced verdict after 8 tokens of reasoning.
const DEFAULTS = { thinkingBudget: 8, maxTokens: 32, seed: 7 };

async function start(o: Partial<ServerOptions> = {}, withJudge = true): Promise<{ url: string; server: JudgeServer }> {
  const server = createJudgeServer({ defaults: DEFAULTS, maxQueue: 512, bodyLimit: 1 << 20, requestTimeoutMs: 0, rewardGroups: { size: 2, waitMs: 200, mode: "baseline" }, log: () => {}, ...o });
  if (withJudge) server.setJudge(createJudge(engine));
  const url = await server.app.listen({ host: "127.0.0.1", port: 0 });
  servers.push(server);
  return { url, server };
}
const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });

test.before(async () => {
  model = await loadModel(tinyRrmModel());
  engine = createEngine(model, { contextSize: 16384, maxSequences: 32, threads: 2 });
});
test.after(async () => {
  for (const s of servers) await s.app.close();
  engine.dispose();
  model.dispose();
});

const PAIR = { query: "What is 2+2?", a: "4", b: "5" };

test("/health answers 503 while loading, 200 once the judge is there", async () => {
  const { url, server } = await start({}, false);
  assert.is((await fetch(url + "/health")).status, 503);
  assert.is((await post(url + "/v1/compare", PAIR)).status, 503);
  server.setJudge(createJudge(engine));
  const h = await fetch(url + "/health");
  assert.is(h.status, 200);
  assert.is((await h.json()).status, "ok");
});

test("/v1/compare: one pair, a list of pairs with ids, options beside them", async () => {
  const { url } = await start();
  const one = await (await post(url + "/v1/compare", { ...PAIR, votes: 3, earlyStop: false })).json();
  assert.ok(one.winner === "a" || one.winner === "b");
  assert.is(one.votes.a + one.votes.b + one.votes.invalid, 3);
  assert.is(one.samples.length, 3);
  const many = await (await post(url + "/v1/compare", { pairs: [{ ...PAIR, id: "x" }, { query: "Capital of France?", a: "Paris", b: "Lyon" }], votes: 2 })).json();
  assert.is(many.results.length, 2);
  assert.is(many.results[0].id, "x");
  assert.ok(many.results[1].votes);
});

test("/v1/rank: knockout and elo, and NDJSON progress streaming", async () => {
  const { url } = await start();
  const candidates = ["one", "two", "three", "four", "five"];
  const ko = await (await post(url + "/v1/rank", { query: "Pick one", candidates, seed: 3 })).json();
  assert.is(ko.strategy, "knockout");
  assert.is(ko.matches.length, 4);
  const elo = await (await post(url + "/v1/rank", { query: "Pick one", candidates: candidates.slice(0, 4), strategy: "elo", bootstrap: 20 })).json();
  assert.is(elo.matches.length, 6);
  assert.ok(elo.ranking[0].interval);
  const res = await post(url + "/v1/rank", { query: "Pick one", candidates, stream: true });
  assert.match(res.headers.get("content-type") ?? "", /ndjson/);
  const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(lines.filter((l) => l.progress).length >= 4);
  assert.is(lines[lines.length - 1].result.matches.length, 4);
});

test("/v1/rewards: every mode gives one reward per response, in order", async () => {
  const { url } = await start();
  const responses = ["r0", "r1", "r2", "r3"];
  for (const mode of ["baseline", "baselines", "elo", "reference"]) {
    const body: Record<string, unknown> = { query: "Say something", responses, mode, seed: 5 };
    if (mode === "reference") body.reference = "the reference answer";
    const r = await (await post(url + "/v1/rewards", body)).json();
    assert.is(r.rewards.length, 4, mode);
    assert.is(r.details.length, 4);
    for (const d of r.details) assert.ok(d.wins + d.losses + d.invalid >= 0 && Number.isFinite(d.reward));
    if (mode === "baseline") assert.is(r.matches, 3);
    if (mode === "reference") assert.is(r.matches, 4);
  }
  const bad = await post(url + "/v1/rewards", { query: "q", responses, mode: "reference" });
  assert.is(bad.status, 400);
  assert.match((await bad.json()).error, /reference is required/);
});

test("/get_reward: OpenRLHF's payload with labels, and grouped by prompt without", async () => {
  const { url } = await start();
  const prompt = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n";
  const withLabels = await (await post(url + "/get_reward", { query: [prompt + "4<|im_end|>", prompt + "5<|im_end|>"], prompts: [prompt, prompt], labels: ["4", "4"] })).json();
  assert.is(withLabels.rewards.length, 2);
  assert.equal(withLabels.scores, withLabels.rewards);
  assert.is(withLabels.extra_logs.rrm_wins.length, 2);
  // Posted one by one (as OpenRLHF does): the group of 2 forms across the two requests.
  const [x, y] = await Promise.all([0, 1].map((i) => post(url + "/get_reward", { query: [prompt + `answer ${i}<|im_end|>`], prompts: [prompt] }).then((r) => r.json())));
  assert.is(x.rewards.length, 1);
  assert.is(y.rewards.length, 1);
  // baseline mode: one is the baseline (0.5), the other was judged against it.
  assert.is(x.extra_logs.rrm_wins[0] + x.extra_logs.rrm_losses[0] + y.extra_logs.rrm_wins[0] + y.extra_logs.rrm_losses[0] + x.extra_logs.rrm_invalid[0] + y.extra_logs.rrm_invalid[0], 1);
});

test("bad bodies: malformed JSON 400, schema errors name the field and range, oversized 413", async () => {
  const { url } = await start({ bodyLimit: 4096 });
  const malformed = await post(url + "/v1/compare", "{not json");
  assert.is(malformed.status, 400);
  const votes = await post(url + "/v1/compare", { ...PAIR, votes: 0 });
  assert.is(votes.status, 400);
  const vb = await votes.json();
  assert.match(vb.error, /votes must be >= 1/);
  assert.is(vb.field, "votes");
  const unknown = await post(url + "/v1/compare", { ...PAIR, vote: 3 });
  assert.is(unknown.status, 400);
  assert.match((await unknown.json()).error, /additional properties \(vote\)/);
  const type = await post(url + "/v1/compare", { ...PAIR, votes: "3" });
  assert.is(type.status, 400);
  const both = await post(url + "/v1/compare", { ...PAIR, pairs: [PAIR] });
  assert.is(both.status, 400);
  const swap = await post(url + "/v1/compare", { ...PAIR, swap: "sometimes" });
  assert.match((await swap.json()).error, /swap must be equal to one of the allowed values \(random, alternate, none\)/);
  const big = await post(url + "/v1/compare", { ...PAIR, a: "x".repeat(10000) });
  assert.is(big.status, 413);
  assert.is((await post(url + "/v1/compare", PAIR)).status, 200);
});

test("API key: missing or wrong is 401, right is served; /health stays open", async () => {
  const { url } = await start({ apiKey: "s3cret" });
  assert.is((await post(url + "/v1/compare", PAIR)).status, 401);
  assert.is((await post(url + "/v1/compare", PAIR, { authorization: "Bearer nope" })).status, 401);
  assert.is((await post(url + "/v1/compare", PAIR, { authorization: "Bearer s3cret" })).status, 200);
  assert.is((await fetch(url + "/health")).status, 200);
});

test("over the queue bound: 429 with Retry-After; 1,000 concurrent requests lose nothing", async () => {
  const { url } = await start({ maxQueue: 16 });
  const statuses = await Promise.all(Array.from({ length: 1000 }, () => post(url + "/v1/compare", { ...PAIR, votes: 2 }).then(async (r) => {
    if (r.status === 429) assert.ok(Number(r.headers.get("retry-after")) >= 1);
    await r.arrayBuffer();
    return r.status;
  })));
  const count = (s: number) => statuses.filter((x) => x === s).length;
  assert.is(count(200) + count(429), 1000, `statuses: ${[...new Set(statuses)].join(",")}`);
  assert.ok(count(200) >= 8 && count(429) > 0, `${count(200)} served, ${count(429)} refused`);
  const tooBig = await post(url + "/v1/compare", { ...PAIR, votes: 17 });
  assert.is(tooBig.status, 400);
  // What only the judge can check is a 400 too, not a server error.
  const judgeCheck = await post(url + "/v1/compare", { ...PAIR, thinkingBudget: 40, maxTokens: 40 });
  assert.is(judgeCheck.status, 400);
  assert.match((await judgeCheck.json()).error, /thinkingBudget/);
});

test("a client that disconnects mid-judgment cancels its work (0 live samples after)", async () => {
  const { url } = await start();
  const ac = new AbortController();
  // No thinking budget: the votes would reason for up to 4,000 tokens each.
  const body = JSON.stringify({ query: "Explain.", a: "x", b: "y", votes: 4, maxTokens: 4000 });
  const r = fetch(url + "/v1/compare", { method: "POST", headers: { "content-type": "application/json" }, body, signal: ac.signal }).catch(() => "aborted");
  const t0 = Date.now();
  while (engine.stats().liveSequences === 0 && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 10));
  assert.ok(engine.stats().liveSequences > 0, "the judgment started");
  ac.abort();
  assert.is(await r, "aborted");
  const t1 = Date.now();
  while (engine.stats().liveSequences > 0 && Date.now() - t1 < 3000) await new Promise((res) => setTimeout(res, 5));
  assert.is(engine.stats().liveSequences, 0);
  assert.ok(Date.now() - t1 < 1000, `cancelled in ${Date.now() - t1} ms`);
});

test("a request over --request-timeout is cancelled with 504 and frees its samples", async () => {
  const { url } = await start({ requestTimeoutMs: 300 });
  const t0 = Date.now();
  const r = await post(url + "/v1/compare", { query: "Explain.", a: "x", b: "y", votes: 2, maxTokens: 4000, thinkingBudget: 3999 });
  assert.is(r.status, 504);
  assert.match((await r.json()).error, /longer than 300 ms/);
  assert.ok(Date.now() - t0 < 3000);
  const t1 = Date.now();
  while (engine.stats().liveSequences > 0 && Date.now() - t1 < 2000) await new Promise((res) => setTimeout(res, 5));
  assert.is(engine.stats().liveSequences, 0);
});

test("/metrics: Prometheus text with requests, queue, samples and tokens", async () => {
  const { url } = await start();
  await post(url + "/v1/compare", PAIR);
  const text = await (await fetch(url + "/metrics")).text();
  assert.match(text, /rrm_http_requests_total\{route="\/v1\/compare",status="200"\} 1/);
  for (const m of ["rrm_queue_judgments", "rrm_live_samples", "rrm_prompt_tokens_submitted_total", "rrm_prompt_tokens_computed_total", "rrm_prompt_tokens_reused_total", "rrm_generated_tokens_total", "rrm_preemptions_total"]) {
    assert.match(text, new RegExp(`^${m} \\d+`, "m"));
  }
});

test("/metrics: where the process's memory is (RSS, V8's heap, Buffers, glibc's malloc)", async () => {
  const { url } = await start();
  const text = await (await fetch(url + "/metrics")).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1]);
  const rss = value("process_resident_memory_bytes");
  // This process is the server: the figures are its own, read a moment later.
  const m = process.memoryUsage();
  assert.ok(rss > 20 * 2 ** 20 && Math.abs(rss - m.rss) < 64 * 2 ** 20, `RSS ${rss} against ${m.rss}`);
  assert.ok(value("nodejs_heap_size_used_bytes") > 0 && value("nodejs_heap_size_used_bytes") <= value("nodejs_heap_size_total_bytes"));
  assert.ok(value("nodejs_external_memory_bytes") > 0);
  assert.ok(value("process_open_fds") > 3);
  const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
  if (glibc) {
    const inUse = value('rrm_native_heap_bytes\\{state="in_use"\\}');
    // The model's weights and the KV cache are mapped or malloc'd: at least a few MiB are in use.
    assert.ok(inUse > 2 ** 20, `malloc in use ${inUse}`);
    assert.match(text, /^rrm_native_heap_bytes\{state="free"\} \d+$/m);
    assert.match(text, /^rrm_native_heap_bytes\{state="mapped"\} \d+$/m);
  }
});

test.run();
