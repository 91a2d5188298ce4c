// --judge on every command: a preset name, "auto" (from the model's metadata) or "custom" with
// --judge-template FILE and --judge-verdict REGEX; the command says on stderr which judge it uses.
import { JUDGE_PRESET_NAMES, judgePresets, loadCustomPreset, type JudgePreset, type JudgeSpec } from "../judges/index.js";
import { UsageError } from "./exit-codes.js";

export const JUDGE_CHOICE_FLAGS = {
  judge: { type: "string" },
  "judge-template": { type: "string" },
  "judge-verdict": { type: "string" },
} as const;

type Values = Record<string, unknown>;

/** The judge the flags name (undefined: the default, rrm); a usage error for a bad combination. */
export function judgeSpecFromFlags(values: Values): JudgeSpec | undefined {
  const name = values.judge as string | undefined;
  const template = values["judge-template"] as string | undefined;
  const verdict = values["judge-verdict"] as string | undefined;
  if (name === undefined && (template !== undefined || verdict !== undefined)) throw new UsageError("--judge-template and --judge-verdict go with --judge custom");
  if (name === undefined) return undefined;
  if (name === "custom") {
    if (template === undefined || verdict === undefined) throw new UsageError("--judge custom needs --judge-template FILE and --judge-verdict REGEX (one capture group: A/1 first, B/2 second, tie/C/0 a tie)");
    try {
      return loadCustomPreset(template, verdict);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (template !== undefined || verdict !== undefined) throw new UsageError(`--judge-template and --judge-verdict go with --judge custom, not --judge ${name}`);
  if (name !== "auto" && !(name in judgePresets)) throw new UsageError(`--judge expects one of ${[...JUDGE_PRESET_NAMES, "auto", "custom"].join(", ")}, got ${JSON.stringify(name)}`);
  return name as JudgeSpec;
}

/** The line a command prints on stderr about its judge. */
export function judgeLine(judge: { preset: JudgePreset; choice: string }): string {
  return `judge: ${judge.preset.name} (${judge.choice}; verdict: ${judge.preset.rule})`;
}

/** `rrm judges`: the presets, their models, verdict rules and sources. */
export function judgesTable(): string {
  const rows = Object.values(judgePresets).map((p: JudgePreset) =>
    `${p.name}\n  models:  ${p.models}\n  verdict: ${p.rule}\n  ties: ${p.ties ? "yes" : "no"}; thinking budget forces a verdict: ${p.forced ? "yes" : "no"}\n  source:  ${p.source.repository} @ ${p.source.commit.slice(0, 7)}: ${p.source.files.join("; ")}${p.source.note ? `\n  note:    ${p.source.note}` : ""}`);
  return rows.join("\n\n") + "\n\nauto: picks from the model's general.name or file name (rrm when neither names a family)\ncustom: --judge custom --judge-template FILE --judge-verdict REGEX";
}
