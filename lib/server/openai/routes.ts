// The OpenAI-compatible API of `rrm serve`: POST /v1/chat/completions, POST /v1/completions,
// GET /v1/models. Each request is one engine request per prompt with its `n` samples, so the
// samples share the prompt's KV cells, concurrent requests decode in the same steps and share the
// prefix cache, and the server's queue bound (429 + Retry-After), timeout (504), API key and
// cancellation on disconnect apply as on the judging routes (app.ts lends them). Errors come in
// OpenAI's shape. Streams are server-sent events: text as the engine adds it, then `[DONE]`.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Completion, Engine, GenerateRequest, GenerateResult, TokenLogprob } from "../../engine.js";
import { HttpError } from "../http-error.js";
import { ChatPrompter, type ChatMessage } from "./chat-prompt.js";
import { ReasoningSplitter, splitReasoning } from "./reasoning.js";
import { chatCompletionBody, completionBody } from "./schemas.js";
import { chatLogprobs, errorBody, finishReason, legacyLogprobs, newId, TokenTexts, unixNow, usageOf } from "./shapes.js";

/** What app.ts lends the routes: the engine when it is ready, and its queue, timeout and log. */
export interface OpenAiServerContext {
  /** The engine, or a 503 while loading / after the model file changed. */
  engine(): Engine;
  /** Admits `samples` to the server's bounded queue (or throws 429); aborts on disconnect or timeout. */
  admit(req: FastifyRequest, reply: FastifyReply, samples: number): { controller: AbortController };
  /** Runs admitted work; an abort becomes 499/503/504, an option error 400. */
  run<T>(job: { controller: AbortController }, work: (signal: AbortSignal) => Promise<T>, done: (r: T) => number): Promise<T>;
  /** Counts and logs a reply the route wrote itself (a stream). */
  record(req: FastifyRequest, status: number): void;
  /** Server defaults (--max-tokens, --temperature, --top-p, --seed). */
  defaults: { maxTokens?: number; temperature?: number; topP?: number };
}

type Body = Record<string, any>;

/** The model's id in /v1/models and in every response: the file name without ".gguf". */
export function modelId(engine: Engine): string {
  const base = engine.model.info.path.split(/[\\/]/).pop() ?? "model";
  return base.replace(/\.gguf$/i, "") || "model";
}

/** A field this server has no meaning for, refused with its name (400) rather than ignored. */
function refuseUnsupported(body: Body) {
  const refuse = (field: string, why: string) => {
    throw new HttpError(400, `${field} is not supported: ${why}`, {}, field);
  };
  for (const f of ["tools", "functions", "tool_choice", "function_call", "parallel_tool_calls"]) {
    if (body[f] === undefined || body[f] === null) continue;
    if ((f === "tool_choice" && body[f] === "none") || (f === "parallel_tool_calls" && typeof body[f] === "boolean")) continue;
    refuse(f, "this server has no tool calling");
  }
  for (const f of ["modalities", "audio", "prediction", "web_search_options"]) if (body[f] !== undefined && body[f] !== null) refuse(f, "text generation only");
  if (body.response_format && body.response_format.type !== "text") refuse("response_format", `only {"type": "text"} (no JSON mode or schema)`);
  for (const f of ["presence_penalty", "frequency_penalty"]) if (body[f]) refuse(f, "only 0 (the engine has no repetition penalties)");
  if (body.logit_bias && Object.keys(body.logit_bias).length > 0) refuse("logit_bias", "only an empty object");
  if (body.echo) refuse("echo", "only false");
  if (body.suffix) refuse("suffix", "no insertion");
  if (body.best_of != null && body.best_of !== (body.n ?? 1)) refuse("best_of", "only equal to n (every sample is returned)");
  if (body.top_logprobs != null && !body.logprobs) throw new HttpError(400, "top_logprobs needs logprobs: true", {}, "top_logprobs");
}

/** The engine request's sampling from the body (server defaults where the body says nothing). */
function sampling(body: Body, ctx: OpenAiServerContext, maxTokens: number): Omit<GenerateRequest, "prompt"> {
  const stop = body.stop == null ? undefined : typeof body.stop === "string" ? [body.stop] : body.stop;
  return {
    n: body.n ?? 1,
    maxTokens,
    temperature: body.temperature ?? ctx.defaults.temperature ?? 0.6,
    topP: body.top_p ?? ctx.defaults.topP ?? 1,
    topK: body.top_k == null || body.top_k < 0 ? 0 : body.top_k,
    minP: body.min_p ?? 0,
    // OpenAI's seed is any 64-bit integer; the engine's samplers take 32 bits (sample i: seed + i).
    seed: body.seed == null ? undefined : ((body.seed % 2 ** 32) + 2 ** 32) % 2 ** 32,
    stop: stop?.length ? stop : undefined,
    ignoreEos: body.ignore_eos ?? false,
  };
}

/** Server-sent events on a hijacked reply; writes stop once the client is gone. */
function eventStream(reply: FastifyReply) {
  reply.hijack();
  reply.raw.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
  const open = () => !reply.raw.destroyed && !reply.raw.writableEnded;
  return {
    send(data: unknown) {
      if (open()) reply.raw.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
    },
    end() {
      if (open()) reply.raw.end();
    },
  };
}

const statusOf = (e: unknown) => (e instanceof HttpError ? e.status : 500);

export function registerOpenAiRoutes(app: FastifyInstance, ctx: OpenAiServerContext): void {
  let prompter: { engine: Engine; chat?: ChatPrompter; error?: string; texts: TokenTexts } | undefined;
  const promptsFor = (engine: Engine) => {
    if (prompter?.engine !== engine) {
      prompter = { engine, texts: new TokenTexts(engine.model) };
      try {
        prompter.chat = new ChatPrompter(engine.model);
      } catch (e) {
        prompter.error = (e as Error).message;
      }
    }
    return prompter;
  };

  app.register(async (api) => {
    // OpenAI's error shape for every failure on these routes: schema, auth, queue, engine.
    api.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] }, req, reply) => {
      if (err instanceof HttpError) return reply.code(err.status).headers(err.headers).send(errorBody(err.status, err.message, err.param ?? null));
      if (err.validation) {
        const v = err.validation[0];
        const field = v.instancePath ? v.instancePath.slice(1).replace(/\//g, ".") : "body";
        const extra = v.params?.additionalProperty ? ` (${String(v.params.additionalProperty)})` : v.params?.allowedValues ? ` (${(v.params.allowedValues as unknown[]).join(", ")})` : "";
        const param = v.params?.additionalProperty ? String(v.params.additionalProperty) : v.params?.missingProperty ? String(v.params.missingProperty) : field;
        return reply.code(400).send(errorBody(400, `${field} ${v.message ?? "is invalid"}${extra}`, param));
      }
      if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
        const type = req.headers["content-type"];
        return reply.code(415).send(errorBody(415, `the body must be JSON (content-type: application/json), got ${type === undefined ? "no content-type" : JSON.stringify(type)}`));
      }
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      return reply.code(status).send(errorBody(status, err.message));
    });

    api.get("/v1/models", async () => {
      const engine = ctx.engine();
      return { object: "list", data: [{ id: modelId(engine), object: "model", created: unixNow(), owned_by: "rrm-engine", max_model_len: engine.info.cellsPerSequence }] };
    });

    api.post("/v1/chat/completions", { schema: { body: chatCompletionBody } }, async (req, reply) => {
      const body = req.body as Body;
      refuseUnsupported(body);
      const engine = ctx.engine();
      const p = promptsFor(engine);
      if (!p.chat) throw new HttpError(400, p.error!, {}, "messages");
      let prompt;
      try {
        prompt = p.chat.render(body.messages.map(toChatMessage));
      } catch (e) {
        throw new HttpError(400, (e as Error).message, {}, "messages");
      }
      const opensThinking = prompt.opensThinking;
      const separate = body.reasoning_format !== "none";
      const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? ctx.defaults.maxTokens ?? 8192;
      const topLogprobs = body.logprobs ? (body.top_logprobs ?? 0) : undefined;
      const request: GenerateRequest = { prompt: prompt.tokens, ...sampling(body, ctx, maxTokens), logprobs: topLogprobs };
      const n = request.n!;
      const job = ctx.admit(req, reply, n);
      const id = newId("chatcmpl");
      const created = unixNow();
      const model = modelId(engine);

      if (!body.stream) {
        const r = await ctx.run(job, (signal) => engine.generate({ ...request, signal }), (g) => g.completions.length);
        return {
          id, object: "chat.completion", created, model,
          choices: r.completions.map((c, index) => {
            const parts = separate ? splitReasoning(c.text, opensThinking) : { reasoning: "", content: c.text, thought: false };
            return {
              index,
              message: { role: "assistant", content: parts.content, ...(parts.thought ? { reasoning_content: parts.reasoning } : {}) },
              logprobs: topLogprobs === undefined ? null : { content: chatLogprobs(c.logprobs ?? [], p.texts) },
              finish_reason: finishReason(c.finishReason),
            };
          }),
          usage: usageOf([{ promptTokens: prompt.tokens.length, stats: r.stats }], r.completions),
        };
      }

      // Streaming: a role chunk per choice, then each step's text (reasoning and answer apart),
      // then each choice's finish reason, the usage chunk when asked for, and [DONE].
      const sse = eventStream(reply);
      const includeUsage = body.stream_options?.include_usage === true;
      const chunk = (index: number, delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
        sse.send({ id, object: "chat.completion.chunk", created, model, choices: [{ index, delta, logprobs: null, finish_reason: null, ...extra }], ...(includeUsage ? { usage: null } : {}) });
      const streams = Array.from({ length: n }, () => ({ text: "", tokens: 0, splitter: new ReasoningSplitter(separate && opensThinking), started: false }));
      const emit = (index: number, text: string, lps: readonly TokenLogprob[] | undefined, final?: Completion) => {
        const s = streams[index];
        if (!s.started) {
          s.started = true;
          chunk(index, { role: "assistant", content: "" });
        }
        const parts = separate ? s.splitter.push(text) : { reasoning: "", content: text };
        if (final && separate) {
          const rest = s.splitter.end();
          parts.reasoning += rest.reasoning;
          parts.content += rest.content;
        }
        const logprobs = topLogprobs !== undefined && lps?.length ? { logprobs: { content: chatLogprobs(lps, p.texts) } } : {};
        if (parts.reasoning) chunk(index, { reasoning_content: parts.reasoning }, parts.content ? {} : logprobs);
        if (parts.content) chunk(index, { content: parts.content }, logprobs);
        if (!parts.reasoning && !parts.content && logprobs.logprobs) chunk(index, {}, logprobs);
        if (final) chunk(index, {}, { finish_reason: finishReason(final.finishReason) });
      };
      try {
        const r = await ctx.run(job, (signal) => engine.generate({
          ...request, signal,
          onDelta: (d) => {
            const s = streams[d.index];
            s.text += d.text;
            s.tokens += d.tokens.length;
            emit(d.index, d.text, d.logprobs);
          },
          onSample: (c, index) => {
            const s = streams[index];
            // What the last steps held back (a possible stop string, a split character) comes now.
            const rest = c.text.startsWith(s.text) ? c.text.slice(s.text.length) : "";
            emit(index, rest, c.logprobs?.slice(s.tokens), c);
          },
        }), (g) => g.completions.length);
        if (includeUsage) sse.send({ id, object: "chat.completion.chunk", created, model, choices: [], usage: usageOf([{ promptTokens: prompt.tokens.length, stats: r.stats }], r.completions) });
        sse.send("[DONE]");
        ctx.record(req, 200);
      } catch (e) {
        sse.send(errorBody(statusOf(e), (e as Error).message));
        ctx.record(req, statusOf(e));
      }
      sse.end();
    });

    api.post("/v1/completions", { schema: { body: completionBody } }, async (req, reply) => {
      const body = req.body as Body;
      refuseUnsupported(body);
      const engine = ctx.engine();
      const p = promptsFor(engine);
      const prompts = promptList(body.prompt).map((x) => (typeof x === "string" ? textPrompt(engine, x) : x));
      // OpenAI's default for this route is 16 tokens.
      const request = sampling(body, ctx, body.max_tokens ?? 16);
      if (body.logprobs != null) request.logprobs = body.logprobs;
      const n = request.n!;
      const job = ctx.admit(req, reply, n * prompts.length);
      const id = newId("cmpl");
      const created = unixNow();
      const model = modelId(engine);
      const logprobsOf = (c: Completion) => (body.logprobs == null ? null : legacyLogprobs(c.logprobs ?? [], p.texts));
      const generateAll = (signal: AbortSignal, extra: (promptIndex: number) => Partial<GenerateRequest> = () => ({})) =>
        Promise.all(prompts.map((prompt, i) => engine.generate({ ...request, prompt, signal, ...extra(i) })));
      const count = (rs: GenerateResult[]) => rs.reduce((s, r) => s + r.completions.length, 0);
      const usage = (rs: GenerateResult[]) => usageOf(rs.map((r, i) => ({ promptTokens: prompts[i].length, stats: r.stats })), rs.flatMap((r) => r.completions));

      if (!body.stream) {
        const rs = await ctx.run(job, (signal) => generateAll(signal), count);
        return {
          id, object: "text_completion", created, model,
          choices: rs.flatMap((r, i) => r.completions.map((c, j) => ({ index: i * n + j, text: c.text, logprobs: logprobsOf(c), finish_reason: finishReason(c.finishReason) }))),
          usage: usage(rs),
        };
      }
      const sse = eventStream(reply);
      const includeUsage = body.stream_options?.include_usage === true;
      const chunk = (index: number, text: string, lps: readonly TokenLogprob[] | undefined, offset: number, finish: string | null = null) =>
        sse.send({ id, object: "text_completion", created, model, choices: [{ index, text, logprobs: body.logprobs == null ? null : legacyLogprobs(lps ?? [], p.texts, offset), finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) });
      const streams = Array.from({ length: n * prompts.length }, () => ({ text: "", tokens: 0 }));
      try {
        const rs = await ctx.run(job, (signal) => generateAll(signal, (i) => ({
          onDelta: (d) => {
            const s = streams[i * n + d.index];
            chunk(i * n + d.index, d.text, d.logprobs, s.text.length);
            s.text += d.text;
            s.tokens += d.tokens.length;
          },
          onSample: (c, j) => {
            const s = streams[i * n + j];
            const rest = c.text.startsWith(s.text) ? c.text.slice(s.text.length) : "";
            chunk(i * n + j, rest, c.logprobs?.slice(s.tokens), s.text.length, finishReason(c.finishReason));
          },
        })), count);
        if (includeUsage) sse.send({ id, object: "text_completion", created, model, choices: [], usage: usage(rs) });
        sse.send("[DONE]");
        ctx.record(req, 200);
      } catch (e) {
        sse.send(errorBody(statusOf(e), (e as Error).message));
        ctx.record(req, statusOf(e));
      }
      sse.end();
    });
  });
}

/** A message's text: a string, or its text parts joined with newlines (as vLLM does). */
function toChatMessage(m: Body): ChatMessage {
  const content = typeof m.content === "string" ? m.content : Array.isArray(m.content) ? m.content.map((p: { text: string }) => p.text).join("\n") : "";
  return { role: m.role === "developer" ? "system" : m.role, content };
}

/** The prompt field as a list of prompts (text or token ids). */
function promptList(prompt: unknown): (string | number[])[] {
  if (typeof prompt === "string") return [prompt];
  const list = prompt as unknown[];
  if (typeof list[0] === "number") return [list as number[]];
  return list as (string | number[])[];
}

/** Text prompts are plain text (never control tokens), with the model's BOS where it wants one. */
function textPrompt(engine: Engine, text: string): number[] {
  if (text.length === 0) throw new HttpError(400, "prompt must not be empty", {}, "prompt");
  return engine.model.tokenize(text, { addSpecial: true });
}
