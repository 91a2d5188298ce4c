// Arithmetic judging problems for the trained judge (issue 32): a query ("What is 37 + 48?"), its
// right answer and a plausible wrong one, and the reasoning the judge is trained to write.
// Seeded, so a run is reproducible; `heldOut` splits the problems themselves (not the draws), so
// evaluation never sees a query the model was trained on.
import { SeededRandom } from "../random.js";

export type Op = "+" | "-" | "*";
/** Problem kinds: 2-digit +/-, 3-digit +/- (with a 2- or 3-digit second operand), n-digit x 1-digit. */
export type Kind = "add2" | "sub2" | "add3" | "sub3" | "mul2" | "mul3";
export const KINDS: readonly Kind[] = ["add2", "sub2", "add3", "sub3", "mul2", "mul3"];

export interface Problem { x: number; op: Op; y: number; kind: Kind }
export interface JudgingItem {
  problem: Problem;
  query: string;
  right: string;
  wrong: string;
  rightValue: number;
  wrongValue: number;
  /** How the wrong answer was made (dropped carry, +-1, ...). */
  mistake: string;
}

export const value = (p: Problem) => (p.op === "+" ? p.x + p.y : p.op === "-" ? p.x - p.y : p.x * p.y);
export const queryOf = (p: Problem) => `What is ${p.x} ${p.op} ${p.y}?`;

const between = (r: SeededRandom, lo: number, hi: number) => lo + r.int(hi - lo + 1);

export function drawProblem(r: SeededRandom, kind: Kind): Problem {
  switch (kind) {
    case "add2": return { x: between(r, 10, 99), op: "+", y: between(r, 10, 99), kind };
    case "sub2": { const x = between(r, 10, 99), y = between(r, 10, 99); return { x: Math.max(x, y), op: "-", y: Math.min(x, y), kind }; }
    case "add3": return { x: between(r, 100, 999), op: "+", y: r.coin() ? between(r, 100, 999) : between(r, 10, 99), kind };
    case "sub3": { const x = between(r, 100, 999), y = r.coin() ? between(r, 100, 999) : between(r, 10, 99); return { x: Math.max(x, y), op: "-", y: Math.min(x, y), kind }; }
    case "mul2": return { x: between(r, 10, 99), op: "*", y: between(r, 2, 9), kind };
    case "mul3": return { x: between(r, 100, 999), op: "*", y: between(r, 2, 9), kind };
  }
}

/** One problem in ten is held out from training (a hash of the problem, not of the draw). */
export function heldOut(p: Problem): boolean {
  let h = Math.imul(p.x, 0x9e3779b1) ^ Math.imul(p.y + 7919 * "+-*".indexOf(p.op), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return ((h ^ (h >>> 12)) >>> 0) % 10 === 0;
}

const digits = (n: number) => String(n).split("").reverse().map(Number); // units first

/** The column computation without carries (or borrows): a "dropped carry" answer. */
function withoutCarries(p: Problem): number {
  const a = digits(p.x), b = digits(p.y);
  let out = 0;
  for (let i = 0, m = 1; i < Math.max(a.length, b.length); i++, m *= 10) {
    const da = a[i] ?? 0, db = p.op === "*" ? (i === 0 ? p.y : 0) : (b[i] ?? 0);
    const d = p.op === "+" ? (da + db) % 10 : p.op === "-" ? (da - db + 10) % 10 : (a[i] * p.y) % 10;
    out += d * m;
  }
  return out;
}

/** A plausible wrong result, never the right one and never negative. */
export function wrongResult(r: SeededRandom, p: Problem): { value: number; mistake: string } {
  const v = value(p);
  for (let tries = 0; ; tries++) {
    const pick = r.int(8);
    let w: number, mistake: string;
    if (pick === 0) { w = withoutCarries(p); mistake = "dropped carry"; }
    else if (pick === 1) { const m = 10 ** r.int(String(v).length); w = v + m; mistake = "extra carry"; }
    else if (pick === 2) { w = v + (r.coin() ? 1 : -1); mistake = "+-1"; }
    else if (pick === 3) { w = v + (r.coin() ? 10 : -10); mistake = "+-10"; }
    else if (pick === 4) { w = v + (r.coin() ? 100 : -100); mistake = "+-100"; }
    else if (pick === 5) {
      const s = String(v).split("");
      const i = r.int(Math.max(1, s.length - 1));
      [s[i], s[i + 1]] = [s[i + 1] ?? s[i], s[i]];
      w = Number(s.join("")); mistake = "swapped digits";
    } else { w = v + (r.coin() ? 1 : -1) * (1 + r.int(9)); mistake = "off by a digit"; }
    if (w !== v && w >= 0 && String(w) === String(Math.round(w))) return { value: w, mistake };
    if (tries > 50) return { value: v + 1, mistake: "+-1" };
  }
}

/** An answer's text: a bare number or a short sentence. */
export function phrase(r: SeededRandom, n: number): string {
  return r.coin() ? String(n) : `The answer is ${n}.`;
}

/**
 * How the reasoning checks an answer against its result. "digits" (the judge's format): digit by
 * digit, `Assistant 1: 85, 8:8= 5:5= right.`. "short": `Assistant 1: 85, right.`, the first format,
 * kept because the shipped model's first two training phases read it (scripts/train-judge.mjs).
 */
export type CheckStyle = "digits" | "short";

/** Whether one number's digits begin the other's (12 and 122): a digit-by-digit check finds no digit that differs. */
export const prefixPair = (a: number, b: number) => String(a).startsWith(String(b)) || String(b).startsWith(String(a));

export function drawItem(r: SeededRandom, kind: Kind, check: CheckStyle = "digits"): JudgingItem {
  const problem = drawProblem(r, kind);
  let w = wrongResult(r, problem);
  // The digit check stops at the first digit that differs: the data has one in every wrong answer.
  while (check === "digits" && prefixPair(w.value, value(problem))) w = wrongResult(r, problem);
  return { problem, query: queryOf(problem), right: phrase(r, value(problem)), wrong: phrase(r, w.value), rightValue: value(problem), wrongValue: w.value, mistake: w.mistake };
}

/**
 * The reasoning: one line per column, units first, each with the partial result so far (the new
 * digit in front of the last line's partial result: a copy of a nearby string, which a small model
 * learns far sooner than reversing digits), then the result and a check of each answer.
 * 37 + 48:  "7+8=15, carry 1: 5\n3+4+1=8: 85\n37+48=85\nAssistant 1: 85, 8:8= 5:5= right.\nAssistant 2: 75, 7:8< wrong."
 */
export function reasoning(p: Problem, shown: [number, number], check: CheckStyle = "digits"): string {
  const a = digits(p.x), b = digits(p.y);
  const lines: string[] = [];
  let partial = "";
  let carry = 0;
  const n = p.op === "*" ? a.length : Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const da = a[i] ?? 0;
    if (p.op === "+") {
      const db = b[i];
      const s = da + (db ?? 0) + carry;
      const terms = [da, ...(db === undefined ? [] : [db]), ...(carry ? [carry] : [])].join("+");
      const digit = last ? String(s) : String(s % 10);
      partial = digit + partial;
      carry = s >= 10 ? 1 : 0;
      lines.push(`${terms}=${s}${!last && carry ? ", carry 1" : ""}: ${partial}`);
    } else if (p.op === "-") {
      const db = b[i] ?? 0;
      const borrowIn = carry;
      let top = da - borrowIn;
      const borrow = top < db ? 1 : 0;
      top += 10 * borrow;
      const d = top - db;
      partial = String(d) + partial;
      carry = borrow;
      const expr = `${borrow ? `1${da}` : da}${borrowIn ? "-1" : ""}${b[i] !== undefined ? `-${db}` : ""}`;
      lines.push(`${expr}=${d}${borrow ? ", borrow 1" : ""}: ${partial}`);
    } else {
      const s = da * p.y + carry;
      const digit = last ? String(s) : String(s % 10);
      partial = digit + partial;
      const expr = `${da}*${p.y}${carry ? `+${carry}` : ""}`;
      carry = Math.floor(s / 10);
      lines.push(`${expr}=${s}${!last && carry ? `, carry ${carry}` : ""}: ${partial}`);
    }
  }
  const v = value(p);
  lines.push(`${p.x}${p.op}${p.y}=${v}`);
  const marks = (n: number) => (check === "digits" ? `${compareDigits(n, v)} ` : "");
  shown.forEach((n, k) => lines.push(`Assistant ${k + 1}: ${n}, ${marks(n)}${n === v ? "right" : "wrong"}.`));
  return lines.join("\n");
}

/**
 * The check of one answer against the result, digit by digit from the left, up to the first that
 * differs: each pair is the answer's digit, the result's, then the mark ("=", "<", ">"), so 136
 * against 136 is "1:1= 3:3= 6:6=" and 126 against 136 "1:1= 2:3<". The mark comes after both
 * digits: a function of the two tokens before it. Trained to write "136, right." outright, the
 * model copied and computed but its marks did not follow its result; with the mark between the
 * digits ("2<3") it had to know the result's digit before writing it, and wrote "=" (issue 32).
 */
export function compareDigits(answer: number, result: number): string {
  const a = String(answer), b = String(result);
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? "", y = b[i] ?? "";
    const mark = x === y ? "=" : x < y ? "<" : ">";
    out.push(`${x}:${y}${mark}`);
    if (mark !== "=") break;
  }
  return out.join(" ");
}

/** Whether a judgment's reasoning wrote `p`'s true result line, as reasoning() does (`37+48=85`). */
export function wroteResult(p: Problem, text: string): boolean {
  return new RegExp(`^${p.x}\\${p.op}${p.y}=${value(p)}$`, "m").test(text);
}

/** Whether its check lines name the answers shown, in the order shown (`Assistant 1: 85, 8:8= 5:5= right.` or `Assistant 1: 85, right.`). */
export function readAnswers(shown: readonly number[], text: string): boolean {
  return shown.every((v, k) => new RegExp(`^Assistant ${k + 1}: ${v}, ([0-9:=<> ]+ )?(right|wrong)\\.$`, "m").test(text));
}

/** The verdict text after the reasoning: exactly the judge's forced text plus the answer. */
export const verdictText = (n: 1 | 2) => `\n</think>\n\n\\boxed{Assistant ${n}}`;

/** A ranking task: the right answer among n - 1 distinct wrong ones, in a random order. */
export function drawCandidateSet(r: SeededRandom, kind: Kind, n: number, accept: (p: Problem) => boolean = () => true): { query: string; candidates: string[]; right: number; problem: Problem } {
  for (;;) {
    const problem = drawProblem(r, kind);
    if (!accept(problem)) continue;
    const v = value(problem);
    const values = new Set<number>([v]);
    for (let tries = 0; values.size < n && tries < 200; tries++) {
      const w = wrongResult(r, problem).value;
      if (!prefixPair(w, v)) values.add(w);
    }
    if (values.size < n) continue;
    const order = r.shuffle([...values]);
    return { query: queryOf(problem), candidates: order.map((x) => phrase(r, x)), right: order.indexOf(v), problem };
  }
}
