// OpenRLHF's remote reward protocol (`--reward.remote_url`): it posts
// {"query": [prompt + response, ...], "prompts": [prompt, ...], "labels": [label, ...]} and reads
// {"rewards": [...], "scores": [...], "extra_logs": {...}}, one entry per query. Queries are the
// chat-templated prompt followed by the generated response; the judge wants plain text.
import type { GroupRewards, RewardMode } from "./rewards.js";

// Chat-template markup of the common templates (ChatML/Qwen, Llama 3, DeepSeek, Mistral, Gemma).
const ROLE_HEADERS = [
  /<\|im_start\|>(system|user|assistant|tool)\n?/g,
  /<\|start_header_id\|>(system|user|assistant|tool)<\|end_header_id\|>\n*/g,
  /<start_of_turn>(user|model)\n?/g,
];
const MARKERS = [
  "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|eot_id|>", "<|end_of_text|>",
  "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>",
  "<s>", "</s>", "[INST]", "[/INST]", "<end_of_turn>", "<bos>", "<eos>",
];

/** The template's markup removed, whitespace trimmed. */
export function stripChatTemplate(text: string): string {
  let t = text;
  for (const re of ROLE_HEADERS) t = t.replace(re, "\n");
  for (const m of MARKERS) t = t.split(m).join("\n");
  return t.replace(/\n{3,}/g, "\n\n").trim();
}

/**
 * The question (the prompt's user text) and the response (what follows the prompt in the
 * query). When a prompt opens its own <think>, the response keeps only the text after it closes.
 */
export function splitQuery(query: string, prompt: string | undefined): { question: string; response: string } {
  if (prompt !== undefined && query.startsWith(prompt)) {
    return { question: stripChatTemplate(prompt), response: stripChatTemplate(query.slice(prompt.length)) };
  }
  // No prompt given (or it does not prefix the query): split at the last assistant header.
  const headers = ["<|im_start|>assistant", "<|start_header_id|>assistant<|end_header_id|>", "<｜Assistant｜>", "[/INST]", "<start_of_turn>model"];
  let at = -1, len = 0;
  for (const h of headers) {
    const i = query.lastIndexOf(h);
    if (i > at) at = i, len = h.length;
  }
  if (at < 0) return { question: "", response: stripChatTemplate(query) };
  return { question: stripChatTemplate(query.slice(0, at)), response: stripChatTemplate(query.slice(at + len)) };
}

export interface RewardGroupConfig {
  /** Responses per prompt that make a group (OpenRLHF's n_samples_per_prompt). */
  size: number;
  /** Milliseconds a partial group waits for the rest before it is judged as it is. */
  waitMs: number;
  mode: Exclude<RewardMode, "reference">;
}

interface Waiter { response: string; resolve: (r: { reward: number; wins: number; losses: number; invalid: number }) => void; reject: (e: Error) => void }
interface Group { question: string; waiters: Waiter[]; timer?: NodeJS.Timeout }

/**
 * Collects responses to the same prompt across requests (OpenRLHF posts them one by one or in
 * small batches) and judges each group once it is full or its wait limit passes.
 */
export class RewardGrouper {
  #groups = new Map<string, Group>();
  constructor(
    private readonly config: RewardGroupConfig,
    private readonly judgeGroup: (question: string, responses: string[]) => Promise<GroupRewards>,
  ) {}

  get pending(): number {
    let n = 0;
    for (const g of this.#groups.values()) n += g.waiters.length;
    return n;
  }

  add(key: string, question: string, response: string) {
    return new Promise<{ reward: number; wins: number; losses: number; invalid: number }>((resolve, reject) => {
      let g = this.#groups.get(key);
      if (!g) {
        g = { question, waiters: [] };
        this.#groups.set(key, g);
        const group = g;
        g.timer = setTimeout(() => this.#flush(key, group), this.config.waitMs);
      }
      g.waiters.push({ response, resolve, reject });
      if (g.waiters.length >= this.config.size) this.#flush(key, g);
    });
  }

  #flush(key: string, g: Group) {
    if (this.#groups.get(key) === g) this.#groups.delete(key);
    clearTimeout(g.timer);
    const waiters = g.waiters;
    if (waiters.length === 1) {
      // A group of one has nobody to be judged against: a neutral reward, said in `invalid`.
      waiters[0].resolve({ reward: 0.5, wins: 0, losses: 0, invalid: 1 });
      return;
    }
    this.judgeGroup(g.question, waiters.map((w) => w.response)).then(
      (r) => waiters.forEach((w, i) => w.resolve(r.details[i])),
      (e) => waiters.forEach((w) => w.reject(e)),
    );
  }

  /** Judges every partial group now (shutdown). */
  flushAll() {
    for (const [key, g] of [...this.#groups]) this.#flush(key, g);
  }
}
