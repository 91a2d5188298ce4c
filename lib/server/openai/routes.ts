// The OpenAI-compatible API of `rrm serve`: POST /v1/chat/completions, POST /v1/completions,
// GET /v1/models. Each request is one engine request per prompt with its `n` samples, so the
// samples share the prompt's KV cells, concurrent requests decode in the same steps and share the
// prefix cache, and the server's queue bound (429 + Retry-After), timeout (504), API key and
// cancellation on disconnect apply as on the judging routes (app.ts lends them). Errors come in
// OpenAI's shape. Streams are server-sent events: text as the engine adds it, then `[DONE]`.
import type { FastifyInstance } from "fastify";
import type { Engine } from "../../engine.js";
import { HttpError } from "../http-error.js";
import { registerChatRoute } from "./chat.js";
import { ChatPrompter } from "./chat-prompt.js";
import { registerCompletionsRoute } from "./completions.js";
import { modelId, type ModelPrompts, type OpenAiServerContext } from "./request.js";
import { errorBody, TokenTexts, unixNow } from "./shapes.js";

export type { OpenAiServerContext } from "./request.js";

export function registerOpenAiRoutes(app: FastifyInstance, ctx: OpenAiServerContext): void {
  let prompter: ModelPrompts | undefined;
  const promptsFor = (engine: Engine): ModelPrompts => {
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

    registerChatRoute(api, ctx, promptsFor);
    registerCompletionsRoute(api, ctx, promptsFor);
  });
}
