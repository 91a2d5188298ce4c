// A preset of the user's own: a template file and a verdict pattern, for a judge no preset covers.
//
// Template file: plain text is the user message; a JSON object {"system"?, "user", "prefill"?}
// (a file that starts with {") gives each part. {query}, {a} and {b} are replaced in one pass (a response that contains "{a}"
// stays as written); {{ and }} are literal braces (Python's str.format rules).
// Verdict pattern: a regular expression with one group; its last match decides. The group "A" or
// "1" is the response shown first, "B" or "2" the second, "tie", "C" or "0" a tie; anything else
// is no verdict.
import { readFileSync } from "node:fs";
import { RrmEngineError } from "../errors.js";
import { findAll } from "./python-text.js";
import { definePreset, type ChatMessage, type JudgePreset, type ShownVerdict } from "./types.js";

export interface CustomPresetSpec {
  /** The template text (see above). */
  template: string;
  /** The verdict pattern, a RegExp or its source. */
  verdict: RegExp | string;
  /** A name for reports (default "custom"). */
  name?: string;
}

interface TemplateParts { system?: string; user: string; prefill?: string }

function parseTemplate(text: string): TemplateParts {
  // JSON starts {" ; a plain template may start with a placeholder such as {query}.
  if (!/^\s*\{\s*"/.test(text)) return { user: text };
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new RrmEngineError(`The custom judge template looks like JSON but does not parse: ${(e as Error).message}`);
  }
  const r = o as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!["system", "user", "prefill"].includes(k)) throw new RrmEngineError(`The custom judge template has an unknown key "${k}" (expected system, user, prefill)`);
  for (const k of ["system", "user", "prefill"]) if (r[k] !== undefined && typeof r[k] !== "string") throw new RrmEngineError(`The custom judge template's "${k}" must be a string`);
  if (typeof r.user !== "string") throw new RrmEngineError('The custom judge template needs a "user" string');
  return { system: r.system as string | undefined, user: r.user, prefill: r.prefill as string | undefined };
}

function fill(template: string, p: { query: string; a: string; b: string }): string {
  return template.replace(/\{\{|\}\}|\{(query|a|b)\}/g, (m, k: "query" | "a" | "b" | undefined) => (m === "{{" ? "{" : m === "}}" ? "}" : p[k!]));
}

const SIDES: Record<string, ShownVerdict> = { A: "first", "1": "first", B: "second", "2": "second", tie: "tie", C: "tie", "0": "tie" };

export function customPreset(spec: CustomPresetSpec): JudgePreset {
  const parts = parseTemplate(spec.template);
  for (const k of ["query", "a", "b"]) {
    if (!parts.user.includes(`{${k}}`)) throw new RrmEngineError(`The custom judge template's user message has no {${k}}`);
  }
  let pattern: RegExp;
  try {
    pattern = typeof spec.verdict === "string" ? new RegExp(spec.verdict, "g") : new RegExp(spec.verdict.source, spec.verdict.flags.includes("g") ? spec.verdict.flags : spec.verdict.flags + "g");
  } catch (e) {
    throw new RrmEngineError(`The custom verdict pattern is not a regular expression: ${(e as Error).message}`);
  }
  const groups = new RegExp(`${pattern.source}|`).exec("")!.length - 1;
  if (groups < 1) throw new RrmEngineError(`The custom verdict pattern needs one capture group, e.g. "\\[\\[(A|B)\\]\\]"; got /${pattern.source}/`);
  return definePreset({
    name: spec.name ?? "custom",
    family: "custom",
    models: "any",
    source: { repository: "(user template)", commit: "-", files: [] },
    rule: `the last match of /${pattern.source}/: A or 1 is the first, B or 2 the second, tie, C or 0 a tie`,
    ties: true,
    build: (p) => {
      const m: ChatMessage[] = [];
      if (parts.system !== undefined) m.push({ role: "system", content: fill(parts.system, p) });
      m.push({ role: "user", content: fill(parts.user, p) });
      if (parts.prefill !== undefined) m.push({ role: "assistant", content: parts.prefill });
      return m;
    },
    parse: (text) => {
      const m = findAll(pattern, text);
      return m.length ? SIDES[m[m.length - 1]] ?? null : null;
    },
  });
}

/** A custom preset from files: the template file and the verdict pattern. */
export function customPresetFromFile(templatePath: string, verdict: string, name?: string): JudgePreset {
  let template: string;
  try {
    template = readFileSync(templatePath, "utf8");
  } catch (e) {
    throw new RrmEngineError(`Cannot read the judge template file ${templatePath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return customPreset({ template, verdict, name });
}
