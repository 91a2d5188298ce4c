// The OpenAI response objects: ids, finish reasons, usage, logprobs in the chat and legacy
// completion forms, and errors ({"error": {message, type, param, code}}).
import { randomBytes } from "node:crypto";
import type { Completion, FinishReason, GenerateStats, TokenLogprob } from "../../engine.js";
import type { Model } from "../../model.js";

export const newId = (prefix: string) => `${prefix}-${randomBytes(12).toString("hex")}`;
export const unixNow = () => Math.floor(Date.now() / 1000);

/** OpenAI's finish reasons: the end of text and a stop string are both "stop". */
export function finishReason(f: FinishReason): "stop" | "length" {
  return f === "length" ? "length" : "stop";
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Prompt tokens taken from the prefix cache (OpenAI's "cached" tokens). */
  prompt_tokens_details: { cached_tokens: number };
}

export function usageOf(prompts: { promptTokens: number; stats?: GenerateStats }[], completions: Completion[]): Usage {
  const prompt = prompts.reduce((s, p) => s + p.promptTokens, 0);
  const completion = completions.reduce((s, c) => s + c.tokens.length, 0);
  const cached = prompts.reduce((s, p) => s + (p.stats?.prefixTokensReused ?? 0), 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } };
}

/** Token text for logprobs, cached per id (special tokens as their text, like the generated text). */
export class TokenTexts {
  readonly #model: Model;
  readonly #cache = new Map<number, string>();
  constructor(model: Model) {
    this.#model = model;
  }
  text(id: number): string {
    let t = this.#cache.get(id);
    if (t === undefined) {
      t = this.#model.detokenize([id]);
      this.#cache.set(id, t);
    }
    return t;
  }
}

// A token that is part of a UTF-8 character reads as U+FFFD; its bytes are then unknown here.
const bytesOf = (t: string) => (t.includes("\uFFFD") ? null : Array.from(Buffer.from(t, "utf8")));

export interface ChatLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
  top_logprobs: { token: string; logprob: number; bytes: number[] | null }[];
}

/** Chat form: one entry per generated token with its `top` alternatives. */
export function chatLogprobs(lps: readonly TokenLogprob[], texts: TokenTexts): ChatLogprob[] {
  return lps.map((lp) => {
    const token = texts.text(lp.token);
    return {
      token, logprob: lp.logprob, bytes: bytesOf(token),
      top_logprobs: lp.top.map((t) => {
        const tt = texts.text(t.token);
        return { token: tt, logprob: t.logprob, bytes: bytesOf(tt) };
      }),
    };
  });
}

export interface LegacyLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Record<string, number>[];
  text_offset: number[];
}

/** Legacy completion form; `offset` is where this piece starts in the choice's text. */
export function legacyLogprobs(lps: readonly TokenLogprob[], texts: TokenTexts, offset = 0): LegacyLogprobs {
  const out: LegacyLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let at = offset;
  for (const lp of lps) {
    const token = texts.text(lp.token);
    out.tokens.push(token);
    out.token_logprobs.push(lp.logprob);
    const top: Record<string, number> = {};
    for (const t of lp.top) top[texts.text(t.token)] = t.logprob;
    out.top_logprobs.push(top);
    out.text_offset.push(at);
    at += token.length;
  }
  return out;
}

/** OpenAI's error types by status (their SDKs map on the status; the type is for people). */
export function errorBody(status: number, message: string, param: string | null = null): { error: { message: string; type: string; param: string | null; code: string | null } } {
  const [type, code] =
    status === 401 ? ["authentication_error", "invalid_api_key"]
    : status === 404 ? ["invalid_request_error", "not_found"]
    : status === 429 ? ["rate_limit_error", "rate_limit_exceeded"]
    : status === 504 ? ["timeout_error", "timeout"]
    : status === 499 ? ["invalid_request_error", "client_closed_request"]
    : status >= 500 ? ["server_error", null]
    : ["invalid_request_error", null];
  return { error: { message, type, param, code } };
}
