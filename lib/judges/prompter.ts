// Renders a preset's messages through a chat template (the preset's own where its authors pass
// one, else the model's, else the caller's override) and tokenizes the result the way the RRM
// prompter does (lib/rrm/prompt.ts): the template's special-token text becomes control tokens,
// the query and the responses are always plain text, whatever they contain. A last "assistant"
// message is the prefill: it follows the rendered generation prompt, and is template text.
import { Template } from "@huggingface/jinja";
import { RrmEngineError } from "../errors.js";
import type { Model } from "../model.js";
import type { ChatMessage, JudgePreset, ShownPair } from "./types.js";

// Private-use code points cannot come from a template; they mark where the query (0) and the
// first (1) and second (2) responses go.
const MARK = "\uE000";
const sentinel = (i: number) => `${MARK}${i}${MARK}`;
const SLOT = new RegExp(`${MARK}(\\d)${MARK}`, "g");

export interface TemplateInfo { bosText: string; eosText: string }

/** The RRM prompter's older argument shape, still accepted: `first` is shown first. */
export interface FirstSecond { query: string; first: string; second: string }
const shown = (p: ShownPair | FirstSecond): ShownPair => ("first" in p ? { query: p.query, a: p.first, b: p.second } : p);

/**
 * A compiled chat template (@huggingface/jinja's `Template`). Typed by what is used, so the package's
 * public types do not import jinja's, which a strict `nodenext` consumer cannot type-check.
 */
export interface ChatTemplate {
  render(items: Record<string, unknown>): string;
}

/** The prompt string for `messages` under `template` (what the authors' code tokenizes). */
export function renderMessages(template: ChatTemplate, messages: ChatMessage[], info: TemplateInfo): string {
  const last = messages[messages.length - 1];
  const prefill = last?.role === "assistant" ? last.content : "";
  const turns = prefill ? messages.slice(0, -1) : messages;
  return template.render({ messages: turns, add_generation_prompt: true, bos_token: info.bosText, eos_token: info.eosText }) + prefill;
}

export class PresetPrompter {
  readonly preset: JudgePreset;
  readonly #model: Model;
  readonly #template: ChatTemplate;
  readonly #specials: { id: number; text: string }[];
  // The template rendered once with sentinels, cut into special tokens and text with slots.
  readonly #parts: ({ token: number } | { text: string })[];

  constructor(model: Model, preset: JudgePreset, chatTemplate?: string) {
    this.#model = model;
    this.preset = preset;
    const source = chatTemplate ?? preset.chatTemplate ?? model.info.chatTemplate;
    if (!source) throw new RrmEngineError("The model has no chat template (tokenizer.chat_template); pass chatTemplate explicitly");
    this.#template = new Template(source);
    // Longest first, so "<｜tool▁calls▁begin｜>" is not read as a shorter token's text.
    this.#specials = model.specialTokens().filter((t) => t.text.length > 0).sort((a, b) => b.text.length - a.text.length);
    const rendered = this.#renderRaw({ query: sentinel(0), a: sentinel(1), b: sentinel(2) });
    // A template that transforms the content (a filter that cuts or escapes it) would move or
    // break the markers: refuse it rather than put the responses in the wrong place.
    for (const i of [0, 1, 2]) {
      if (rendered.split(sentinel(i)).length !== 2) throw new RrmEngineError(`The chat template does not pass the ${preset.name} judge's messages through unchanged (slot ${i} appears ${rendered.split(sentinel(i)).length - 1} times)`);
    }
    this.#parts = this.#split(rendered);
  }

  #renderRaw(pair: ShownPair): string {
    return renderMessages(this.#template, this.preset.build(pair), this.#model.info);
  }

  /** The exact prompt string (what the authors' code tokenizes). */
  render(input: ShownPair | FirstSecond): string {
    const pair = shown(input);
    return this.#renderRaw(this.preset.prepare ? this.preset.prepare(pair) : pair);
  }

  #split(rendered: string): ({ token: number } | { text: string })[] {
    const parts: ({ token: number } | { text: string })[] = [];
    let text = "";
    for (let i = 0; i < rendered.length; ) {
      const hit = this.#specials.find((s) => rendered.startsWith(s.text, i));
      if (hit) {
        if (text) parts.push({ text });
        text = "";
        parts.push({ token: hit.id });
        i += hit.text.length;
      } else {
        text += rendered[i++];
      }
    }
    if (text) parts.push({ text });
    return parts;
  }

  /** Prompt tokens: template specials as control tokens, everything else plain text, BOS once. */
  tokens(input: ShownPair | FirstSecond): number[] {
    const pair = shown(input);
    const p = this.preset.prepare ? this.preset.prepare(pair) : pair;
    const values = [p.query, p.a, p.b];
    const out: number[] = [];
    for (const part of this.#parts) {
      if ("token" in part) {
        out.push(part.token);
        continue;
      }
      const text = part.text.replace(SLOT, (_, i) => values[Number(i)]);
      // A loop, not push(...tokens): a megabyte's tokens as arguments overflow the stack.
      for (const t of this.#model.tokenize(text)) out.push(t);
    }
    const { bos, addBos } = this.#model.info;
    if (addBos && bos >= 0 && out[0] !== bos) out.unshift(bos); // the template did not emit it
    return out;
  }
}
