import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseVerdict } from "../../lib/rrm/verdict.js";

test("reads the last balanced box after the first </think>", () => {
  assert.equal(parseVerdict("reasoning</think>\n\n\\boxed{Assistant 1}"), { verdict: 1 });
  assert.equal(parseVerdict("x</think>first \\boxed{Assistant 1} then \\boxed{Assistant 2}"), { verdict: 2 });
  // Only text after the first </think> counts: a box in the reasoning is ignored.
  assert.equal(parseVerdict("\\boxed{Assistant 2}</think>\\boxed{Assistant 1}"), { verdict: 1 });
  // A later </think> is just text after the first one.
  assert.equal(parseVerdict("a</think>b</think>\\boxed{Assistant 2}"), { verdict: 2 });
});

test("invalid votes carry their reason", () => {
  assert.equal(parseVerdict("no end of thinking \\boxed{Assistant 1}").reason, "no-think-end");
  assert.equal(parseVerdict("</think> Assistant 1 is better").reason, "no-box");
  assert.equal(parseVerdict("</think>\\boxed{Assistant 1").reason, "unbalanced");
  const other = parseVerdict("</think>\\boxed{Assistant 3}");
  assert.equal([other.reason, (other as any).content], ["other-text", "Assistant 3"]);
  assert.equal(parseVerdict("</think>\\boxed{\\text{Assistant 1}}").reason, "other-text");
  assert.equal(parseVerdict("still thinking", { truncated: true }).reason, "length-limit");
  // Every unreadable verdict of a truncated sample, a complete box of other text included (found
  // by test/fuzz/parsers.ts: it had been "other-text"), keeping what the box held.
  assert.equal(parseVerdict("</think>\\boxed{}", { truncated: true }), { verdict: null, reason: "length-limit", content: "" });
});

test("whitespace only with the trim option", () => {
  assert.equal(parseVerdict("</think>\\boxed{ Assistant 2 }").reason, "other-text");
  assert.equal(parseVerdict("</think>\\boxed{ Assistant 2 }", { trim: true }), { verdict: 2 });
  assert.equal(parseVerdict("</think>\\boxed{Assistant {1}}").reason, "other-text");
});

test.run();
