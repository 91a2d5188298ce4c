// One JSON schema per route body: fastify validates with it (400 naming the field and the allowed
// range) before a handler runs, so handlers never parse by hand.
import { JUDGE_PRESET_NAMES } from "../judges/index.js";
import { REWARD_MODES } from "./rewards.js";

const text = { type: "string", maxLength: 1_000_000 } as const;

/** The judge's options, accepted beside the pair(s) in every judging route. */
export const JUDGE_OPTION_PROPS = {
  votes: { type: "integer", minimum: 1, maximum: 64 },
  maxTokens: { type: "integer", minimum: 1, maximum: 131072 },
  thinkingBudget: { type: "integer", minimum: 1, maximum: 131072 },
  temperature: { type: "number", minimum: 0, maximum: 100 },
  topP: { type: "number", minimum: 0, maximum: 1 },
  swap: { type: "string", enum: ["random", "alternate", "none"] },
  earlyStop: { type: "boolean" },
  tieBreak: { type: "string", enum: ["none", "a", "b", "probability", "coin"] },
  trimVerdict: { type: "boolean" },
  seed: { type: "integer", minimum: 0, maximum: 4294967295 },
} as const;
export const JUDGE_OPTION_KEYS = Object.keys(JUDGE_OPTION_PROPS);

/** Which judge preset answers the request (lib/judges); default: the server's --judge. */
const judgeField = { judge: { type: "string", enum: [...JUDGE_PRESET_NAMES, "auto"] } } as const;

const pair = {
  type: "object",
  required: ["query", "a", "b"],
  additionalProperties: false,
  properties: { query: text, a: text, b: text, id: {} },
} as const;

export const compareBody = {
  type: "object",
  additionalProperties: false,
  properties: { ...pair.properties, pairs: { type: "array", minItems: 1, maxItems: 4096, items: pair }, ...JUDGE_OPTION_PROPS, ...judgeField },
  oneOf: [{ required: ["query", "a", "b"], not: { required: ["pairs"] } }, { required: ["pairs"], not: { anyOf: [{ required: ["query"] }, { required: ["a"] }, { required: ["b"] }] } }],
} as const;

export const rankBody = {
  type: "object",
  required: ["query", "candidates"],
  additionalProperties: false,
  properties: {
    query: text,
    candidates: { type: "array", minItems: 1, maxItems: 256, items: text },
    strategy: { type: "string", enum: ["knockout", "elo", "swiss"] },
    /**
     * Bradley–Terry resamples, fitted synchronously after the matches: the library allows 100,000,
     * which held the server's event loop (every connection, /health) for about a minute with 4
     * candidates (found by bench/http-fuzz.ts). 1,000 resamples: 0.5 s at 4-8 candidates, 3.9 s
     * at 32 (the most an ELO ranking brings past the default --max-queue 512), on 2 busy cores.
     */
    bootstrap: { type: "integer", minimum: 0, maximum: 1000 },
    /** Swiss rounds (default ceil(log2 n) + 1). */
    rounds: { type: "integer", minimum: 1, maximum: 255 },
    /** At most this many judgments, spent on the least settled matches (votes caps one match). */
    budget: { type: "integer", minimum: 1, maximum: 1_000_000 },
    /** Stream NDJSON progress lines, then the result as the last line. */
    stream: { type: "boolean" },
    ...JUDGE_OPTION_PROPS,
    ...judgeField,
  },
} as const;

export const rewardsBody = {
  type: "object",
  required: ["query", "responses"],
  additionalProperties: false,
  properties: {
    query: text,
    responses: { type: "array", minItems: 1, maxItems: 1024, items: text },
    mode: { type: "string", enum: [...REWARD_MODES] },
    k: { type: "integer", minimum: 1, maximum: 64 },
    m: { type: "integer", minimum: 1, maximum: 64 },
    reference: text,
    /** swiss: rounds (default ceil(log2 n) + 1, at most a round-robin's worth). */
    rounds: { type: "integer", minimum: 1, maximum: 255 },
    ...JUDGE_OPTION_PROPS,
    ...judgeField,
  },
} as const;

/** OpenRLHF's payload; it may add fields of its own in later versions, so extra keys are allowed. */
export const getRewardBody = {
  type: "object",
  required: ["query"],
  properties: {
    query: { type: "array", minItems: 1, maxItems: 65536, items: text },
    prompts: { type: "array", items: text },
    labels: { type: "array", items: { type: ["string", "null"] } },
    ...judgeField,
  },
} as const;
