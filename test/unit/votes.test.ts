import { test } from "uvu";
import * as assert from "uvu/assert";
import { decidedSide, majority } from "../../lib/rrm/votes.js";

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

test.run();
