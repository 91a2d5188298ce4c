// `rrm serve`: the judge over HTTP for pipelines in other languages (Python RL and eval loops).
// fastify: each route declared with a JSON schema (validation and its 400s come from the schema),
// a body limit (413), a bounded queue counted in judgments (429 + Retry-After), cancellation when
// the client goes away, a per-request timeout, and a drain on shutdown. JSON bodies only (415 for
// any other type); connection limits in limits.ts; a model file changed on disk is refused (503).
import { timingSafeEqual, createHash } from "node:crypto";
import { setMaxListeners } from "node:events";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Engine } from "../engine.js";
import { RrmOptionError } from "../errors.js";
import type { CompareOptions, CompareResult, Judge } from "../rrm/judge.js";
import { ServerMetrics } from "./metrics.js";
import { processMemory } from "./process-memory.js";
import { RewardGrouper, splitQuery, type RewardGroupConfig } from "./openrlhf.js";
import { groupRewards, type RewardMode } from "./rewards.js";
import { swissRoundsPlayed } from "../tournament/swiss.js";
import { SERVER_LIMITS } from "./limits.js";
import { compareBody, getRewardBody, JUDGE_OPTION_KEYS, rankBody, rewardsBody } from "./schemas.js";
import { voteCeiling } from "../rrm/adaptive-votes.js";
import { castVotes } from "../rrm/votes.js";
import { HttpError } from "./http-error.js";
import { registerOpenAiRoutes } from "./openai/routes.js";
import { throttledProgress } from "./progress-lines.js";

export interface ServerOptions {
  /** Judge defaults (the CLI's --votes, --max-tokens, ...); a body's own options win. */
  defaults: CompareOptions;
  /** Judgments admitted at once (running or waiting in the engine); more get 429. */
  maxQueue: number;
  bodyLimit: number;
  /** Milliseconds before a request is cancelled with 504 (0: no limit). */
  requestTimeoutMs: number;
  apiKey?: string;
  rewardGroups: RewardGroupConfig;
  log?: (line: string) => void;
}

export interface JudgeServer {
  app: FastifyInstance;
  /** Serve with this judge (until then every judging route answers 503 "loading"). */
  setJudge(judge: Judge): void;
  /** Stop accepting, let in-flight work finish until `deadlineMs`, cancel the rest. */
  drain(deadlineMs: number): Promise<void>;
  readonly inFlightJudgments: number;
}

interface Job { controller: AbortController; judgments: number; timer?: NodeJS.Timeout }

export function createJudgeServer(o: ServerOptions): JudgeServer {
  const { connectionTimeout, keepAliveTimeout, requestTimeout, headersTimeout, connectionsCheckingInterval } = SERVER_LIMITS;
  const app = Fastify({
    logger: false,
    bodyLimit: o.bodyLimit,
    connectionTimeout, keepAliveTimeout, requestTimeout,
    http: { headersTimeout, connectionsCheckingInterval },
    // Strict types: "3" is not a number, an unknown field is an error, not silently dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  const metrics = new ServerMetrics();
  const jobs = new Set<Job>();
  let judge: Judge | undefined;
  let engine: Engine | undefined;
  let draining = false;
  let queued = 0;
  // Judgments the server finishes per second, over windows of at least 2 s: sizes Retry-After.
  const throughput = { since: performance.now(), done: 0, rate: 1 };
  const log = o.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const keyDigest = o.apiKey ? createHash("sha256").update(o.apiKey).digest() : undefined;
  // Every body is JSON: fastify's own text/plain parser would hand a string to the schema, which
  // then answers a confusing 400; without it any other type is a 415.
  app.removeContentTypeParser("text/plain");

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] }, _req, reply) => {
    if (err instanceof HttpError) return reply.code(err.status).headers(err.headers).send({ error: err.message });
    if (err.validation) {
      const v = err.validation[0];
      const field = v.instancePath ? v.instancePath.slice(1).replace(/\//g, ".") : "body";
      const extra = v.params?.additionalProperty ? ` (${String(v.params.additionalProperty)})` : v.params?.allowedValues ? ` (${(v.params.allowedValues as unknown[]).join(", ")})` : "";
      return reply.code(400).send({ error: `${field} ${v.message ?? "is invalid"}${extra}`, field });
    }
    if ((err as { code?: string }).code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      const type = _req.headers["content-type"];
      return reply.code(415).send({ error: `the body must be JSON (content-type: application/json), got ${type === undefined ? "no content-type" : JSON.stringify(type)}` });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    return reply.code(status).send({ error: err.message });
  });

  app.addHook("onRequest", async (req, reply) => {
    (req as FastifyRequest & { t0: number }).t0 = performance.now();
    if (req.url === "/health") return;
    if (keyDigest) {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
      const given = createHash("sha256").update(m?.[1] ?? "").digest();
      if (!m || !timingSafeEqual(given, keyDigest)) throw new HttpError(401, "missing or wrong API key (Authorization: Bearer <key>)");
    }
    if (draining) {
      reply.header("connection", "close");
      throw new HttpError(503, "the server is shutting down");
    }
  });
  /** Counts and logs a finished request (one line: method, route, status, ms, judgments). */
  const record = (req: FastifyRequest, status: number) => {
    const route = req.routeOptions.url ?? "unknown";
    metrics.count(route, status);
    const ms = performance.now() - (req as FastifyRequest & { t0: number }).t0;
    const judgments = (req as FastifyRequest & { judgments?: number }).judgments;
    log(`${req.method} ${route} ${status} ${ms.toFixed(0)}ms${judgments !== undefined ? ` judgments=${judgments}` : ""}`);
  };
  app.addHook("onResponse", async (req, reply) => record(req, reply.statusCode));

  // The model file checked per request (one stat): mapped weights rewritten in place would change
  // results silently, and a file renamed over it means the operator meant another model. Weights
  // read into memory (--no-mmap) are not affected: then the change is logged once and serving goes on.
  let fileChangeLogged = false;
  const modelFileChange = (): string | undefined => {
    const model = judge?.engine?.model;
    const change = typeof model?.fileChange === "function" ? model.fileChange() : undefined;
    if (!change) return undefined;
    if (model!.mapped) return `the model file changed on disk after it was loaded (${change}): restart rrm serve to load it`;
    if (!fileChangeLogged) log(`rrm serve: ${change}; the weights were read into memory (--no-mmap), so results are the loaded model's; restart to load the new file`);
    fileChangeLogged = true;
    return undefined;
  };
  const requireJudge = () => {
    if (!judge) throw new HttpError(503, "the model is still loading", { "retry-after": "5" });
    const changed = modelFileChange();
    if (changed) throw new HttpError(503, changed);
    return judge;
  };
  /** The judge a body's "judge" field names (lib/judges), else the server's own. */
  const judgeFor = (body: { judge?: string }) => {
    const j = requireJudge();
    if (body.judge === undefined) return j;
    if (typeof j.withJudge !== "function") throw new HttpError(400, "this server's judge cannot switch presets");
    try {
      return j.withJudge(body.judge);
    } catch (e) {
      throw new HttpError(400, `judge: ${(e as Error).message}`);
    }
  };

  /** Admits `judgments` to the queue, or answers 429; the job aborts on disconnect or timeout. */
  const admit = (req: FastifyRequest, reply: FastifyReply, judgments: number): Job => {
    if (judgments > o.maxQueue) throw new HttpError(400, `the request needs ${judgments} judgments, more than the server's queue bound (--max-queue ${o.maxQueue})`);
    if (queued + judgments > o.maxQueue) {
      const wait = Math.max(1, Math.min(60, Math.ceil(queued / Math.max(throughput.rate, 0.1))));
      throw new HttpError(429, `the judging queue is full (${queued} of ${o.maxQueue} judgments); retry later`, { "retry-after": String(wait) });
    }
    const job: Job = { controller: new AbortController(), judgments };
    // Every judgment of the request listens on this one signal (a 4,096-pair compare, an ELO
    // round-robin): more than Node's 10 is normal here, not the leak its warning would report.
    setMaxListeners(0, job.controller.signal);
    queued += judgments;
    jobs.add(job);
    (req as FastifyRequest & { judgments?: number }).judgments = judgments;
    // The client went away before its answer: stop its votes at the next engine step.
    reply.raw.on("close", () => {
      if (!reply.raw.writableFinished) job.controller.abort(new Error("the client disconnected"));
    });
    if (o.requestTimeoutMs > 0) {
      job.timer = setTimeout(() => job.controller.abort(new HttpError(504, `the request took longer than ${o.requestTimeoutMs} ms (--request-timeout)`)), o.requestTimeoutMs);
    }
    return job;
  };
  const release = (job: Job, done: number) => {
    queued -= job.judgments;
    jobs.delete(job);
    clearTimeout(job.timer);
    metrics.judgmentsDone += done;
    throughput.done += done;
    const now = performance.now();
    if (now - throughput.since >= 2000) {
      throughput.rate = throughput.done / ((now - throughput.since) / 1000);
      throughput.since = now;
      throughput.done = 0;
    }
  };
  /** Runs the work of an admitted job; an abort becomes the right status. */
  const run = async <T>(job: Job, work: (signal: AbortSignal) => Promise<T>, judgmentsOf: (r: T) => number): Promise<T> => {
    let done = 0;
    try {
      const r = await work(job.controller.signal);
      done = judgmentsOf(r);
      return r;
    } catch (e) {
      const reason = job.controller.signal.reason;
      if (job.controller.signal.aborted && reason instanceof HttpError) throw reason;
      if (job.controller.signal.aborted) throw new HttpError(draining ? 503 : 499, draining ? "the server shut down before this request finished" : String((reason as Error)?.message ?? "cancelled"));
      // The judge checks option combinations the schema cannot (thinkingBudget < maxTokens, ...).
      throw new HttpError(e instanceof RrmOptionError ? 400 : 500, (e as Error).message);
    } finally {
      release(job, done);
    }
  };

  const optionsOf = (body: Record<string, unknown>, extra: Partial<CompareOptions> = {}, j?: Judge): CompareOptions => {
    const own: Record<string, unknown> = {};
    for (const k of JUDGE_OPTION_KEYS) if (body[k] !== undefined) own[k] = body[k];
    const opts: CompareOptions = { ...o.defaults, ...extra, ...own };
    // The server's default thinking budget applies to judges that can force a verdict; a request
    // that asks for a budget with one that cannot gets the judge's 400.
    if (j?.preset && !j.preset.forced && own.thinkingBudget === undefined) delete opts.thinkingBudget;
    return opts;
  };
  const votesOf = (opts: CompareOptions) => voteCeiling(opts.votes);
  const compareJudgments = (r: CompareResult) => castVotes(r.votes);

  app.get("/health", async (_req, reply) => {
    if (!judge) return reply.code(503).send({ status: "loading" });
    const changed = modelFileChange();
    if (changed) return reply.code(503).send({ status: "model-file-changed", error: changed });
    return { status: draining ? "draining" : "ok", model: judge.engine.model.info.name || judge.engine.model.info.path, queue: queued };
  });

  app.get("/metrics", async (_req, reply) => {
    reply.type("text/plain; version=0.0.4");
    return metrics.render(queued, jobs.size, engine && !engine.disposed ? engine.stats() : undefined, processMemory());
  });

  app.post("/v1/compare", { schema: { body: compareBody } }, async (req, reply) => {
    const body = req.body as Record<string, any>;
    const j = judgeFor(body);
    const opts = optionsOf(body, {}, j);
    const pairs: { query: string; a: string; b: string; id?: unknown }[] = body.pairs ?? [{ query: body.query, a: body.a, b: body.b }];
    const job = admit(req, reply, pairs.length * votesOf(opts));
    const results = await run(job, (signal) => Promise.all(pairs.map((p) => j.compare({ query: p.query, a: p.a, b: p.b }, { ...opts, signal }))),
      (rs) => rs.reduce((s, r) => s + compareJudgments(r), 0));
    if (!body.pairs) return results[0];
    return { results: results.map((r, i) => (pairs[i].id !== undefined ? { id: pairs[i].id, ...r } : r)) };
  });

  app.post("/v1/rank", { schema: { body: rankBody } }, async (req, reply) => {
    const body = req.body as Record<string, any>;
    const j = judgeFor(body);
    const opts = optionsOf(body, {}, j);
    const n: number = body.candidates.length;
    const matches = body.strategy === "elo" ? (n * (n - 1)) / 2 : body.strategy === "swiss" ? swissRoundsPlayed(n, body.rounds) * Math.floor(n / 2) : n - 1;
    // A budget is the most judgments the ranking can take.
    const job = admit(req, reply, body.budget ?? Math.max(1, matches) * votesOf(opts));
    const { onProgress: _p, tieBreak: _t, ...base } = opts; // a knockout decides ties itself
    // Under a budget, a body without votes gets the budget's cap per match, not the server's default.
    if (body.budget !== undefined && body.votes === undefined) delete base.votes;
    const rankOpts = { ...base, strategy: body.strategy, bootstrap: body.bootstrap, rounds: body.rounds, budget: body.budget };
    if (!body.stream) {
      return run(job, (signal) => j.rank(body.query, body.candidates, { ...rankOpts, signal }), (r) => r.stats.judgments);
    }
    // NDJSON: a progress line per finished match (and at most two a second between), then
    // {"result": ...} (or {"error": ...}) last.
    reply.hijack();
    reply.raw.writeHead(200, { "content-type": "application/x-ndjson" });
    const line = (x: unknown) => reply.raw.write(JSON.stringify(x) + "\n");
    try {
      const r = await run(job, (signal) => j.rank(body.query, body.candidates, {
        ...rankOpts, signal,
        onProgress: throttledProgress((p) => line({ progress: p })),
      }), (res) => res.stats.judgments);
      line({ result: r });
    } catch (e) {
      line({ error: (e as Error).message, status: e instanceof HttpError ? e.status : 500 });
    }
    reply.raw.end();
    record(req, 200); // a hijacked reply skips the onResponse hook
  });

  const judgeGroup = (j: Judge, signal: AbortSignal, opts: CompareOptions) => (query: string) => (first: string, second: string, seed: number) =>
    j.compare({ query, a: first, b: second }, { swap: "none", ...opts, seed, signal });

  app.post("/v1/rewards", { schema: { body: rewardsBody } }, async (req, reply) => {
    const body = req.body as Record<string, any>;
    const j = judgeFor(body);
    const mode: RewardMode = body.mode ?? "baseline";
    if (mode === "reference" && body.reference === undefined) throw new HttpError(400, `reference is required with mode "reference"`);
    if (mode !== "swiss" && body.rounds !== undefined) throw new HttpError(400, `rounds applies to mode "swiss" only`);
    const opts = optionsOf(body, {}, j);
    const n: number = body.responses.length;
    const matches = mode === "reference" ? n : mode === "baseline" ? n - 1 : mode === "baselines" ? n * Math.min(body.k ?? 2, n)
      : mode === "swiss" ? swissRoundsPlayed(n, body.rounds) * Math.floor(n / 2) : n * Math.min(body.m ?? 2, n - 1);
    const job = admit(req, reply, Math.max(1, matches) * votesOf(opts));
    const seed = opts.seed ?? 0;
    const r = await run(job, (signal) => groupRewards(body.responses, { mode, seed, k: body.k, m: body.m, reference: body.reference, rounds: body.rounds }, judgeGroup(j, signal, opts)(body.query)),
      (g) => g.matches * votesOf(opts));
    return { rewards: r.rewards, mode: r.mode, matches: r.matches, ...(r.rounds !== undefined ? { rounds: r.rounds } : {}), details: r.details };
  });

  // OpenRLHF: groups form across requests, so each response is judged once its group is complete
  // (one set of groups per judge preset: a group is judged by one judge).
  const groupers = new Map<Judge, RewardGrouper>();
  const groupSignal = new AbortController();
  setMaxListeners(0, groupSignal.signal); // shared by every group's judgments (listeners removed as each ends)
  app.post("/get_reward", { schema: { body: getRewardBody } }, async (req, reply) => {
    const body = req.body as { query: string[]; prompts?: string[]; labels?: (string | null)[]; judge?: string };
    const j = judgeFor(body);
    if (body.prompts && body.prompts.length !== body.query.length) throw new HttpError(400, `prompts has ${body.prompts.length} entries but query has ${body.query.length}`);
    if (body.labels && body.labels.length !== body.query.length) throw new HttpError(400, `labels has ${body.labels.length} entries but query has ${body.query.length}`);
    const opts = optionsOf({}, {}, j);
    let grouper = groupers.get(j);
    if (!grouper) {
      grouper = new RewardGrouper(o.rewardGroups, (question, responses) =>
        groupRewards(responses, { mode: o.rewardGroups.mode, seed: opts.seed ?? 0 }, judgeGroup(j, groupSignal.signal, opts)(question)));
      groupers.set(j, grouper);
    }
    const g = grouper;
    const job = admit(req, reply, body.query.length * votesOf(opts));
    const results = await run(job, (signal) => Promise.all(body.query.map(async (q, i) => {
      const { question, response } = splitQuery(q, body.prompts?.[i]);
      const label = body.labels?.[i];
      if (typeof label === "string" && label.length > 0) {
        const g = await groupRewards([response], { mode: "reference", seed: opts.seed ?? 0, reference: label }, judgeGroup(j, signal, opts)(question));
        return g.details[0];
      }
      return g.add(body.prompts?.[i] ?? question, question, response);
    })), (rs) => rs.length * votesOf(opts));
    const rewards = results.map((r) => r.reward);
    return {
      rewards,
      scores: rewards,
      extra_logs: { rrm_wins: results.map((r) => r.wins), rrm_losses: results.map((r) => r.losses), rrm_invalid: results.map((r) => r.invalid) },
    };
  });

  // OpenAI's API (lib/server/openai/): the same queue, timeout, key and cancellation, counted in samples.
  registerOpenAiRoutes(app, { engine: () => requireJudge().engine, admit, run, record, defaults: o.defaults });

  return {
    app,
    setJudge(jd: Judge) {
      judge = jd;
      engine = jd.engine;
    },
    get inFlightJudgments() { return queued; },
    async drain(deadlineMs: number) {
      draining = true;
      for (const g of groupers.values()) g.flushAll();
      const until = Date.now() + deadlineMs;
      while (jobs.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      for (const job of jobs) job.controller.abort(new HttpError(503, "the server shut down before this request finished"));
      groupSignal.abort(new HttpError(503, "the server shut down before this request finished"));
      while (jobs.size > 0) await new Promise((r) => setTimeout(r, 20));
    },
  };
}
