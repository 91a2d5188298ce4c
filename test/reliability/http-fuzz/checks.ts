// What a correct `rrm serve` answers. Two rules for every response: no 5xx but the documented
// 503 (loading, draining, model file changed: none happens in a fuzz run, so any 503 is reported)
// and 504 (--request-timeout); and an error is a JSON object with an `error` string. For bodies,
// an oracle built from the same pieces fastify uses (secure-json-parse with prototype keys refused,
// ajv with the server's options over lib/server/schemas.ts) says whether the body is valid: an
// invalid one must get 400 (413 over the body limit), a valid one a 200 whose body is checked
// against the request (counts, ids, indices, one reward per response), or a 400 from a check only
// the judge can make, a 429 or a 504.
import { Ajv } from "ajv";
import sjson from "secure-json-parse";
import type { RawResponse } from "./client.js";
import { BODY_LIMIT, ROUTE_SCHEMAS, SERVER_DEFAULTS, type Expect, type Route } from "./generate.js";

const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
const validators = Object.fromEntries(Object.entries(ROUTE_SCHEMAS).map(([route, s]) => [route, ajv.compile(s)]));

export type OracleVerdict = { valid: true; body: any } | { valid: false; status: 400 | 413; why: string };

/** What fastify makes of these body bytes for `route` (content-type JSON, framing honest). */
export function oracle(route: Route, bytes: Buffer): OracleVerdict {
  if (bytes.length > BODY_LIMIT) return { valid: false, status: 413, why: "over the body limit" };
  const text = bytes.toString("utf8");
  if (text.length === 0) return { valid: false, status: 400, why: "empty body" };
  let body: unknown;
  try {
    body = sjson.parse(text, undefined, { protoAction: "error", constructorAction: "error" });
  } catch (e) {
    return { valid: false, status: 400, why: `not JSON: ${(e as Error).message.slice(0, 60)}` };
  }
  const validate = validators[route];
  if (!validate(body)) return { valid: false, status: 400, why: `schema: ${ajv.errorsText(validate.errors).slice(0, 80)}` };
  return { valid: true, body };
}

const isInt = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
const SIDES = new Set(["a", "b", null]);

function checkVerdict(req: any, v: any, where = ""): string[] {
  const p: string[] = [];
  if (!v || typeof v !== "object") return [`${where}not an object`];
  if (!SIDES.has(v.winner)) p.push(`${where}winner ${JSON.stringify(v.winner)}`);
  const c = v.votes;
  if (!c || ![c.a, c.b, c.invalid].every(isInt)) return [...p, `${where}votes ${JSON.stringify(c)}`];
  const votes = req.votes ?? SERVER_DEFAULTS.votes;
  const counted = c.a + c.b + c.invalid;
  if (counted > votes || counted + (c.cancelled ?? 0) !== votes) p.push(`${where}votes ${JSON.stringify(c)} for ${votes} requested`);
  if ((req.earlyStop === false) && counted !== votes) p.push(`${where}earlyStop false but ${counted} of ${votes} votes counted`);
  if (!Array.isArray(v.samples) || v.samples.length !== counted) p.push(`${where}${v.samples?.length} samples for ${counted} votes`);
  else {
    for (const s of v.samples) {
      if (!SIDES.has(s.verdict) || typeof s.swapped !== "boolean" || !isInt(s.tokens) || typeof s.text !== "string") { p.push(`${where}sample ${JSON.stringify(s).slice(0, 120)}`); break; }
      if (req.swap === "none" && s.swapped) { p.push(`${where}a swapped sample under swap none`); break; }
    }
    const a = v.samples.filter((s: any) => s.verdict === "a").length, b = v.samples.filter((s: any) => s.verdict === "b").length;
    if (a !== c.a || b !== c.b) p.push(`${where}samples say a=${a} b=${b}, votes say ${JSON.stringify(c)}`);
  }
  // A majority is the winner whatever the tie-break; without one, only a tie-break names a side.
  const majority = c.a > c.b ? "a" : c.b > c.a ? "b" : null;
  if (majority && v.winner !== majority) p.push(`${where}winner ${v.winner} against votes ${JSON.stringify(c)}`);
  if (!majority && (req.tieBreak ?? "none") === "none" && v.winner !== null) p.push(`${where}winner ${v.winner} on a tie without a tie-break`);
  if (!v.stats || !isInt(v.stats.promptTokens) || !isInt(v.stats.generatedTokens)) p.push(`${where}stats ${JSON.stringify(v.stats)}`);
  return p;
}

function checkRank(req: any, r: any): string[] {
  const p: string[] = [];
  const n = req.candidates.length;
  const strategy = req.strategy ?? "knockout";
  if (r.strategy !== strategy) p.push(`strategy ${r.strategy}, asked ${strategy}`);
  if (!Array.isArray(r.ranking) || r.ranking.length !== n) return [...p, `ranking of ${r.ranking?.length} for ${n} candidates`];
  const idx = r.ranking.map((x: any) => x.index).sort((x: number, y: number) => x - y);
  if (idx.some((x: number, i: number) => x !== i)) p.push(`ranking indices ${JSON.stringify(idx)}`);
  if (r.winner !== r.ranking[0].index) p.push(`winner ${r.winner} is not ranked first (${r.ranking[0].index})`);
  // Swiss: at most floor(n / 2) matches a round (rounds: the body's, or the default).
  const matches = strategy === "elo" ? (n * (n - 1)) / 2 : strategy === "knockout" ? n - 1 : undefined;
  if (!Array.isArray(r.matches) || (matches !== undefined ? r.matches.length !== matches : r.matches.length > (req.rounds ?? n) * Math.floor(n / 2))) p.push(`${r.matches?.length} matches for ${n} candidates (${strategy})`);
  else for (const m of r.matches) {
    if (!(isInt(m.a) && isInt(m.b) && m.a < n && m.b < n && m.a !== m.b) || !(m.winner === null || m.winner === m.a || m.winner === m.b)) { p.push(`match ${JSON.stringify(m).slice(0, 100)}`); break; }
  }
  return p;
}

function checkRewards(req: any, r: any): string[] {
  const p: string[] = [];
  const n = req.responses.length;
  const mode = req.mode ?? "baseline";
  if (!Array.isArray(r.rewards) || r.rewards.length !== n || !r.rewards.every(Number.isFinite)) return [`rewards ${JSON.stringify(r.rewards)?.slice(0, 100)} for ${n} responses`];
  if (mode !== "elo" && !r.rewards.every((x: number) => x >= 0 && x <= 1)) p.push(`rewards outside [0, 1]: ${JSON.stringify(r.rewards)}`);
  if (r.mode !== mode) p.push(`mode ${r.mode}, asked ${mode}`);
  if (!Array.isArray(r.details) || r.details.length !== n) p.push(`${r.details?.length} details for ${n} responses`);
  const k = Math.min(req.k ?? 2, n), m = Math.min(req.m ?? 2, n - 1);
  const expected = mode === "reference" ? n : mode === "baseline" ? n - 1 : mode === "baselines" ? k * (n - 1) : undefined;
  // elo: at most m distinct opponents each; swiss: at most floor(n / 2) matches a round.
  const most = mode === "elo" ? n * m : (req.rounds ?? n) * Math.floor(n / 2);
  if (expected !== undefined ? r.matches !== expected : !(isInt(r.matches) && r.matches <= most)) p.push(`${r.matches} matches in mode ${mode} for ${n} responses`);
  return p;
}

function checkGetReward(req: any, r: any): string[] {
  const n = req.query.length;
  if (!Array.isArray(r.rewards) || r.rewards.length !== n || !r.rewards.every((x: unknown) => Number.isFinite(x) && (x as number) >= 0 && (x as number) <= 1)) return [`rewards ${JSON.stringify(r.rewards)?.slice(0, 100)} for ${n} queries`];
  const p: string[] = [];
  if (JSON.stringify(r.scores) !== JSON.stringify(r.rewards)) p.push("scores differ from rewards");
  for (const k of ["rrm_wins", "rrm_losses", "rrm_invalid"]) if (r.extra_logs?.[k]?.length !== n) p.push(`extra_logs.${k} of ${r.extra_logs?.[k]?.length}`);
  return p;
}

/** What only the judge and the handlers check (the schema cannot): a 400 for a schema-valid body. */
const JUDGE_400 = /thinkingBudget|more than the server's queue bound|reference is required|prompts has|labels has|context holds|applies to|options\.|is not supported|top_logprobs needs|chat template|token ids|prompt must not be empty/;

const FINISH = new Set(["stop", "length"]);

/** OpenAI's chat and completion answers: one choice per sample (n per prompt), in index order, usage that adds up. */
function checkOpenAi(route: Route, req: any, r: any): string[] {
  const chat = route === "/v1/chat/completions";
  const prompts = chat ? 1 : typeof req.prompt === "string" || typeof req.prompt?.[0] === "number" ? 1 : req.prompt.length;
  const n = (req.n ?? 1) * prompts;
  const p: string[] = [];
  if (r.object !== (chat ? "chat.completion" : "text_completion")) p.push(`object ${r.object}`);
  if (!Array.isArray(r.choices) || r.choices.length !== n) return [...p, `${r.choices?.length} choices for ${n} samples`];
  r.choices.forEach((c: any, i: number) => {
    if (c.index !== i || !FINISH.has(c.finish_reason)) p.push(`choice ${i}: index ${c.index}, finish_reason ${c.finish_reason}`);
    const text = chat ? c.message?.content : c.text;
    if (typeof text !== "string" || (chat && c.message.role !== "assistant")) p.push(`choice ${i}: ${JSON.stringify(c).slice(0, 100)}`);
    if (chat && req.logprobs && !Array.isArray(c.logprobs?.content)) p.push(`choice ${i}: no logprobs.content`);
    if (!chat && req.logprobs != null && !Array.isArray(c.logprobs?.tokens)) p.push(`choice ${i}: no logprobs.tokens`);
  });
  const u = r.usage;
  const most = n * (req.max_completion_tokens ?? req.max_tokens ?? (chat ? SERVER_DEFAULTS.maxTokens : 16));
  if (!u || !isInt(u.prompt_tokens) || !isInt(u.completion_tokens) || u.completion_tokens > most || u.total_tokens !== u.prompt_tokens + u.completion_tokens) p.push(`usage ${JSON.stringify(u)} (at most ${most} completion tokens)`);
  return p;
}

/** A stream: `data:` events of chunks, each sample's finish reason once, usage last when asked, then [DONE]. */
function checkOpenAiStream(route: Route, req: any, res: RawResponse, o: { streamError?: boolean }): string[] {
  if (!/text\/event-stream/.test(res.headers["content-type"] ?? "")) return [`stream content-type ${res.headers["content-type"]}`];
  const events = res.body.toString("utf8").split("\n\n").filter(Boolean);
  if (events.some((e) => !e.startsWith("data: "))) return [`a stream event that is not data: ${JSON.stringify(events.find((e) => !e.startsWith("data: "))?.slice(0, 80))}`];
  const data = events.map((e) => e.slice(6));
  let chunks: any[];
  try { chunks = data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d)); } catch { return [`stream data not JSON: ${JSON.stringify(res.body.toString("utf8").slice(0, 100))}`]; }
  const failed = chunks.find((c) => c.error);
  if (failed) return o.streamError && JUDGE_400.test(String(failed.error.message)) ? [] : [`the stream failed: ${JSON.stringify(failed).slice(0, 160)}`];
  if (data[data.length - 1] !== "[DONE]") return ["the stream does not end with [DONE]"];
  const chat = route === "/v1/chat/completions";
  const prompts = chat ? 1 : typeof req.prompt === "string" || typeof req.prompt?.[0] === "number" ? 1 : req.prompt.length;
  const n = (req.n ?? 1) * prompts;
  const finished = new Map<number, number>();
  const p: string[] = [];
  for (const c of chunks) {
    if (c.object !== (chat ? "chat.completion.chunk" : "text_completion")) { p.push(`chunk object ${c.object}`); break; }
    for (const ch of c.choices) {
      if (!(isInt(ch.index) && ch.index < n)) p.push(`chunk index ${ch.index} of ${n}`);
      if (ch.finish_reason) finished.set(ch.index, (finished.get(ch.index) ?? 0) + 1);
    }
  }
  if (finished.size !== n || [...finished.values()].some((x) => x !== 1)) p.push(`finish reasons ${JSON.stringify([...finished])} for ${n} samples`);
  const usage = chunks.filter((c) => c.usage);
  if (req.stream_options?.include_usage ? usage.length !== 1 || chunks[chunks.length - 1] !== usage[0] : usage.length !== 0) p.push(`${usage.length} usage chunks`);
  return p;
}

/**
 * Problems with a 200 answer to a valid request (empty: correct). `streamError`: a streamed
 * ranking may end with the documented {"error", "status": 400} line for what only the judge checks.
 */
export function checkAnswer(route: Route, method: string, req: any, res: RawResponse, o: { streamError?: boolean } = {}): string[] {
  if (method === "HEAD") return res.body.length ? ["a body on a HEAD answer"] : [];
  if (route === "/metrics") {
    const t = res.body.toString("utf8");
    return /^rrm_http_requests_total\{/m.test(t) && /^rrm_queue_judgments \d+$/m.test(t) ? [] : [`metrics text ${JSON.stringify(t.slice(0, 100))}`];
  }
  const text = res.body.toString("utf8");
  if ((route === "/v1/chat/completions" || route === "/v1/completions") && req.stream) return checkOpenAiStream(route, req, res, o);
  if (route === "/v1/rank" && req.stream) {
    if (!/ndjson/.test(res.headers["content-type"] ?? "")) return [`stream content-type ${res.headers["content-type"]}`];
    let lines: any[];
    try { lines = text.trim().split("\n").map((l) => JSON.parse(l)); } catch { return [`stream lines not JSON: ${JSON.stringify(text.slice(0, 100))}`]; }
    const last = lines[lines.length - 1];
    if (o.streamError && last?.error !== undefined && last.status === 400 && JUDGE_400.test(String(last.error))) return [];
    if (!last?.result) return [`the stream ends with ${JSON.stringify(last).slice(0, 120)}`];
    if (lines.slice(0, -1).some((l) => !l.progress)) return ["a stream line before the last is not progress"];
    return checkRank(req, last.result);
  }
  let r: any;
  try { r = JSON.parse(text); } catch { return [`not JSON: ${JSON.stringify(text.slice(0, 100))}`]; }
  switch (route) {
    case "/health": return r.status === "ok" && typeof r.model === "string" && isInt(r.queue) ? [] : [`health ${text.slice(0, 100)}`];
    case "/v1/compare": {
      if (!req.pairs) return checkVerdict(req, r);
      if (!Array.isArray(r.results) || r.results.length !== req.pairs.length) return [`${r.results?.length} results for ${req.pairs.length} pairs`];
      const p: string[] = [];
      req.pairs.forEach((pair: any, i: number) => {
        const got = r.results[i];
        if (pair.id !== undefined && JSON.stringify(got?.id) !== JSON.stringify(pair.id)) p.push(`results[${i}].id ${JSON.stringify(got?.id)}, sent ${JSON.stringify(pair.id)}`);
        if (pair.id === undefined && got && "id" in got) p.push(`results[${i}] has an id nobody sent`);
        p.push(...checkVerdict(req, got, `results[${i}].`));
      });
      return p;
    }
    case "/v1/rank": return checkRank(req, r);
    case "/v1/rewards": return checkRewards(req, r);
    case "/get_reward": return checkGetReward(req, r);
    case "/v1/chat/completions": case "/v1/completions": return checkOpenAi(route, req, r);
    case "/v1/models": return r.object === "list" && typeof r.data?.[0]?.id === "string" ? [] : [`models ${text.slice(0, 100)}`];
  }
  return [];
}

/** An error answer's body: a JSON object with an `error` string (OpenAI's routes: `error.message`). */
function errorBodyProblem(res: RawResponse): string | undefined {
  if (res.body.length === 0) return undefined; // HEAD, or a bare status from Node's parser
  try {
    const j = JSON.parse(res.body.toString("utf8"));
    return typeof j?.error === "string" || typeof j?.error?.message === "string" ? undefined : `an error body without "error": ${res.body.toString("utf8").slice(0, 100)}`;
  } catch {
    return `an error body that is not JSON: ${JSON.stringify(res.body.toString("utf8").slice(0, 100))}`;
  }
}

export const SERVER_ERROR = (s: number) => s >= 500 && s !== 504;

/** Problems with the answer to one request (undefined res: none came). */
export function checkResponse(e: Expect, res: RawResponse | undefined, mayGoUnanswered: boolean): string[] {
  if (!res) return mayGoUnanswered ? [] : ["no answer"];
  const p: string[] = [];
  if (SERVER_ERROR(res.status)) p.push(`status ${res.status}: ${res.body.toString("utf8").slice(0, 200)}`);
  if (res.status >= 400) {
    const bad = errorBodyProblem(res);
    if (bad) p.push(bad);
  }
  if (p.length) return p;
  if (e.kind === "any") {
    if (e.statuses && !e.statuses.includes(res.status)) p.push(`status ${res.status}, expected ${e.statuses.join(" or ")}: ${res.body.toString("utf8").slice(0, 120)}`);
    return p;
  }
  if (e.kind === "valid") {
    if (res.status !== 200) return [`status ${res.status} for a valid request: ${res.body.toString("utf8").slice(0, 200)}`];
    return checkAnswer(e.route, e.method, e.body, res);
  }
  const o = oracle(e.route, e.text);
  if (!o.valid) {
    if (res.status !== o.status) p.push(`status ${res.status} for a body the oracle refuses with ${o.status} (${o.why}): ${res.body.toString("utf8").slice(0, 120)}`);
    return p;
  }
  if (res.status === 200) return checkAnswer(e.route, "POST", o.body, res, { streamError: true });
  if (![400, 429, 504].includes(res.status)) return [`status ${res.status} for a schema-valid body: ${res.body.toString("utf8").slice(0, 120)}`];
  if (res.status === 400) {
    // Only what the schema cannot say may be a 400 here: the judge's and handlers' own checks.
    const e = JSON.parse(res.body.toString("utf8")).error;
    const msg = String(e?.message ?? e);
    if (!JUDGE_400.test(msg)) return [`a 400 for a schema-valid body: ${msg.slice(0, 160)}`];
  }
  return p;
}
