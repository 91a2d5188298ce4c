// JSON schemas of the OpenAI-compatible bodies (fastify validates with them; a 400 names the field).
// Fields OpenAI defines that change nothing here (user, metadata, store...) are accepted and ignored;
// fields whose meaning this server does not have (tools, a JSON response format, penalties other
// than 0, logit biases) are accepted by the schema and refused by the route with a message that
// names them, rather than silently dropped. Extra sampling fields as vLLM spells them: top_k, min_p,
// ignore_eos; and llama-server's reasoning_format.
const text = { type: "string", maxLength: 1_000_000 } as const;
const nullable = <T extends Record<string, unknown>>(s: T) => ({ ...s, type: [s.type as string, "null"] }) as const;

const textPart = {
  type: "object",
  required: ["type", "text"],
  additionalProperties: false,
  properties: { type: { type: "string", enum: ["text"] }, text },
} as const;

const message = {
  type: "object",
  required: ["role"],
  additionalProperties: false,
  properties: {
    role: { type: "string", enum: ["system", "developer", "user", "assistant"] },
    // A string, text parts (joined with newlines), or null for an assistant turn with no text.
    content: { anyOf: [text, { type: "array", maxItems: 1024, items: textPart }, { type: "null" }] },
    name: { type: "string", maxLength: 256 },
    // Earlier reasoning sent back (DeepSeek's and vLLM's field): not shown to the model again.
    reasoning_content: { anyOf: [text, { type: "null" }] },
    refusal: { anyOf: [text, { type: "null" }] },
  },
} as const;

const stop = { anyOf: [{ type: "string", minLength: 1, maxLength: 1024 }, { type: "array", maxItems: 16, items: { type: "string", minLength: 1, maxLength: 1024 } }, { type: "null" }] } as const;

/** Fields common to both routes. */
const sampling = {
  model: { type: "string", maxLength: 1024 },
  n: nullable({ type: "integer", minimum: 1, maximum: 128 }),
  max_tokens: nullable({ type: "integer", minimum: 1, maximum: 131072 }),
  temperature: nullable({ type: "number", minimum: 0, maximum: 2 }),
  top_p: nullable({ type: "number", minimum: 0, maximum: 1 }),
  top_k: nullable({ type: "integer", minimum: -1, maximum: 1_000_000 }),
  min_p: nullable({ type: "number", minimum: 0, maximum: 1 }),
  seed: nullable({ type: "integer" }),
  stop,
  ignore_eos: { type: "boolean" },
  stream: nullable({ type: "boolean" }),
  stream_options: {
    type: ["object", "null"],
    additionalProperties: false,
    properties: { include_usage: { type: "boolean" }, continuous_usage_stats: { type: "boolean" }, include_obfuscation: { type: "boolean" } },
  },
  presence_penalty: nullable({ type: "number", minimum: -2, maximum: 2 }),
  frequency_penalty: nullable({ type: "number", minimum: -2, maximum: 2 }),
  logit_bias: { type: ["object", "null"] },
  user: { type: "string", maxLength: 1024 },
  metadata: { type: ["object", "null"] },
  store: nullable({ type: "boolean" }),
  service_tier: nullable({ type: "string", maxLength: 64 }),
  prompt_cache_key: { type: "string", maxLength: 1024 },
  safety_identifier: { type: "string", maxLength: 1024 },
} as const;

export const chatCompletionBody = {
  type: "object",
  required: ["messages"],
  additionalProperties: false,
  properties: {
    ...sampling,
    messages: { type: "array", minItems: 1, maxItems: 4096, items: message },
    max_completion_tokens: nullable({ type: "integer", minimum: 1, maximum: 131072 }),
    logprobs: nullable({ type: "boolean" }),
    top_logprobs: nullable({ type: "integer", minimum: 0, maximum: 20 }),
    response_format: {
      type: "object",
      required: ["type"],
      properties: { type: { type: "string", maxLength: 64 } },
    },
    reasoning_format: { type: "string", enum: ["deepseek", "none"] },
    // Refused by the route with a message (this server has no tools and no audio).
    tools: {}, tool_choice: {}, functions: {}, function_call: {}, parallel_tool_calls: {}, modalities: {}, audio: {}, prediction: {},
    reasoning_effort: {}, verbosity: {}, web_search_options: {},
  },
} as const;

const tokenIds = { type: "array", minItems: 1, maxItems: 1_000_000, items: { type: "integer", minimum: 0 } } as const;

export const completionBody = {
  type: "object",
  required: ["prompt"],
  additionalProperties: false,
  properties: {
    ...sampling,
    // One prompt or several: text, token ids, or lists of either.
    prompt: { anyOf: [text, { type: "array", minItems: 1, maxItems: 128, items: text }, tokenIds, { type: "array", minItems: 1, maxItems: 128, items: tokenIds }] },
    logprobs: nullable({ type: "integer", minimum: 0, maximum: 5 }),
    echo: nullable({ type: "boolean" }),
    best_of: nullable({ type: "integer", minimum: 1, maximum: 128 }),
    suffix: nullable({ type: "string", maxLength: 1_000_000 }),
  },
} as const;
