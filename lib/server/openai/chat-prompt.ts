// OpenAI chat messages -> prompt tokens through the model's own chat template (@huggingface/jinja),
// under the rule the RRM prompt follows (lib/rrm/prompt.ts): only the template's own special-token
// text becomes control tokens; what a message says is tokenized as plain text, whatever it contains.
// Message text is rendered with each special token's text (and the escape mark itself) replaced by
// an escape, so the template's string operations see nearly the real text; after rendering, the
// template's own special text is cut out as tokens and the escapes are put back as plain text.
import { Template } from "@huggingface/jinja";
import type { Model } from "../../model.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatPrompt {
  tokens: number[];
  /** The template's output ends inside `<think>`: generated text starts with the reasoning (R1-Distill). */
  opensThinking: boolean;
}

// A private-use code point: no template writes one. In message text it is itself escaped (index 0).
const ESC = "\uE000";
const ESCAPED = new RegExp(`${ESC}(\\d+)${ESC}`, "g");

export class ChatTemplateError extends Error {}

export class ChatPrompter {
  readonly #model: Model;
  readonly #template: Template;
  /** Special tokens' text, longest first (so "<｜tool▁calls▁begin｜>" is not read as a shorter one). */
  readonly #specials: { id: number; text: string }[];
  readonly #firstChars: Set<string>;
  /** Escape index -> text: 0 is the escape mark, i is #specials[i - 1]. */
  readonly #escapes: string[];

  constructor(model: Model, chatTemplate?: string) {
    const source = chatTemplate ?? model.info.chatTemplate;
    if (!source) throw new ChatTemplateError("the model has no chat template (tokenizer.chat_template): use /v1/completions with a prompt you render yourself");
    this.#model = model;
    this.#template = new Template(source);
    this.#specials = model.specialTokens().filter((t) => t.text.length > 0).sort((a, b) => b.text.length - a.text.length);
    this.#firstChars = new Set(this.#specials.map((s) => s.text[0]));
    this.#escapes = [ESC, ...this.#specials.map((s) => s.text)];
  }

  /** Message text with every special token's text (and the escape mark) replaced by an escape. */
  #escape(text: string): string {
    let out = "";
    let from = 0;
    for (let i = 0; i < text.length; ) {
      let k = -1;
      if (text[i] === ESC) k = 0;
      else if (this.#firstChars.has(text[i])) {
        const at = this.#specials.findIndex((s) => text.startsWith(s.text, i));
        if (at >= 0) k = at + 1;
      }
      if (k < 0) {
        i++;
        continue;
      }
      out += text.slice(from, i) + ESC + k + ESC;
      i += this.#escapes[k].length;
      from = i;
    }
    return out + text.slice(from);
  }

  render(messages: readonly ChatMessage[]): ChatPrompt {
    const info = this.#model.info;
    let rendered: string;
    try {
      rendered = this.#template.render({
        messages: messages.map((m) => ({ role: m.role, content: this.#escape(m.content) })),
        add_generation_prompt: true,
        bos_token: info.bosText,
        eos_token: info.eosText,
      });
    } catch (e) {
      throw new ChatTemplateError(`the model's chat template failed on these messages: ${(e as Error).message}`);
    }
    const tokens: number[] = [];
    const pushText = (text: string) => {
      if (!text) return;
      // The escapes back as the text they stand for, tokenized as plain text (never a control token).
      // A loop, not push(...): a megabyte of tokens as arguments would overflow the stack.
      for (const t of this.#model.tokenize(text.replace(ESCAPED, (_, k) => this.#escapes[Number(k)] ?? ""))) tokens.push(t);
    };
    let from = 0;
    for (let i = 0; i < rendered.length; ) {
      const hit = this.#firstChars.has(rendered[i]) ? this.#specials.find((s) => rendered.startsWith(s.text, i)) : undefined;
      if (!hit) {
        i++;
        continue;
      }
      pushText(rendered.slice(from, i));
      tokens.push(hit.id);
      i += hit.text.length;
      from = i;
    }
    pushText(rendered.slice(from));
    const { bos, addBos } = info;
    if (addBos && bos >= 0 && tokens[0] !== bos) tokens.unshift(bos); // the template did not emit it
    return { tokens, opensThinking: /<think>\s*$/.test(rendered) };
  }
}
