// POST /v1/chat/completions: messages through the model's chat template, `n` samples of one engine
// request, reasoning apart from the answer, and a stream of server-sent events when asked.
import type { FastifyInstance } from "fastify";
import type { Completion, Engine, GenerateRequest, TokenLogprob } from "../../engine.js";
import { HttpError } from "../http-error.js";
import type { ChatMessage } from "./chat-prompt.js";
import { ReasoningSplitter, splitReasoning } from "./reasoning.js";
import { checkPrompt, endStream, eventStream, modelId, refuseUnsupported, restOf, sampling, type Body, type ModelPrompts, type OpenAiServerContext } from "./request.js";
import { chatCompletionBody } from "./schemas.js";
import { chatLogprobs, finishReason, newId, unixNow, usageOf } from "./shapes.js";

export function registerChatRoute(api: FastifyInstance, ctx: OpenAiServerContext, promptsFor: (engine: Engine) => ModelPrompts): void {
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
    checkPrompt(engine, prompt.tokens, "messages");
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
    await endStream(ctx, req, sse, async () => {
      const r = await ctx.run(job, (signal) => engine.generate({
        ...request, signal,
        onDelta: (d) => {
          const s = streams[d.index];
          s.text += d.text;
          s.tokens += d.tokens.length;
          emit(d.index, d.text, d.logprobs);
        },
        onSample: (c, index) => emit(index, restOf(c.text, streams[index].text), c.logprobs?.slice(streams[index].tokens), c),
      }), (g) => g.completions.length);
      return includeUsage ? { id, object: "chat.completion.chunk", created, model, choices: [], usage: usageOf([{ promptTokens: prompt.tokens.length, stats: r.stats }], r.completions) } : undefined;
    });
  });
}

/** A message's text: a string, or its text parts joined with newlines (as vLLM does). */
function toChatMessage(m: Body): ChatMessage {
  const content = typeof m.content === "string" ? m.content : Array.isArray(m.content) ? m.content.map((p: { text: string }) => p.text).join("\n") : "";
  return { role: m.role === "developer" ? "system" : m.role, content };
}
