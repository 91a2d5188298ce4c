// Reasoning apart from the answer, as vLLM's and DeepSeek's APIs return it (`reasoning_content`):
// for a model whose chat template opens `<think>` (R1-Distill, RRM) the generated text starts inside
// the reasoning; a model that writes `<think>` itself opens it in its first words. Everything up to
// the first `</think>` is reasoning; the rest is the answer. One splitter serves whole texts and
// streams, so both give the same split; a stream holds back only what could still be a tag.
const OPEN = "<think>";
const CLOSE = "</think>";

export interface ReasoningParts {
  reasoning: string;
  content: string;
}

/** The longest end of `text` that is a proper start of `tag` (it may complete in the next delta). */
function partialTagAtEnd(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) if (tag.startsWith(text.slice(text.length - n))) return n;
  return 0;
}

export class ReasoningSplitter {
  #state: "start" | "thinking" | "answer";
  #pending = "";
  #answerStarted = false;
  #thought: boolean;

  /** `opensThinking`: the prompt ended inside `<think>` (ChatPrompter tells). */
  constructor(opensThinking: boolean) {
    this.#state = opensThinking ? "thinking" : "start";
    this.#thought = opensThinking;
  }

  /** The next piece of generated text; returns what can be told apart now. */
  push(delta: string): ReasoningParts {
    const out: ReasoningParts = { reasoning: "", content: "" };
    this.#pending += delta;
    for (;;) {
      if (this.#state === "start") {
        const head = this.#pending.trimStart();
        if (head.startsWith(OPEN)) {
          this.#pending = head.slice(OPEN.length);
          this.#state = "thinking";
          this.#thought = true;
        } else if (OPEN.startsWith(head)) {
          return out; // still could be "<think>"
        } else {
          this.#state = "answer";
        }
      } else if (this.#state === "thinking") {
        const at = this.#pending.indexOf(CLOSE);
        if (at < 0) {
          const keep = partialTagAtEnd(this.#pending, CLOSE);
          out.reasoning += this.#pending.slice(0, this.#pending.length - keep);
          this.#pending = this.#pending.slice(this.#pending.length - keep);
          return out;
        }
        out.reasoning += this.#pending.slice(0, at);
        this.#pending = this.#pending.slice(at + CLOSE.length);
        this.#state = "answer";
      } else {
        // The answer's leading blank lines (R1 writes "</think>\n\n") are not part of it.
        let text = this.#pending;
        if (!this.#answerStarted) text = text.replace(/^\s+/, "");
        if (text) this.#answerStarted = true;
        out.content += text;
        this.#pending = "";
        return out;
      }
    }
  }

  /** The generation ended: whatever was held back goes where it was heading. */
  end(): ReasoningParts {
    const rest = this.#pending;
    this.#pending = "";
    if (this.#state === "thinking") return { reasoning: rest, content: "" };
    if (this.#state === "start") return { reasoning: "", content: this.#answerStarted ? rest : rest.trimStart() };
    return { reasoning: "", content: rest };
  }

  /** The text had a reasoning part (a model that never thinks gets no reasoning_content). */
  get thought(): boolean {
    return this.#thought;
  }
}

/** A whole text split at once (the same rules as a stream). */
export function splitReasoning(text: string, opensThinking: boolean): ReasoningParts & { thought: boolean } {
  const s = new ReasoningSplitter(opensThinking);
  const a = s.push(text);
  const b = s.end();
  return { reasoning: a.reasoning + b.reasoning, content: a.content + b.content, thought: s.thought };
}
