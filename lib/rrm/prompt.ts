// Renders the RRM prompt through the model's own chat template (@huggingface/jinja) and tokenizes
// it so that only the template's own special-token text becomes control tokens: the query and the
// responses are always tokenized as plain text, whatever they contain.
import { Template } from "@huggingface/jinja";
import { RrmEngineError } from "../errors.js";
import type { Model } from "../model.js";
import { RRM_SYSTEM_PROMPT, rrmUserPrompt } from "./prompt-text.js";

// Private-use code points cannot come from a template; they mark where the query (0) and the
// first (1) and second (2) responses go.
const MARK = "\uE000";
const sentinel = (i: number) => `${MARK}${i}${MARK}`;

export interface RrmPromptInput { query: string; first: string; second: string }

export class RrmPrompter {
  readonly #model: Model;
  readonly #template: Template;
  readonly #specials: { id: number; text: string }[];
  // The template rendered once with sentinels, cut into special tokens and text with slots.
  readonly #parts: ({ token: number } | { text: string })[];

  constructor(model: Model, chatTemplate?: string) {
    this.#model = model;
    const source = chatTemplate ?? model.info.chatTemplate;
    if (!source) throw new RrmEngineError("The model has no chat template (tokenizer.chat_template); pass chatTemplate explicitly");
    this.#template = new Template(source);
    // Longest first, so "<｜tool▁calls▁begin｜>" is not read as a shorter token's text.
    this.#specials = model.specialTokens().filter((t) => t.text.length > 0).sort((a, b) => b.text.length - a.text.length);
    this.#parts = this.#split(this.#render(sentinel(0), sentinel(1), sentinel(2)));
  }

  #render(query: string, first: string, second: string): string {
    const info = this.#model.info;
    return this.#template.render({
      messages: [
        { role: "system", content: RRM_SYSTEM_PROMPT },
        { role: "user", content: rrmUserPrompt(query, first, second) },
      ],
      add_generation_prompt: true,
      bos_token: info.bosText,
      eos_token: info.eosText,
    });
  }

  /** The exact prompt string (what the authors' code tokenizes). */
  render(input: RrmPromptInput): string {
    return this.#render(input.query, input.first, input.second);
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
  tokens(input: RrmPromptInput): number[] {
    const values = [input.query, input.first, input.second];
    const out: number[] = [];
    for (const part of this.#parts) {
      if ("token" in part) {
        out.push(part.token);
        continue;
      }
      const text = part.text.replace(new RegExp(`${MARK}(\\d)${MARK}`, "g"), (_, i) => values[Number(i)]);
      // A loop, not push(...tokens): spreading a megabyte's tokens as arguments overflows the
      // stack ("Maximum call stack size exceeded") before the engine can say the prompt is too long.
      for (const t of this.#model.tokenize(text)) out.push(t);
    }
    const { bos, addBos } = this.#model.info;
    if (addBos && bos >= 0 && out[0] !== bos) out.unshift(bos); // the template did not emit it
    return out;
  }
}

export { RRM_SYSTEM_PROMPT, rrmUserPrompt };
