import { test } from "uvu";
import * as assert from "uvu/assert";
import { castVotes, decidedSide, majority } from "../../lib/rrm/votes.js";
import { judgmentsOf, newTally, runWave, stopReason } from "../../lib/rrm/adaptive-votes.js";
import type { CompareResult, PairJudge } from "../../lib/rrm/types.js";

const count = (a: number, b: number, invalid = 0) => ({ a, b, invalid, cancelled: 0 });

test("majority of valid votes", () => {
  assert.equal(majority(count(3, 2)), { winner: "a" });
  assert.equal(majority(count(1, 4, 3)), { winner: "b" });
});

test("ties and all-invalid are no winner unless a policy says otherwise", () => {
  assert.equal(majority(count(2, 2)), { winner: null, reason: "tie" });
  assert.equal(majority(count(0, 0, 5)), { winner: null, reason: "no-valid-votes" });
  assert.equal(majority(count(2, 2), "b"), { winner: "b", reason: "tie-break:b" });
  assert.equal(majority(count(2, 2), "probability", 0.7), { winner: "a", reason: "tie-break:probability" });
  assert.equal(majority(count(2, 2), "probability", undefined, () => false), { winner: "b", reason: "tie-break:coin" });
  assert.equal(majority(count(2, 2), "coin"), { winner: null, reason: "tie" });
});

test("early stop: decided once one side has more than half of all votes", () => {
  assert.is(decidedSide(count(2, 0), 5), null);
  assert.is(decidedSide(count(3, 0), 5), "a");
  assert.is(decidedSide(count(1, 3, 1), 5), "b");
  assert.is(decidedSide(count(2, 2), 4), null);
  assert.is(decidedSide(count(3, 1), 4), "a");
});

test("tie votes (judges whose rule has ties) are half a vote for each side", () => {
  const withTies = (a: number, b: number, ties: number, invalid = 0) => ({ a, b, invalid, cancelled: 0, ties });
  assert.equal(majority(withTies(2, 1, 3)), { winner: "a" });
  assert.equal(majority(withTies(0, 0, 4)), { winner: null, reason: "tie" }); // all ties: a tie, not "no valid votes"
  assert.equal(majority(withTies(0, 0, 0, 2)), { winner: null, reason: "no-valid-votes" });
  // 5 votes: a 2 + 2 ties = 3 of 5 for a; b can reach at most 1 more: a stays ahead.
  assert.is(decidedSide(withTies(2, 0, 2), 5), "a");
  assert.is(decidedSide(withTies(2, 0, 1), 5), null); // b could still reach 2 of the 2 left
  assert.is(castVotes(withTies(2, 1, 3, 1)), 7);
  assert.is(stopReason(withTies(1, 1, 3), 5, 0.9), "max");
});

test("adaptive votes: tie votes count toward max and stay ties when a wave is shown the other way", async () => {
  const judge: PairJudge = {
    async compare(_input, options) {
      const n = Number(options?.votes ?? 1);
      return {
        winner: null, reason: "tie", votes: { a: 0, b: 0, invalid: 0, cancelled: 0, ties: n }, earlyStopped: false,
        samples: Array.from({ length: n }, (_, i) => ({ text: "", verdict: "tie" as const, swapped: i % 2 === 1, tokens: 1, finishReason: "eos" as const })),
        stats: { promptTokens: 0, prefillTokensComputed: 0, generatedTokens: 0, ms: 0 },
      } satisfies CompareResult;
    },
  };
  const tally = newTally();
  await runWave(judge, { query: "q", a: "x", b: "y" }, {}, tally, 2, 1);
  await runWave(judge, { query: "q", a: "x", b: "y" }, {}, tally, 2, 1); // the inverted wave
  assert.is(tally.count.ties, 4);
  assert.is(judgmentsOf(tally.count), 4);
  assert.ok(tally.samples.every((s) => s.verdict === "tie"));
});

test.run();
