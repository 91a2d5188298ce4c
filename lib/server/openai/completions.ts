// POST /v1/completions: text or token prompts (one engine request each, `n` samples), legacy
// logprobs, and a stream of server-sent events when asked.
import type { FastifyInstance } from "fastify";
import type { Completion, Engine, GenerateRequest, GenerateResult, TokenLogprob } from "../../engine.js";
import { HttpError } from "../http-error.js";
import { checkPrompt, endStream, eventStream, modelId, refuseUnsupported, restOf, sampling, type Body, type ModelPrompts, type OpenAiServerContext } from "./request.js";
import { completionBody } from "./schemas.js";
import { finishReason, legacyLogprobs, newId, unixNow, usageOf } from "./shapes.js";

export function registerCompletionsRoute(api: FastifyInstance, ctx: OpenAiServerContext, promptsFor: (engine: Engine) => ModelPrompts): void {
  api.post("/v1/completions", { schema: { body: completionBody } }, async (req, reply) => {
    const body = req.body as Body;
    refuseUnsupported(body);
    const engine = ctx.engine();
    const p = promptsFor(engine);
    const prompts = promptList(body.prompt).map((x) => (typeof x === "string" ? textPrompt(engine, x) : x));
    for (const x of prompts) checkPrompt(engine, x, "prompt");
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
    await endStream(ctx, req, sse, async () => {
      const rs = await ctx.run(job, (signal) => generateAll(signal, (i) => ({
        onDelta: (d) => {
          const s = streams[i * n + d.index];
          chunk(i * n + d.index, d.text, d.logprobs, s.text.length);
          s.text += d.text;
          s.tokens += d.tokens.length;
        },
        onSample: (c, j) => {
          const s = streams[i * n + j];
          chunk(i * n + j, restOf(c.text, s.text), c.logprobs?.slice(s.tokens), s.text.length, finishReason(c.finishReason));
        },
      })), count);
      return includeUsage ? { id, object: "text_completion", created, model, choices: [], usage: usage(rs) } : undefined;
    });
  });
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
