// A scripted PairJudge for tournament and evaluation logic: the verdict of every vote comes from
// the answers' text, so tests know the exact outcome.
//   "good..." beats anything else; "bad..." loses to anything else; two of a kind: no verdict;
//   "first..." wins when shown as Assistant 1 and loses when shown second (position bias).
import type { CompareInput, CompareOptions, CompareResult, JudgeSample, PairJudge } from "../../lib/rrm/types.js";

function vote(a: string, b: string, swapped: boolean): "a" | "b" | null {
  const rank = (s: string) => (s.startsWith("good") ? 2 : s.startsWith("bad") ? 0 : 1);
  if (a.startsWith("first")) return swapped ? "b" : "a";
  if (rank(a) === rank(b)) return null;
  return rank(a) > rank(b) ? "a" : "b";
}

export class ScriptedJudge implements PairJudge {
  calls: { input: CompareInput; options: CompareOptions }[] = [];
  async compare(input: CompareInput, options: CompareOptions = {}): Promise<CompareResult> {
    this.calls.push({ input, options });
    await new Promise((r) => setTimeout(r, 1));
    if (options.signal?.aborted) throw new Error("aborted");
    const n = Number(options.votes ?? 1); // adaptive votes arrive as waves of plain counts
    const swap = options.swap ?? "random";
    const samples: JudgeSample[] = [];
    for (let i = 0; i < n; i++) {
      const swapped = swap === "none" ? false : swap === "alternate" ? i % 2 === 1 : ((options.seed ?? 0) & 1) === 1;
      const verdict = vote(input.a, input.b, swapped);
      samples.push({ text: "", verdict, invalidReason: verdict ? undefined : "no-box", swapped, tokens: 100 + input.a.length + i, finishReason: "eos" });
    }
    const a = samples.filter((s) => s.verdict === "a").length, b = samples.filter((s) => s.verdict === "b").length;
    const winner = a > b ? "a" : b > a ? "b" : null;
    return {
      winner, reason: winner ? undefined : "tie",
      votes: { a, b, invalid: n - a - b, cancelled: 0 },
      samples, earlyStopped: false,
      stats: { promptTokens: 10, prefillTokensComputed: 10, generatedTokens: samples.reduce((t, s) => t + s.tokens, 0), ms: 1 },
    } as CompareResult;
  }
}
