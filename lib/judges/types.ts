// What a judge preset is: one family's prompt, prefill and verdict rule, as its authors wrote them.
// A preset knows text only (no tokens, no engine): lib/rrm/judge.ts renders its messages through
// the model's chat template and runs the votes; pipelines can reuse messages() and parse() alone.

/** The verdict about the responses in the order shown: "first" is the one shown first. */
export type ShownVerdict = "first" | "second" | "tie";

export interface ChatMessage { role: "system" | "user" | "assistant"; content: string }

/** A pair as shown to the judge: `a` first, `b` second. */
export interface ShownPair { query: string; a: string; b: string }

/** Where a preset's prompt and rule were copied from. */
export interface PresetSource {
  repository: string;
  commit: string;
  /** Files (and the names in them) the prompt and the verdict rule come from. */
  files: string[];
  /** What could not be found, or what differs from the code. */
  note?: string;
}

/**
 * After a thinking budget, the judge appends `text` and reads the next-token probabilities of the
 * first token where `text + first` and `text + second` differ (the RRM forced verdict, generalised).
 */
export interface ForcedVerdict {
  text: string;
  first: string;
  second: string;
  /** The text that ends the reasoning: a sample that wrote it before the budget is not forced. */
  thinkEnd: string;
}

export interface JudgePreset {
  readonly name: string;
  readonly family: string;
  /** The released models this preset is for. */
  readonly models: string;
  readonly source: PresetSource;
  /** The verdict rule in one sentence (README table, `rrm judges`). */
  readonly rule: string;
  /** Whether parse() can return "tie". */
  readonly ties: boolean;
  /**
   * The chat messages before the model's template; a last "assistant" message is the prefill
   * (appended after the template's generation prompt, the model continues it).
   */
  messages(pair: ShownPair): ChatMessage[];
  /** The verdict in the generated text (the continuation after the prompt and any prefill). */
  parse(text: string): ShownVerdict | null;
  /** The authors' own chat template, used instead of the model's (Think-RM passes one). */
  readonly chatTemplate?: string;
  /** How a thinking budget forces a verdict; absent where the format does not allow it. */
  readonly forced?: ForcedVerdict;
  /**
   * The input as the authors' code cleans it before formatting (Think-RM: rstrip). messages()
   * applies it already; the engine applies it to the values it substitutes as plain text.
   */
  prepare?(pair: ShownPair): ShownPair;
  /**
   * messages() without prepare(): every value inserted verbatim, so a renderer can place
   * markers there (lib/judges/prompter.ts).
   */
  build(pair: ShownPair): ChatMessage[];
}

/** A preset from its parts: messages() is build() after prepare(). */
export function definePreset(p: Omit<JudgePreset, "messages">): JudgePreset {
  return { ...p, messages: (pair) => p.build(p.prepare ? p.prepare(pair) : pair) };
}
