// The authors' verdict rule (RRM.md §4): the text after the first </think>, the last balanced
// \boxed{...} in it, exactly "Assistant 1" or "Assistant 2".
/** Why a vote has no verdict; "no-verdict" is the other judge presets' one reason (lib/judges). */
export type InvalidReason = "no-think-end" | "no-box" | "unbalanced" | "other-text" | "length-limit" | "no-verdict";
export type ParsedVerdict = { verdict: 1 | 2; reason?: undefined } | { verdict: null; reason: InvalidReason; content?: string };

export interface ParseOptions {
  /** Trim whitespace inside the box first (the authors' later code does). Default false. */
  trim?: boolean;
  /** The sample hit its token limit: an unreadable verdict is reported as "length-limit". */
  truncated?: boolean;
}

const THINK_END = "</think>";
const BOX = "\\boxed{";

export function parseVerdict(text: string, options: ParseOptions = {}): ParsedVerdict {
  const invalid = (reason: InvalidReason, content?: string): ParsedVerdict => ({ verdict: null, reason: options.truncated ? "length-limit" : reason, content });
  const end = text.indexOf(THINK_END);
  if (end < 0) return invalid("no-think-end");
  const answer = text.slice(end + THINK_END.length);
  const open = answer.lastIndexOf(BOX);
  if (open < 0) return invalid("no-box");
  let depth = 1;
  let i = open + BOX.length;
  for (; i < answer.length && depth > 0; i++) {
    if (answer[i] === "{") depth++;
    else if (answer[i] === "}") depth--;
  }
  if (depth !== 0) return invalid("unbalanced");
  let content = answer.slice(open + BOX.length, i - 1);
  if (options.trim) content = content.trim();
  if (content === "Assistant 1") return { verdict: 1 };
  if (content === "Assistant 2") return { verdict: 2 };
  return invalid("other-text", content);
}
