// The judge presets: one file per family, each with its authors' prompt and verdict rule, and
// how a judge is chosen (a name, "auto" from the model's metadata, or a custom preset).
import { basename } from "node:path";
import { RrmEngineError } from "../errors.js";
import { customPreset, customPresetFromFile, type CustomPresetSpec } from "./custom.js";
import { j1, j1ScoresPreset } from "./j1.js";
import { judgeLrm } from "./judgelrm.js";
import { rmR1Instruct, rmR1Reasoning } from "./rm-r1.js";
import { rrm } from "./rrm.js";
import { thinkRm, thinkRmBinary } from "./think-rm.js";
import type { JudgePreset } from "./types.js";

export type { ChatMessage, ForcedVerdict, JudgePreset, PresetSource, ShownPair, ShownVerdict } from "./types.js";
export { customPreset, customPresetFromFile, type CustomPresetSpec } from "./custom.js";

export const judgePresets = {
  rrm,
  "rm-r1-reasoning": rmR1Reasoning,
  "rm-r1-instruct": rmR1Instruct,
  j1,
  "j1-scores": j1ScoresPreset,
  judgelrm: judgeLrm,
  "think-rm": thinkRm,
  "think-rm-binary": thinkRmBinary,
} as const satisfies Record<string, JudgePreset>;

export type JudgePresetName = keyof typeof judgePresets;
export const JUDGE_PRESET_NAMES = Object.keys(judgePresets) as JudgePresetName[];

/** What a judge is chosen by: a preset name, "auto", a preset object, or a custom spec. */
export type JudgeSpec = JudgePresetName | "auto" | JudgePreset | ({ custom: CustomPresetSpec });

export interface JudgeChoice {
  preset: JudgePreset;
  /** How it was chosen, for the user ("auto: general.name ... names RM-R1"). */
  reason: string;
}

/** What "auto" reads: the model's general.name and file name. */
export interface ModelIdentity { name: string; path: string }

const AUTO_RULES: [RegExp, JudgePresetName, string][] = [
  [/rm-?r1.*instruct|instruct.*rm-?r1/i, "rm-r1-instruct", "RM-R1 (Qwen2.5-Instruct)"],
  [/rm-?r1/i, "rm-r1-reasoning", "RM-R1 (DeepSeek-distilled)"],
  [/judge-?lrm/i, "judgelrm", "JudgeLRM"],
  [/think-?rm.*binary|binary.*think-?rm/i, "think-rm-binary", "Think-RM (binary)"],
  [/think-?rm/i, "think-rm", "Think-RM (multiclass)"],
  [/(^|[^a-z0-9])j1([^a-z0-9]|$)/i, "j1", "J1"],
  [/(^|[^a-z0-9])rrm([^a-z0-9]|$)/i, "rrm", "RRM"],
];

/** "auto": the family the model's name or file name says, else RRM; says which and why. */
export function autoJudge(model: ModelIdentity): JudgeChoice {
  const file = basename(model.path);
  for (const [source, text] of [["general.name", model.name], ["file name", file]] as const) {
    for (const [re, name, family] of AUTO_RULES) {
      if (text && re.test(text)) return { preset: judgePresets[name], reason: `auto: ${source} "${text}" names ${family}, so the ${name} judge` };
    }
  }
  return { preset: rrm, reason: `auto: neither general.name "${model.name}" nor the file name "${file}" names a judge family, so the default rrm judge` };
}

/** A JudgeSpec (or undefined: rrm) as a preset, with the reason; a clear error for an unknown name. */
export function resolveJudge(spec: JudgeSpec | undefined, model?: ModelIdentity): JudgeChoice {
  if (spec === undefined) return { preset: rrm, reason: "the default rrm judge" };
  if (spec === "auto") {
    if (!model) throw new RrmEngineError('judge "auto" needs a model to read the family from');
    return autoJudge(model);
  }
  if (typeof spec === "string") {
    const p = (judgePresets as Record<string, JudgePreset>)[spec];
    if (!p) throw new RrmEngineError(`Expected judge to be one of ${[...JUDGE_PRESET_NAMES, "auto", "custom"].join(", ")}, got ${JSON.stringify(spec)}`);
    return { preset: p, reason: `the ${spec} judge` };
  }
  if (typeof spec === "object" && spec !== null && "custom" in spec) {
    const p = customPreset(spec.custom);
    return { preset: p, reason: `the custom judge ${JSON.stringify(p.name)}` };
  }
  if (typeof spec === "object" && spec !== null && typeof (spec as JudgePreset).parse === "function" && typeof (spec as JudgePreset).build === "function") {
    return { preset: spec as JudgePreset, reason: `the ${(spec as JudgePreset).name} judge` };
  }
  throw new RrmEngineError(`Expected judge to be a preset name, "auto", a preset object or { custom: { template, verdict } }, got ${JSON.stringify(spec)}`);
}

export { customPresetFromFile as loadCustomPreset };
