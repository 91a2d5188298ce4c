// Fields of one JSONL input line, checked with errors a person can act on: a field that is absent
// ("is missing") is told apart from one of the wrong type ("must be a string, got a number"), and a
// line in another command's format says which command reads it.

/** The JSON type of a value, as a person names it. */
export function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return { string: "a string", number: "a number", boolean: "a boolean", object: "an object" }[typeof v as string] ?? typeof v;
}

/** The line as an object, or an error naming what it is instead. */
export function lineObject(v: unknown, line: number, expected: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`line ${line}: expected a JSON object ${expected}, got ${jsonType(v)}`);
  return v as Record<string, unknown>;
}

export function stringField(o: Record<string, unknown>, name: string, line: number): string {
  const v = o[name];
  if (v === undefined) throw new Error(`line ${line}: "${name}" is missing`);
  if (typeof v !== "string") throw new Error(`line ${line}: "${name}" must be a string, got ${jsonType(v)}`);
  return v;
}

const looksLikeRewardBench = (o: Record<string, unknown>) => "prompt" in o && "chosen" in o && "rejected" in o;

/** A RewardBench line given to compare or rank: say that rrm eval reads it. */
export function formatHint(o: Record<string, unknown>, line: number, command: string, reads: string): void {
  if (looksLikeRewardBench(o)) throw new Error(`line ${line}: this is a RewardBench line ("prompt", "chosen", "rejected"); rrm eval scores those (rrm ${command} reads ${reads})`);
}
