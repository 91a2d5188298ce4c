// The trained judge's recipe without the addon: the BPE vocabulary subset, the arithmetic data
// (right results, wrong ones that are plausible and never right, the reasoning), the split.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bpeMerges, subsetVocabulary } from "../../lib/testmodel/vocab-subset.js";
import { compareDigits, drawCandidateSet, drawItem, heldOut, KINDS, readAnswers, reasoning, value, verdictText, wroteResult, wrongResult } from "../../lib/train/arithmetic.js";
import { SeededRandom } from "../../lib/random.js";

// A toy byte-level vocabulary: 256 one-character byte tokens, then merged tokens.
const bytes = Array.from({ length: 256 }, (_, i) => String.fromCodePoint(0x100 + i));
const [a, b, c] = [bytes[1], bytes[2], bytes[3]];
const merges = [`${a} ${b}`, `${b} ${c}`, `${a}${b} ${c}`, `${c} ${c}`];
const tokens = [...bytes, a + b, b + c, a + b + c, c + c, "<s>"];
const types = tokens.map((_, i) => (i === tokens.length - 1 ? 3 : 1));

test("BPE applies the lowest-ranked merge first and records each merge", () => {
  assert.equal(bpeMerges(a + b + c, new Map(merges.map((m, i) => [m, i]))), { pieces: [a + b + c], applied: [`${a} ${b}`, `${a}${b} ${c}`] });
  assert.equal(bpeMerges(b + c, new Map(merges.map((m, i) => [m, i]))).pieces, [b + c]);
});

test("the subset keeps bytes, specials, the tokens asked for and their intermediates, merges in rank order", () => {
  const sub = subsetVocabulary(tokens, types, merges, [tokens.indexOf(a + b + c), tokens.length - 1]);
  assert.is(sub.tokens.length, 256 + 3);
  assert.equal(sub.tokens.slice(256), [a + b, a + b + c, "<s>"]);
  assert.equal(sub.merges, [`${a} ${b}`, `${a}${b} ${c}`]); // b+c never applied: dropped
  assert.is(sub.idOf.get(tokens.length - 1), 258);
  // The subset's BPE on the corpus text gives the same pieces as the full one.
  const rank = new Map(sub.merges.map((m, i) => [m, i]));
  assert.equal(bpeMerges(a + b + c, rank).pieces, [a + b + c]);
});

test("problems: wrong answers are never right and never negative; the reasoning ends on the right check", () => {
  const r = new SeededRandom(3);
  for (let i = 0; i < 600; i++) {
    const item = drawItem(r, KINDS[i % KINDS.length]);
    assert.ok(item.wrongValue !== item.rightValue && item.wrongValue >= 0, `${item.query} ${item.wrong}`);
    assert.is(item.rightValue, value(item.problem));
    const text = reasoning(item.problem, [item.rightValue, item.wrongValue]);
    assert.ok(text.includes(`${item.problem.x}${item.problem.op}${item.problem.y}=${item.rightValue}\n`), text);
    const same = String(item.rightValue).split("").map((d) => `${d}:${d}=`).join(" ");
    assert.ok(text.endsWith(`Assistant 1: ${item.rightValue}, ${same} right.\nAssistant 2: ${item.wrongValue}, ${compareDigits(item.wrongValue, item.rightValue)} wrong.`), text);
    // The check of a wrong answer ends on a mark that differs: no wrong answer is a prefix of the right one.
    assert.match(compareDigits(item.wrongValue, item.rightValue), /\d:\d[<>]$/);
  }
  assert.is(wrongResult(new SeededRandom(1), { x: 5, op: "+", y: 0, kind: "add2" }).value === 5, false);
});

test("the reasoning works column by column, units first, with carries and borrows", () => {
  assert.is(reasoning({ x: 37, op: "+", y: 48, kind: "add2" }, [85, 75]), "7+8=15, carry 1: 5\n3+4+1=8: 85\n37+48=85\nAssistant 1: 85, 8:8= 5:5= right.\nAssistant 2: 75, 7:8< wrong.");
  assert.is(reasoning({ x: 91, op: "-", y: 26, kind: "sub2" }, [64, 65]).split("\n").slice(0, 3).join("\n"), "11-6=5, borrow 1: 5\n9-1-2=6: 65\n91-26=65");
  assert.is(reasoning({ x: 123, op: "*", y: 7, kind: "mul3" }, [861, 851]).split("\n").slice(0, 4).join("\n"), "3*7=21, carry 2: 1\n2*7+2=16, carry 1: 61\n1*7+1=8: 861\n123*7=861");
  assert.is(verdictText(2), "\n</think>\n\n\\boxed{Assistant 2}");
});

test("the check compares digits from the left and stops at the first that differs", () => {
  assert.is(compareDigits(136, 136), "1:1= 3:3= 6:6=");
  assert.is(compareDigits(126, 136), "1:1= 2:3<");
  assert.is(compareDigits(185, 85), "1:8<");
  assert.is(compareDigits(15, 125), "1:1= 5:2>");
  assert.is(compareDigits(9, 9), "9:9=");
});

test("the reasoning's own result and check lines are what wroteResult and readAnswers look for", () => {
  const r = new SeededRandom(12);
  for (const kind of KINDS) {
    const it = drawItem(r, kind);
    const text = reasoning(it.problem, [it.wrongValue, it.rightValue]);
    assert.ok(wroteResult(it.problem, text), text);
    assert.ok(readAnswers([it.wrongValue, it.rightValue], text), text);
    assert.not.ok(readAnswers([it.rightValue, it.wrongValue], text), text);
    assert.not.ok(wroteResult({ ...it.problem, y: it.problem.y + 1 }, text), text);
  }
});

test("about one problem in ten is held out, by the problem, not the draw", () => {
  const r = new SeededRandom(9);
  let held = 0;
  for (let i = 0; i < 5000; i++) held += heldOut(drawItem(r, "add2").problem) ? 1 : 0;
  assert.ok(held > 400 && held < 600, String(held));
  assert.is(heldOut({ x: 37, op: "+", y: 48, kind: "add2" }), heldOut({ x: 37, op: "+", y: 48, kind: "add3" }));
});

test("candidate sets: distinct values, exactly one right", () => {
  const r = new SeededRandom(4);
  for (let i = 0; i < 50; i++) {
    const s = drawCandidateSet(r, "add2", 8, heldOut);
    const nums = s.candidates.map((c) => Number(/\d+/.exec(c)![0]));
    assert.is(new Set(nums).size, 8);
    assert.is(nums.filter((n) => n === value(s.problem)).length, 1);
    assert.is(nums[s.right], value(s.problem));
    assert.ok(heldOut(s.problem));
  }
});

test.run();
