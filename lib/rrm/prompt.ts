// The RRM prompt through the model's own chat template: the rrm judge preset's prompter
// (lib/judges/prompter.ts renders with @huggingface/jinja and tokenizes so that only the
// template's own special-token text becomes control tokens: the query and the responses are
// always tokenized as plain text, whatever they contain).
import type { Model } from "../model.js";
import { PresetPrompter } from "../judges/prompter.js";
import { rrm } from "../judges/rrm.js";
import { RRM_SYSTEM_PROMPT, rrmUserPrompt } from "./prompt-text.js";

export interface RrmPromptInput { query: string; first: string; second: string }

export class RrmPrompter extends PresetPrompter {
  constructor(model: Model, chatTemplate?: string) {
    super(model, rrm, chatTemplate);
  }
}

export { RRM_SYSTEM_PROMPT, rrmUserPrompt };
