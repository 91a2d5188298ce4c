// Judge.compare over a scripted engine: vote counting, early stop, invalid votes, ties, seeds.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Completion, Engine, GenerateRequest, GenerateResult } from "../../lib/engine.js";
import { Judge } from "../../lib/rrm/judge.js";

const fakeModel = {
  info: { chatTemplate: "{{ bos_token }}{{ messages[0].content }}{{ messages[1].content }}", bos: 1, bosText: "<s>", eosText: "</s>", addBos: false, vocabularySize: 70000 },
  specialTokens: () => [{ id: 1, text: "<s>", kind: "control" }],
  tokenize: (text: string) => [...text].map((c) => c.codePointAt(0)! % 70000),
};

/** Each request's samples are scripted texts, finishing one per tick; records the requests. */
function fakeEngine(script: (req: GenerateRequest, call: number) => string[], requests: GenerateRequest[] = []): Engine {
  let calls = 0;
  return {
    model: fakeModel,
    maxSequences: 16,
    async generate(req: GenerateRequest): Promise<GenerateResult> {
      requests.push(req);
      const texts = script(req, calls++).slice(0, req.n);
      const completions: Completion[] = texts.map(() => ({ text: "", tokens: [], finishReason: "cancelled" }));
      for (let i = 0; i < texts.length; i++) {
        await new Promise((r) => setTimeout(r, 1));
        if (req.stopSignal?.aborted) break;
        completions[i] = { text: texts[i], tokens: [1, 2, 3], finishReason: "eos" };
        req.onSample?.(completions[i], i);
      }
      return { completions, stats: { promptTokens: 10, prefillTokensComputed: 10, prefixTokensReused: 0, generatedTokens: 3 * texts.length, steps: 1, preemptions: 0, timings: {} as any } };
    },
  } as unknown as Engine;
}

const V1 = "think</think>\\boxed{Assistant 1}";
const V2 = "think</think>\\boxed{Assistant 2}";
const BAD = "think but never finish";
const input = { query: "q", a: "A", b: "B" };

test("votes are counted and mapped back through the swap", async () => {
  const reqs: GenerateRequest[] = [];
  const judge = new Judge(fakeEngine(() => [V1, V1, V2], reqs));
  const r = await judge.compare(input, { votes: 3, swap: "none", earlyStop: false });
  assert.equal(r.votes, { a: 2, b: 1, invalid: 0, cancelled: 0 });
  assert.is(r.winner, "a");
  assert.is(reqs.length, 1);
  assert.is(reqs[0].n, 3);
  // Shown swapped, "Assistant 1" is b.
  const swapped = new Judge(fakeEngine(() => [V1, V1, V2]));
  const alt = await swapped.compare(input, { votes: 2, swap: "alternate", earlyStop: false });
  assert.equal(alt.samples.map((s) => [s.swapped, s.verdict]), [[false, "a"], [true, "b"]]);
});

test("early stop cancels the votes that cannot change the result", async () => {
  const judge = new Judge(fakeEngine(() => [V2, V2, V2, V1, V1]));
  const r = await judge.compare(input, { votes: 5, swap: "none" });
  assert.is(r.winner, "b");
  assert.equal(r.votes, { a: 0, b: 3, invalid: 0, cancelled: 2 });
  assert.ok(r.earlyStopped);
  const full = await new Judge(fakeEngine(() => [V2, V2, V2, V1, V1])).compare(input, { votes: 5, swap: "none", earlyStop: false });
  assert.equal(full.votes, { a: 2, b: 3, invalid: 0, cancelled: 0 });
  // Across both orders: the other order's request is stopped too.
  const both = await new Judge(fakeEngine((_, call) => (call === 0 ? [V1, V1, V1] : [V2, V2, V2]))).compare(input, { votes: 6, swap: "alternate" });
  assert.ok(both.votes.cancelled > 0);
});

test("invalid votes are reported with reasons; ties and all-invalid have no winner", async () => {
  const r = await new Judge(fakeEngine(() => [V1, BAD, V2, "x</think>\\boxed{both}"])).compare(input, { votes: 4, swap: "none", earlyStop: false });
  assert.equal(r.votes, { a: 1, b: 1, invalid: 2, cancelled: 0 });
  assert.equal(r.samples.map((s) => s.invalidReason ?? null), [null, "no-think-end", null, "other-text"]);
  assert.is(r.winner, null);
  assert.is(r.reason, "tie");
  const none = await new Judge(fakeEngine(() => [BAD, BAD])).compare(input, { votes: 2, swap: "none" });
  assert.equal([none.winner, none.reason], [null, "no-valid-votes"]);
  const broken = await new Judge(fakeEngine(() => [V1, V2])).compare(input, { votes: 2, swap: "none", tieBreak: "b", earlyStop: false });
  assert.equal([broken.winner, broken.reason], ["b", "tie-break:b"]);
});

test("seeds reproduce the position coin and the engine seeds", async () => {
  const flips = async (seed: number) => {
    const reqs: GenerateRequest[] = [];
    const judge = new Judge(fakeEngine(() => [V1], reqs));
    const r = await judge.compare(input, { votes: 1, seed });
    return [r.samples[0].swapped, reqs[0].seed];
  };
  assert.equal(await flips(5), await flips(5));
  const seen = new Set<string>();
  for (let s = 0; s < 16; s++) seen.add(String((await flips(s))[0]));
  assert.is(seen.size, 2, "both orders occur across seeds");
});

test("a thinking budget with maxTokens 1 says there is no room for one (not 'an integer in 1..0')", async () => {
  const judge = new Judge(fakeEngine(() => ["</think>\\boxed{Assistant 1}"]));
  try {
    await judge.compare({ query: "q", a: "a", b: "b" }, { maxTokens: 1, thinkingBudget: 1 });
    assert.unreachable("should have thrown");
  } catch (e) {
    assert.match((e as Error).message, /Expected no thinking budget \(it must be below options\.maxTokens, which is 1\) for options\.thinkingBudget, got 1/);
  }
});

test.run();
