// What every OpenAI route of `rrm serve` does with a request: what app.ts lends (the engine, its
// queue, timeout and log), refusals of what this server has no meaning for, the engine request's
// sampling, the checks the engine would make (made before a stream's 200 goes out), and the
// server-sent events of a stream.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Engine, GenerateRequest } from "../../engine.js";
import { HttpError } from "../http-error.js";
import type { ChatPrompter } from "./chat-prompt.js";
import { errorBody, type TokenTexts } from "./shapes.js";

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
  /** Server defaults where a body gives none (--max-tokens, --temperature, --top-p). */
  defaults: { maxTokens?: number; temperature?: number; topP?: number };
}

/** The model's chat prompter (or why there is none) and token texts, made once per engine. */
export interface ModelPrompts { engine: Engine; chat?: ChatPrompter; error?: string; texts: TokenTexts }

export type Body = Record<string, any>;

/** The model's id in /v1/models and in every response: the file name without ".gguf". */
export function modelId(engine: Engine): string {
  const base = engine.model.info.path.split(/[\\/]/).pop() ?? "model";
  return base.replace(/\.gguf$/i, "") || "model";
}

/** A field this server has no meaning for, refused with its name (400) rather than ignored. */
export function refuseUnsupported(body: Body) {
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
export function sampling(body: Body, ctx: OpenAiServerContext, maxTokens: number): Omit<GenerateRequest, "prompt"> {
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
export function eventStream(reply: FastifyReply) {
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

/** What the engine would refuse, refused before a stream's 200 is sent: token ids out of range, a prompt longer than the context. */
export function checkPrompt(engine: Engine, tokens: readonly number[], param: string) {
  const nv = engine.model.info.vocabularySize;
  const bad = tokens.findIndex((t) => t >= nv);
  if (bad >= 0) throw new HttpError(400, `${param} has token id ${tokens[bad]} at ${bad}: token ids are 0..${nv - 1}`, {}, param);
  if (tokens.length >= engine.info.cellsPerSequence) throw new HttpError(400, `${param} has ${tokens.length} tokens but the context holds ${engine.info.cellsPerSequence}`, {}, param);
}

export const statusOf = (e: unknown) => (e instanceof HttpError ? e.status : 500);

/** A stream's end: its work's last chunk (usage, when asked for) and [DONE], or an error event; one log line. */
export async function endStream(ctx: OpenAiServerContext, req: FastifyRequest, sse: ReturnType<typeof eventStream>, work: () => Promise<unknown>) {
  try {
    const last = await work();
    if (last) sse.send(last);
    sse.send("[DONE]");
    ctx.record(req, 200);
  } catch (e) {
    sse.send(errorBody(statusOf(e), (e as Error).message));
    ctx.record(req, statusOf(e));
  }
  sse.end();
}

/** What a sample's end adds to what was streamed (held back by the last steps: a possible stop string, half a character). */
export const restOf = (final: string, streamed: string) => (final.startsWith(streamed) ? final.slice(streamed.length) : "");
