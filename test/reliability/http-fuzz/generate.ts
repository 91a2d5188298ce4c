// The fuzzer's requests, from a seed: bodies built from the routes' own JSON schemas
// (lib/server/schemas.ts) and mutated there (a required field dropped, an unknown one added, a
// wrong type, a bound crossed by one, an enum value misspelt) or in their bytes (truncated, a byte
// flipped, invalid UTF-8, deep nesting, prototype keys, duplicate keys), framed honestly or not
// (content-length lies, chunked encodings good and bad, both at once), with odd headers, methods
// and paths, sent whole, slowly, pipelined, or abandoned midway. Each case says what a correct
// server answers (checks.ts decides).
import { SeededRandom } from "../../../lib/random.js";
import { compareBody, getRewardBody, JUDGE_OPTION_PROPS, rankBody, rewardsBody } from "../../../lib/server/schemas.js";
import { chatCompletionBody, completionBody } from "../../../lib/server/openai/schemas.js";
import { chunked, requestBytes, type ExchangePlan, type Piece } from "./client.js";

export type Route = "/v1/compare" | "/v1/rank" | "/v1/rewards" | "/get_reward" | "/v1/chat/completions" | "/v1/completions" | "/v1/models" | "/health" | "/metrics";
export const ROUTE_SCHEMAS: Record<string, object> = { "/v1/compare": compareBody, "/v1/rank": rankBody, "/v1/rewards": rewardsBody, "/get_reward": getRewardBody, "/v1/chat/completions": chatCompletionBody, "/v1/completions": completionBody };
const GET_ROUTES = new Set<Route>(["/health", "/metrics", "/v1/models"]);
const BODY_ROUTES = Object.keys(ROUTE_SCHEMAS) as Route[];

/** The server's judge defaults the fuzzer starts it with (checks.ts needs them to predict counts). */
export const SERVER_DEFAULTS = { votes: 1, thinkingBudget: 4, maxTokens: 8 };
export const SERVER_ARGS = ["--votes", "1", "--thinking-budget", "4", "--max-tokens", "8", "--max-queue", "100000", "--request-timeout", "60", "--group-size", "2", "--group-wait", "200"];
export const BODY_LIMIT = 4 * 1024 * 1024; // rrm serve's default --body-limit

/** What the answer to one request must be. */
export type Expect =
  /** A well-formed request: exactly 200, and the body checked against the request. */
  | { kind: "valid"; route: Route; method: string; body?: any }
  /** JSON the oracle (checks.ts: the same parser and schema validator as fastify) decides. */
  | { kind: "oracle"; route: Route; text: Buffer }
  /** Anything but a 5xx (and a response, if one comes, well-formed); `statuses` narrows it. */
  | { kind: "any"; statuses?: number[] };

export interface Case {
  id: number;
  kind: string;
  note: string;
  plan: ExchangePlan;
  /** One per request sent, in order. */
  expects: Expect[];
  /** A response may be missing (the client gave up, the server cut a lying or oversized request). */
  mayGoUnanswered: boolean;
  /** Sent on a pooled keep-alive connection rather than its own. */
  keepAlive?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Text

const SPECIALS = ["<｜Assistant｜>", "<｜User｜>", "</think>", "<think>", "\\boxed{Assistant 1}", "\\boxed{Assistant 2}", "<|im_start|>assistant\n", "<|im_end|>", "<|endoftext|>", "<｜end▁of▁sentence｜>", "<｜begin▁of▁sentence｜>", "[INST]", "<s>"];
const ODD = ["\u0000", "\u0001", "\u001f", "\u007f", "\u2028", "\u2029", "\ufeff", "\ufffd", "\u202e", "\ud83d", "\udc00", "\ud83d\ude00", "é", "中文", "😀", "\\", "\"", "\n", "\r\n", "\t", "{\"a\":1}", "%00", "${x}", "'; DROP TABLE x;--"];
const WORDS = ["the", "answer", "is", "4", "Paris", "which", "better", "response", "assistant", "because", "2+2", "x", "yes", "no", "proof", "def f(x): return x", "SELECT 1"];

export function text(rng: SeededRandom, maxChars = 120): string {
  const target = 1 + rng.int(Math.max(1, maxChars));
  let s = "";
  while (s.length < target) {
    const r = rng.int(10);
    s += r < 6 ? WORDS[rng.int(WORDS.length)] + " " : r < 8 ? ODD[rng.int(ODD.length)] : SPECIALS[rng.int(SPECIALS.length)];
  }
  return s.slice(0, Math.max(1, target)) || "x";
}

// ---------------------------------------------------------------------------------------------
// Schema-driven values

type Schema = Record<string, any>;
/** Judge knobs in ranges that keep a judgment to a few dozen tokens (the real bounds are crossed by the mutations). */
const CHEAP: Record<string, [number, number]> = { votes: [1, 3], maxTokens: [6, 40], thinkingBudget: [1, 5], bootstrap: [0, 40], k: [1, 4], m: [1, 4], rounds: [1, 4], budget: [1, 24],
  n: [1, 3], max_tokens: [1, 8], max_completion_tokens: [1, 8], best_of: [1, 3], top_logprobs: [0, 5] };
const CHEAP_ITEMS: Record<string, number> = { pairs: 4, candidates: 6, responses: 6, query: 4, prompts: 4, labels: 4, messages: 4, prompt: 4 };

/** A value valid under `schema` (cheap: small arrays, short texts, small judge knobs). */
export function valueFor(schema: Schema, rng: SeededRandom, key = "", textChars = 120): unknown {
  if (schema.enum) return schema.enum[rng.int(schema.enum.length)];
  const type = Array.isArray(schema.type) ? schema.type[rng.int(schema.type.length)] : schema.type;
  switch (type) {
    case "string": return text(rng, Math.min(schema.maxLength ?? 1e6, textChars));
    case "null": return null;
    case "boolean": return rng.coin();
    case "integer": case "number": {
      const [lo, hi] = CHEAP[key] ?? [schema.minimum ?? 0, Math.min(schema.maximum ?? 1e6, 1e6)];
      const edge = rng.int(4);
      const v = edge === 0 ? lo : edge === 1 ? hi : lo + rng.next() * (hi - lo);
      return type === "integer" ? Math.round(v) : v;
    }
    case "array": {
      const min = schema.minItems ?? 0;
      const max = Math.min(schema.maxItems ?? 8, CHEAP_ITEMS[key] ?? 4);
      const n = min + rng.int(Math.max(1, max - min + 1));
      return Array.from({ length: n }, () => valueFor(schema.items ?? {}, rng, key, textChars));
    }
    case "object": {
      const out: Record<string, unknown> = {};
      for (const k of schema.required ?? []) out[k] = valueFor(schema.properties[k], rng, k, textChars);
      for (const [k, s] of Object.entries<Schema>(schema.properties ?? {})) {
        if (out[k] === undefined && rng.int(3) === 0) out[k] = valueFor(s, rng, k, textChars);
      }
      return out;
    }
    default: return anyJson(rng, 2); // {} accepts anything (a pair's id)
  }
}

export function anyJson(rng: SeededRandom, depth: number): unknown {
  switch (rng.int(depth > 0 ? 8 : 6)) {
    case 0: return null;
    case 1: return rng.coin();
    case 2: return rng.int(2) ? rng.int(1000) : (rng.next() - 0.5) * 1e12;
    case 3: return text(rng, 20);
    case 4: return [0, -1, 1.5, 1e308, -0, 2 ** 53 + 1][rng.int(6)];
    case 5: return "";
    case 6: return Array.from({ length: rng.int(4) }, () => anyJson(rng, depth - 1));
    default: return Object.fromEntries(Array.from({ length: rng.int(4) }, (_, i) => [["k", "id", "__proto", "constructor", "toString", ""][i % 6] + i, anyJson(rng, depth - 1)]));
  }
}

// ---------------------------------------------------------------------------------------------
// Valid, cheap requests (exactly 200, checked field by field)

function cheapOptions(rng: SeededRandom): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (rng.int(2)) o.votes = rng.int(4) ? 1 + rng.int(2) : 3;
  const t = rng.int(3);
  if (t === 1) { o.thinkingBudget = 1 + rng.int(5); o.maxTokens = (o.thinkingBudget as number) + 1 + rng.int(24); }
  if (t === 2) o.maxTokens = SERVER_DEFAULTS.thinkingBudget + 1 + rng.int(24);
  if (rng.int(3) === 0) o.temperature = [0, 0.3, 0.6, 1, 1.9][rng.int(5)];
  if (rng.int(3) === 0) o.topP = [0.05, 0.5, 0.95, 1][rng.int(4)];
  if (rng.int(3) === 0) o.swap = ["random", "alternate", "none"][rng.int(3)];
  if (rng.int(3) === 0) o.earlyStop = rng.coin();
  if (rng.int(4) === 0) o.tieBreak = ["none", "a", "b", "probability", "coin"][rng.int(5)];
  if (rng.int(4) === 0) o.trimVerdict = rng.coin();
  if (rng.int(2)) o.seed = [0, 1, 4294967295, rng.uint32()][rng.int(4)];
  return o;
}

export function validBody(route: Route, rng: SeededRandom): any {
  const opts = cheapOptions(rng);
  const t = () => text(rng, rng.int(16) === 0 ? 400 : 60);
  switch (route) {
    case "/v1/compare":
      if (rng.int(3) === 0) {
        return { pairs: Array.from({ length: 1 + rng.int(3) }, (_, i) => ({ query: t(), a: t(), b: t(), ...(rng.coin() ? { id: rng.coin() ? i : anyJson(rng, 2) } : {}) })), ...opts };
      }
      return { query: t(), a: t(), b: t(), ...opts };
    case "/v1/rank": {
      const strategy = rng.coin() ? "knockout" : "elo";
      const n = 1 + rng.int(strategy === "elo" ? 4 : 5);
      const { votes: _v, ...rest } = opts;
      return { query: t(), candidates: Array.from({ length: n }, t), ...(rng.coin() ? { strategy } : strategy === "elo" ? { strategy } : {}), ...(strategy === "elo" && rng.coin() ? { bootstrap: rng.int(30) } : {}), ...(rng.int(3) === 0 ? { stream: true } : {}), ...rest };
    }
    case "/v1/rewards": {
      const mode = ["baseline", "baselines", "elo", "reference"][rng.int(4)];
      const n = 1 + rng.int(4);
      const { votes: _v, ...rest } = opts;
      return { query: t(), responses: Array.from({ length: n }, t), mode, ...(mode === "reference" ? { reference: t() } : {}), ...(mode === "baselines" && rng.coin() ? { k: 1 + rng.int(3) } : {}), ...(mode === "elo" && rng.coin() ? { m: 1 + rng.int(3) } : {}), ...rest };
    }
    case "/get_reward": {
      const n = 1 + rng.int(3);
      const prompt = `<|im_start|>user\n${t()}<|im_end|>\n<|im_start|>assistant\n`;
      const query = Array.from({ length: n }, () => prompt + t() + "<|im_end|>");
      const body: any = { query };
      if (rng.int(3)) body.prompts = query.map(() => prompt);
      if (rng.coin()) body.labels = query.map(() => (rng.int(4) ? t() : null));
      return body;
    }
    case "/v1/chat/completions": {
      const roles = ["system", "developer", "user", "assistant"];
      const messages = Array.from({ length: 1 + rng.int(3) }, (_, i) => ({ role: i === 0 ? roles[rng.int(3)] : roles[rng.int(4)], content: rng.int(5) ? t() : [{ type: "text", text: t() }] }));
      return { model: rng.coin() ? "rrm" : "anything", messages, ...openAiOptions(rng), ...(rng.int(4) === 0 ? { max_completion_tokens: 1 + rng.int(8) } : {}),
        ...(rng.int(4) === 0 ? { logprobs: true, ...(rng.coin() ? { top_logprobs: rng.int(4) } : {}) } : {}), ...(rng.int(6) === 0 ? { reasoning_format: rng.coin() ? "none" : "deepseek" } : {}) };
    }
    case "/v1/completions": {
      const one = () => (rng.int(4) ? t() : Array.from({ length: 1 + rng.int(6) }, () => rng.int(150000)));
      return { model: "rrm", prompt: rng.coin() ? one() : Array.from({ length: 1 + rng.int(2) }, () => t()), ...openAiOptions(rng), ...(rng.int(4) === 0 ? { logprobs: rng.int(4) } : {}) };
    }
    default: return undefined;
  }
}

/** OpenAI's sampling fields, cheap (a few tokens, up to 3 samples), sometimes streamed. */
function openAiOptions(rng: SeededRandom): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (rng.coin()) o.max_tokens = 1 + rng.int(8);
  if (rng.int(3) === 0) o.n = 1 + rng.int(3);
  if (rng.int(3) === 0) o.temperature = [0, 0.6, 1, 2][rng.int(4)];
  if (rng.int(4) === 0) o.top_p = [0.1, 0.9, 1][rng.int(3)];
  if (rng.coin()) o.seed = [0, 1, -1, 2 ** 40, rng.uint32()][rng.int(5)];
  if (rng.int(4) === 0) o.stop = rng.coin() ? text(rng, 3) : [text(rng, 2), text(rng, 4)];
  if (rng.int(6) === 0) o.ignore_eos = true;
  if (rng.int(3) === 0) {
    o.stream = true;
    if (rng.coin()) o.stream_options = { include_usage: rng.coin() };
  }
  if (rng.int(8) === 0) Object.assign(o, { user: "u", metadata: {}, presence_penalty: 0, frequency_penalty: 0, logit_bias: {} });
  return o;
}

// ---------------------------------------------------------------------------------------------
// Schema-aware mutations of a valid body (the oracle decides whether the result is still valid)

const WRONG_TYPES = [null, true, 0, -1, 1.5, "3", "", [], [1], {}, { a: 1 }];

export function mutate(route: Route, body: any, rng: SeededRandom): { body: unknown; note: string } {
  const schema = ROUTE_SCHEMAS[route] as Schema;
  const props = Object.keys(schema.properties);
  const b = structuredClone(body);
  switch (rng.int(12)) {
    case 0: {
      const keys = Object.keys(b);
      const k = keys[rng.int(keys.length)];
      delete b[k];
      return { body: b, note: `dropped ${k}` };
    }
    case 1: {
      const k = ["vote", "Votes", "model", "stream ", "__extra", "priority", "signal", "onProgress", ""][rng.int(9)];
      b[k] = anyJson(rng, 1);
      return { body: b, note: `unknown field ${JSON.stringify(k)}` };
    }
    case 2: {
      const k = props[rng.int(props.length)];
      b[k] = WRONG_TYPES[rng.int(WRONG_TYPES.length)];
      return { body: b, note: `${k} of a wrong type` };
    }
    case 3: case 4: {
      // A numeric bound crossed by one, or a non-integer, or a huge value.
      const numeric = Object.entries<Schema>({ ...JUDGE_OPTION_PROPS, ...schema.properties }).filter(([k, s]) => props.includes(k) && (s.type === "integer" || s.type === "number"));
      if (!numeric.length) return { body: { ...b, query: 1 }, note: "query a number" };
      const [k, s] = numeric[rng.int(numeric.length)];
      const choices = [s.minimum - 1, s.maximum + 1, s.minimum, s.maximum, s.minimum + 0.5, 1e308, -1e308, 2 ** 53, -0];
      b[k] = choices[rng.int(choices.length)];
      // A valid extreme stays valid: rarely an expensive one (votes 64 in every match, 100,000
      // bootstrap resamples, a budget of 1,000,000), which --request-timeout bounds.
      if (b[k] === s.maximum && ["votes", "bootstrap", "budget"].includes(k) && rng.int(8)) b[k] = s.minimum;
      return { body: b, note: `${k} = ${b[k]}` };
    }
    case 5: {
      const enums = Object.entries<Schema>({ ...JUDGE_OPTION_PROPS, ...schema.properties }).filter(([k, s]) => props.includes(k) && s.enum);
      if (!enums.length) return { body: null, note: "body null" };
      const [k, s] = enums[rng.int(enums.length)];
      b[k] = [s.enum[0].toUpperCase(), s.enum[0] + " ", "", "none\u0000", 1, null][rng.int(6)];
      return { body: b, note: `${k} = ${JSON.stringify(b[k])}` };
    }
    case 6: {
      // Arrays past their bounds: empty, or one more than allowed.
      const arrays = Object.entries<Schema>(schema.properties).filter(([, s]) => s.type === "array");
      if (!arrays.length) return { body: [b], note: "the body in an array" };
      const [k, s] = arrays[rng.int(arrays.length)];
      const over = rng.int(3) === 0 && s.maxItems;
      b[k] = over ? Array.from({ length: s.maxItems + 1 }, () => (s.items?.type === "object" ? { query: "q", a: "a", b: "b" } : "x")) : [];
      return { body: b, note: `${k} with ${b[k].length} items` };
    }
    case 7: {
      // Inside an array: an item of the wrong type, or a pair with a missing or extra field.
      const arrays = Object.entries<Schema>(schema.properties).filter(([k, s]) => s.type === "array" && Array.isArray(b[k]) && b[k].length);
      if (!arrays.length) return { body: { ...b, query: ["q"] }, note: "query as an array" };
      const [k] = arrays[rng.int(arrays.length)];
      const i = rng.int(b[k].length);
      const item = b[k][i];
      if (item && typeof item === "object") {
        if (rng.coin()) delete item[["query", "a", "b"][rng.int(3)]];
        else item[rng.coin() ? "extra" : "votes"] = 1;
      } else b[k][i] = WRONG_TYPES[rng.int(WRONG_TYPES.length)];
      return { body: b, note: `${k}[${i}] mutated` };
    }
    case 8: {
      if (route !== "/v1/compare") return { body: { ...b, pairs: [{ query: "q", a: "a", b: "b" }] }, note: "pairs added" };
      return b.pairs ? { body: { ...b, query: "q", a: "a", b: "b" }, note: "pairs and query together" } : { body: { ...b, pairs: [{ query: "q", a: "a", b: "b" }] }, note: "query and pairs together" };
    }
    case 9: {
      const whole = [null, [], "string", 42, true, {}, [body]];
      return { body: whole[rng.int(whole.length)], note: "not an object" };
    }
    case 10: {
      // A string past maxLength (1,000,000 characters), or exactly at it (rarely: 1 MB bodies).
      if (rng.int(8)) return { body: { ...b, seed: -1 }, note: "seed -1" };
      const k = ["query", "a", "b", "reference"].find((x) => props.includes(x)) ?? "query";
      const at = rng.coin();
      return { body: { ...b, [k]: "y".repeat(at ? 1_000_000 : 1_000_001) }, note: `${k} of ${at ? "1,000,000" : "1,000,001"} characters` };
    }
    default: {
      // Option pairs only the judge checks: thinkingBudget >= maxTokens.
      const m = 1 + rng.int(8);
      return { body: { ...b, maxTokens: m, thinkingBudget: m + rng.int(3) }, note: `thinkingBudget >= maxTokens (${m})` };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Byte-level mutations of a JSON text

export function mutateBytes(json: string, rng: SeededRandom): { bytes: Buffer; note: string } {
  const buf = Buffer.from(json, "utf8");
  const at = rng.int(Math.max(1, buf.length));
  switch (rng.int(14)) {
    case 0: return { bytes: buf.subarray(0, at), note: `truncated at ${at}` };
    case 1: { const c = Buffer.from(buf); c[at] ^= 1 << rng.int(8); return { bytes: c, note: `bit flip at ${at}` }; }
    case 2: { const c = Buffer.from(buf); c[at] = [0x00, 0xff, 0xc0, 0x80, 0x22, 0x5c, 0x7b, 0x7d][rng.int(8)]; return { bytes: c, note: `byte ${c[at]} at ${at}` }; }
    case 3: {
      // Invalid UTF-8 inside a string value (decoded as U+FFFD by the server: still JSON).
      const bad = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xe2, 0x82])][rng.int(5)];
      const q = json.indexOf("\":\"");
      if (q < 0) return { bytes: buf, note: "unchanged" };
      const p = Buffer.byteLength(json.slice(0, q + 3));
      return { bytes: Buffer.concat([buf.subarray(0, p), bad, buf.subarray(p)]), note: "invalid UTF-8 in a string" };
    }
    case 4: return { bytes: Buffer.concat([buf, Buffer.from(["", " ", "\n", "x", "}", ",{}", "\u0000"][rng.int(7)])]), note: "trailing bytes" };
    case 5: return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]), note: "a UTF-8 BOM first" };
    case 6: {
      // Deep nesting (within the body limit): the parser must not overflow its stack.
      const depth = [1000, 10_000, 100_000, 1_000_000][rng.int(4)];
      const arr = rng.coin();
      const open = arr ? "[" : "{\"a\":", close = arr ? "]" : "}";
      return { bytes: Buffer.from(`{"query":"q","a":"a","b":"b","id":${open.repeat(depth)}1${close.repeat(depth)}}`), note: `nesting ${depth} deep` };
    }
    case 7: {
      const poison = ["{\"__proto__\":{\"votes\":64},", "{\"constructor\":{\"prototype\":{\"x\":1}},", "{\"__proto__\":null,", "{\"constructor\":1,"][rng.int(4)];
      return { bytes: Buffer.from(json.replace(/^\{/, poison).replace(/,\}$/, "}")), note: "prototype keys" };
    }
    case 8: return { bytes: Buffer.from(json.replace(/^\{/, `{"votes":${[0, 1, 99][rng.int(3)]},`)), note: "a duplicate key" };
    case 9: {
      const num = ["1e400", "-1e400", "1.0", "01", "0x10", "NaN", "Infinity", "-0", "1e-400", "12345678901234567890123", "2.", ".5", "+1"][rng.int(13)];
      return { bytes: Buffer.from(json.replace(/^\{/, `{"seed":${num},`)), note: `seed ${num}` };
    }
    case 10: return { bytes: Buffer.from(json.replace(/"/g, "'")), note: "single quotes" };
    case 11: return { bytes: Buffer.from(json.slice(0, at) + "/* c */" + json.slice(at)), note: "a comment" };
    case 12: return { bytes: Buffer.from(["", " ", "null", "[]", "{}", "\"\"", "{\"query\":", "{{}}", "\u0000"][rng.int(9)]), note: "short body" };
    default: {
      // Escapes: a lone surrogate, NUL, every control escape (valid JSON, odd text).
      const esc = ["\\ud800", "\\udfff", "\\u0000", "\\b\\f\\n\\r\\t", "\\u00e9", "\\uD83D\\uDE00", "\\x41", "\\u12"][rng.int(8)];
      const q = json.indexOf("\":\"");
      if (q < 0) return { bytes: buf, note: "unchanged" };
      return { bytes: Buffer.from(json.slice(0, q + 3) + esc + json.slice(q + 3)), note: `escape ${esc}` };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cases

const H = (body: Buffer | string, type = "application/json", extra: [string, string][] = []): [string, string][] =>
  [["Host", "127.0.0.1"], ["Content-Type", type], ["Content-Length", String(Buffer.byteLength(body))], ...extra];
const whole = (bytes: Buffer): Piece[] => [{ data: bytes }];
const JUDGE_TIMEOUT = 120_000;

function pickRoute(rng: SeededRandom): Route {
  const r = rng.int(100);
  return r < 26 ? "/v1/compare" : r < 40 ? "/v1/rank" : r < 54 ? "/v1/rewards" : r < 64 ? "/get_reward" : r < 76 ? "/v1/chat/completions" : r < 84 ? "/v1/completions" : r < 87 ? "/v1/models" : r < 95 ? "/health" : "/metrics";
}

/** A well-formed request for `route` and what it must get. */
export function validRequest(route: Route, rng: SeededRandom): { bytes: Buffer; expect: Expect; head: boolean } {
  if (GET_ROUTES.has(route)) {
    const head = rng.int(10) === 0;
    return { bytes: requestBytes(head ? "HEAD" : "GET", route, [["Host", "127.0.0.1"]]), expect: { kind: "valid", route, method: head ? "HEAD" : "GET" }, head };
  }
  const body = validBody(route, rng);
  const text = JSON.stringify(body);
  const type = ["application/json", "application/json; charset=utf-8", "Application/JSON"][rng.int(8) === 0 ? 1 + rng.int(2) : 0];
  return { bytes: requestBytes("POST", route, H(text, type), text), expect: { kind: "valid", route, method: "POST", body }, head: false };
}

const METHODS = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "FOO", "post", "P OST", "GET\u0000", "CONNECT", "SEARCH", "QUERY", "M".repeat(300)];
const PATHS = ["/", "/v1", "/v1/", "/v1/compare/", "/v1/comparex", "//v1/compare", "/v1//compare", "/V1/COMPARE", "/v1/%63ompare", "/%", "/%zz", "/%00", "/v1/compare%00", "/v1/compare;x",
  "/v1/compare?votes=3", "/v1/compare?", "/v1/compare#frag", "/health?x=1", "/health/", "/metrics?format=json", "*", "http://127.0.0.1/v1/compare", "/../../etc/passwd", "/v1/compare/../rank",
  "/\u00e9", "/" + "a".repeat(8000), "/" + "a".repeat(70_000), "/get_reward?x=" + "%41".repeat(500), "/v1/rank\t", "/ v1/rank"];

/**
 * Case `id` of the run with seed `seed` (a case depends on nothing else: any one can be replayed).
 * mix "fuzz": the whole mix below; "valid": only well-formed requests (the soak).
 */
export function makeCase(seed: number, id: number, mix: "fuzz" | "valid" = "fuzz"): Case {
  const rng = new SeededRandom((seed ^ Math.imul(id + 1, 0x9e3779b1)) >>> 0);
  const r = mix === "valid" ? 0 : rng.int(100);
  const base = { id, mayGoUnanswered: false } as const;
  const one = (kind: string, note: string, bytes: Buffer, expect: Expect, o: Partial<Case> & { after?: ExchangePlan["after"]; head?: boolean; timeoutMs?: number; giveUpMs?: number } = {}): Case => ({
    ...base, kind, note, expects: [expect], mayGoUnanswered: o.mayGoUnanswered ?? false, keepAlive: o.keepAlive,
    plan: { pieces: o.plan?.pieces ?? whole(bytes), after: o.after ?? "wait", expect: 1, heads: [o.head ?? false], timeoutMs: o.timeoutMs ?? JUDGE_TIMEOUT, giveUpMs: o.giveUpMs },
  });

  if (r < 28) {
    // Valid, cheap, on a pooled keep-alive connection.
    const route = pickRoute(rng);
    const v = validRequest(route, rng);
    return one("valid", route, v.bytes, v.expect, { head: v.head, keepAlive: true });
  }
  if (r < 42) {
    // Random bodies from the route's schema (cheap judge knobs), sometimes with random extras.
    const route = BODY_ROUTES[rng.int(BODY_ROUTES.length)];
    const body = valueFor(ROUTE_SCHEMAS[route] as Schema, rng) as Record<string, unknown>;
    if (route === "/v1/compare" && !("pairs" in body) && rng.int(4)) Object.assign(body, { query: text(rng), a: text(rng), b: text(rng) });
    if (rng.int(5) === 0) body[text(rng, 8)] = anyJson(rng, 1);
    const t = Buffer.from(JSON.stringify(body));
    return one("schema", route, requestBytes("POST", route, H(t), t), { kind: "oracle", route, text: t }, { keepAlive: true });
  }
  if (r < 58) {
    const route = BODY_ROUTES[rng.int(BODY_ROUTES.length)];
    const m = mutate(route, validBody(route, rng), rng);
    const t = Buffer.from(JSON.stringify(m.body) ?? "");
    return one("mutated", `${route}: ${m.note}`, requestBytes("POST", route, H(t), t), { kind: "oracle", route, text: t }, { keepAlive: true });
  }
  if (r < 68) {
    const route = BODY_ROUTES[rng.int(BODY_ROUTES.length)];
    const m = mutateBytes(JSON.stringify(validBody(route, rng)), rng);
    // A body over the limit (deep nesting as objects is 6 MB) is answered 413 as soon as its
    // headers are read and the connection is closed while we may still be writing: the 413 can be
    // lost to the reset (a race, seen on CI), as for the framing cases' oversized bodies.
    return one("bytes", `${route}: ${m.note}`, requestBytes("POST", route, H(m.bytes), m.bytes), { kind: "oracle", route, text: m.bytes }, { mayGoUnanswered: m.bytes.length > BODY_LIMIT });
  }
  const route = BODY_ROUTES[rng.int(BODY_ROUTES.length)];
  const body = Buffer.from(JSON.stringify(validBody(route, rng)));
  const good: Expect = { kind: "oracle", route, text: body };
  if (r < 78) return headerCase(rng, base.id, route, body, good);
  if (r < 86) return framingCase(rng, base.id, route, body, good);
  if (r < 93) {
    if (rng.coin()) {
      const method = METHODS[rng.int(METHODS.length)];
      // CONNECT: Node closes the connection when nothing handles the tunnel (no answer).
      return one("method", method.slice(0, 20), requestBytes(method, route, H(body), body), { kind: "any" }, { mayGoUnanswered: method === "CONNECT" });
    }
    const path = PATHS[rng.int(PATHS.length)];
    const post = rng.coin();
    return one("path", `${post ? "POST" : "GET"} ${path.slice(0, 40)}`, post ? requestBytes("POST", path, H(body), body) : requestBytes("GET", path, [["Host", "x"]]), { kind: "any" });
  }
  if (r < 96) {
    // Slow: a valid request in pieces with pauses (headers too, sometimes); it must be answered.
    const v = validRequest(pickRoute(rng), rng);
    const n = 2 + rng.int(12);
    const size = Math.ceil(v.bytes.length / n);
    const pieces: Piece[] = [];
    for (let i = 0; i < v.bytes.length; i += size) pieces.push({ data: v.bytes.subarray(i, i + size), delayMs: i ? 20 + rng.int(150) : 0 });
    return { ...base, kind: "slow", note: `${n} pieces`, expects: [v.expect], mayGoUnanswered: false, plan: { pieces, after: "wait", expect: 1, heads: [v.head], timeoutMs: JUDGE_TIMEOUT } };
  }
  if (r < 98) {
    // Abandoned: a judging request closed or reset right away, or after a moment mid-judgment.
    const v = validRequest(BODY_ROUTES[rng.int(3)], rng);
    const how = rng.int(3);
    return one("abort", ["close", "reset", "give up"][how], v.bytes, v.expect, { after: how === 0 ? "close" : how === 1 ? "reset" : "wait", giveUpMs: how === 2 ? rng.int(300) : undefined, mayGoUnanswered: true });
  }
  // Pipelined: several valid requests in one write on one connection, answered in order.
  const n = 2 + rng.int(3);
  const reqs = Array.from({ length: n }, () => validRequest(pickRoute(rng), rng));
  return { ...base, kind: "pipeline", note: `${n} requests`, expects: reqs.map((x) => x.expect), mayGoUnanswered: false, plan: { pieces: whole(Buffer.concat(reqs.map((x) => x.bytes))), after: "wait", expect: n, heads: reqs.map((x) => x.head), timeoutMs: JUDGE_TIMEOUT } };
}

function headerCase(rng: SeededRandom, id: number, route: Route, body: Buffer, good: Expect): Case {
  const mk = (note: string, head: string, o: { expect?: Expect; pieces?: Piece[]; after?: ExchangePlan["after"]; unanswered?: boolean; giveUpMs?: number; interim?: boolean } = {}): Case => ({
    id, kind: "header", note, expects: [o.expect ?? { kind: "any" }], mayGoUnanswered: o.unanswered ?? false,
    plan: { pieces: o.pieces ?? [{ data: Buffer.concat([Buffer.from(head, "latin1"), body]) }], after: o.after ?? "wait", expect: 1, timeoutMs: JUDGE_TIMEOUT, giveUpMs: o.giveUpMs },
  });
  const line = `POST ${route} HTTP/1.1\r\n`;
  const cl = `Content-Length: ${body.length}\r\n`;
  switch (rng.int(16)) {
    case 0: {
      const types = ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "application/octet-stream", "application/json-patch+json", "application/ld+json", "*/*", "", ";", "application/json; charset=latin1", "application/json; charset=utf-16", "application/json;;", "application/json, text/plain", "json", "\u00ff/\u00ff", "application/json; boundary=\"x"];
      const t = types[rng.int(types.length)];
      return mk(`content-type ${JSON.stringify(t)}`, `${line}Host: x\r\nContent-Type: ${t}\r\n${cl}\r\n`);
    }
    case 1: return mk("no content-type", `${line}Host: x\r\n${cl}\r\n`, { expect: { kind: "any", statuses: [415] } });
    case 2: return mk("two content-types", `${line}Host: x\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\n${cl}\r\n`);
    case 3: return mk("no Host", `${line}Content-Type: application/json\r\n${cl}\r\n`);
    case 4: return mk("HTTP/1.0", `POST ${route} HTTP/1.0\r\nContent-Type: application/json\r\n${cl}\r\n`, { expect: good });
    case 5: return mk("HTTP/2.0 request line", `POST ${route} HTTP/2.0\r\nHost: x\r\nContent-Type: application/json\r\n${cl}\r\n`);
    case 6: return mk("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", { pieces: [{ data: Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") }] });
    case 7: {
      // 100-continue: headers, the interim 100, then the body.
      const head = Buffer.from(`${line}Host: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n${cl}\r\n`, "latin1");
      return mk("expect 100-continue", "", { expect: good, pieces: [{ data: head }, { data: body, delayMs: 30 }] });
    }
    case 8: return mk("expect something else", `${line}Host: x\r\nContent-Type: application/json\r\nExpect: 42-ok\r\n${cl}\r\n`);
    case 9: {
      const big = "x".repeat([8000, 17_000, 70_000][rng.int(3)]);
      return mk(`a ${big.length}-byte header`, `${line}Host: x\r\nContent-Type: application/json\r\nX-Big: ${big}\r\n${cl}\r\n`, { unanswered: true });
    }
    case 10: {
      const n = [100, 2000, 5000][rng.int(3)];
      return mk(`${n} headers`, `${line}Host: x\r\nContent-Type: application/json\r\n${Array.from({ length: n }, (_, i) => `X-H${i}: ${i}\r\n`).join("")}${cl}\r\n`, { unanswered: true });
    }
    case 11: {
      const bad = ["X-Bad: a\u0000b", "X Bad: 1", "X-Bad:\u00ff\u00fe", ": empty-name", "X-Bad\u0001: 1", "X-Fold: a\r\n  folded", "Content-Length : 5", "\tX-Lead: 1"][rng.int(8)];
      return mk(`bad header ${JSON.stringify(bad)}`, `${line}Host: x\r\nContent-Type: application/json\r\n${bad}\r\n${cl}\r\n`);
    }
    case 12: {
      const auth = ["Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "Bearer " + "k".repeat(5000), "\u00ff"][rng.int(5)];
      return mk("authorization without a key set", `${line}Host: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\n${cl}\r\n`, { expect: good });
    }
    case 13: {
      const enc = ["gzip", "deflate", "br", "identity", "x-unknown", "gzip, identity"][rng.int(6)];
      return mk(`content-encoding ${enc}`, `${line}Host: x\r\nContent-Type: application/json\r\nContent-Encoding: ${enc}\r\n${cl}\r\n`);
    }
    case 14: {
      const up = rng.coin() ? "websocket" : "h2c";
      return mk(`upgrade ${up}`, `${line}Host: x\r\nConnection: Upgrade\r\nUpgrade: ${up}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Type: application/json\r\n${cl}\r\n`, { unanswered: true, giveUpMs: 2000 });
    }
    default: {
      // Slow headers: the request line and headers one small piece at a time.
      const head = Buffer.from(`${line}Host: x\r\nContent-Type: application/json\r\n${cl}\r\n`, "latin1");
      const pieces: Piece[] = [];
      for (let i = 0; i < head.length; i += 7) pieces.push({ data: head.subarray(i, i + 7), delayMs: i ? 5 + rng.int(30) : 0 });
      pieces.push({ data: body, delayMs: 20 });
      return mk("slow headers", "", { expect: good, pieces });
    }
  }
}

function framingCase(rng: SeededRandom, id: number, route: Route, body: Buffer, good: Expect): Case {
  const line = `POST ${route} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`;
  const mk = (note: string, bytes: Buffer, o: { expect?: Expect; after?: ExchangePlan["after"]; unanswered?: boolean; giveUpMs?: number; expectN?: number } = {}): Case => ({
    id, kind: "framing", note, expects: Array.from({ length: o.expectN ?? 1 }, () => o.expect ?? { kind: "any" }), mayGoUnanswered: o.unanswered ?? false,
    plan: { pieces: [{ data: bytes }], after: o.after ?? "wait", expect: o.expectN ?? 1, timeoutMs: JUDGE_TIMEOUT, giveUpMs: o.giveUpMs },
  });
  const b = (s: string) => Buffer.from(s, "latin1");
  switch (rng.int(14)) {
    case 0: {
      // Content-length shorter than the body: the rest is read as the next request (a 400 for it).
      const n = rng.int(body.length);
      return mk(`content-length ${n} < ${body.length}`, Buffer.concat([b(`${line}Content-Length: ${n}\r\n\r\n`), body]), { expect: { kind: "oracle", route, text: body.subarray(0, n) }, unanswered: true, giveUpMs: 3000 });
    }
    case 1: {
      // Content-length longer than the body, then a half-close or a client that gives up waiting.
      const n = body.length + 1 + rng.int(1000);
      const end = rng.coin();
      return mk(`content-length ${n} > ${body.length}, then ${end ? "FIN" : "gives up"}`, Buffer.concat([b(`${line}Content-Length: ${n}\r\n\r\n`), body]), { after: end ? "end" : "wait", unanswered: true, giveUpMs: 300 + rng.int(700) });
    }
    case 2: {
      const v = ["abc", "-1", "1.5", " 12", "0x10", "1e3", "99999999999999999999", "", "+5", `${body.length}, ${body.length}`, `${body.length},${body.length + 1}`][rng.int(11)];
      return mk(`content-length ${JSON.stringify(v)}`, Buffer.concat([b(`${line}Content-Length: ${v}\r\n\r\n`), body]), { unanswered: true, giveUpMs: 1000 });
    }
    case 3: return mk("two different content-lengths", Buffer.concat([b(`${line}Content-Length: ${body.length}\r\nContent-Length: ${body.length + 1}\r\n\r\n`), body]), { unanswered: true, giveUpMs: 1000 });
    case 4: return mk("content-length over the body limit", b(`${line}Content-Length: ${BODY_LIMIT + 1}\r\n\r\n{`), { expect: { kind: "any", statuses: [413] }, unanswered: true, giveUpMs: 5000 });
    case 5: {
      // A body over the limit actually sent: 413 (or the connection cut while we still write).
      const big = Buffer.alloc(BODY_LIMIT + 1 + rng.int(1000), 0x20);
      return mk("a body over the limit", Buffer.concat([b(`${line}Content-Length: ${big.length}\r\n\r\n`), big]), { expect: { kind: "any", statuses: [413] }, unanswered: true, giveUpMs: 5000 });
    }
    case 6: return mk("chunked", Buffer.concat([b(`${line}Transfer-Encoding: chunked\r\n\r\n`), chunked(body, 1 + rng.int(8))]), { expect: good });
    case 7: {
      const ext = Buffer.concat([b(`${line}Transfer-Encoding: chunked\r\n\r\n`), b(`${body.length.toString(16)};name=value\r\n`), body, b("\r\n0\r\nX-Trailer: 1\r\n\r\n")]);
      return mk("chunked with an extension and a trailer", ext, { expect: good });
    }
    case 8: {
      const bad = ["zz\r\n", "-1\r\n", "ffffffffffffffff\r\n", "5\r\nabc\r\n", "\r\n", "0x5\r\n", " 5\r\n"][rng.int(7)];
      return mk(`chunked, bad size line ${JSON.stringify(bad)}`, Buffer.concat([b(`${line}Transfer-Encoding: chunked\r\n\r\n`), b(bad), body]), { unanswered: true, giveUpMs: 1000 });
    }
    case 9: {
      // Chunked without its last chunk: then a FIN, or the client gives up.
      const c = chunked(body, 2);
      return mk("chunked without the last chunk", Buffer.concat([b(`${line}Transfer-Encoding: chunked\r\n\r\n`), c.subarray(0, c.length - 5)]), { after: rng.coin() ? "end" : "wait", unanswered: true, giveUpMs: 500 });
    }
    case 10: return mk("chunked and content-length", Buffer.concat([b(`${line}Transfer-Encoding: chunked\r\nContent-Length: ${body.length}\r\n\r\n`), chunked(body, 2)]), { unanswered: true, giveUpMs: 1000 });
    case 11: {
      const te = ["gzip, chunked", "chunked, gzip", "identity", "Chunked", "chunked\u0000", "x-custom", "chunked, chunked"][rng.int(7)];
      return mk(`transfer-encoding ${JSON.stringify(te)}`, Buffer.concat([b(`${line}Transfer-Encoding: ${te}\r\n\r\n`), chunked(body, 2)]), { unanswered: true, giveUpMs: 1000 });
    }
    case 12: return mk("no length at all (POST)", Buffer.concat([b(`${line}\r\n`), body]), { unanswered: true, giveUpMs: 1000, expectN: 2 });
    default: {
      // A smuggling attempt: content-length covers a second request hidden in the body.
      const inner = b(`GET /health HTTP/1.1\r\nHost: x\r\n\r\n`);
      const outer = Buffer.concat([body, inner]);
      return mk("a request inside the body", Buffer.concat([b(`${line}Content-Length: ${outer.length}\r\n\r\n`), outer]), { expect: { kind: "oracle", route, text: outer }, unanswered: true, giveUpMs: 3000 });
    }
  }
}

/** Requests a case sends (what the run's request count adds up). */
export const requestsIn = (c: Case) => c.expects.length;
