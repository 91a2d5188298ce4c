// Reasoning apart from the answer (lib/server/openai/reasoning.ts): whole texts, and streams cut at
// every possible place, give the same split.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ReasoningSplitter, splitReasoning } from "../../lib/server/openai/reasoning.js";
import { errorBody, finishReason } from "../../lib/server/openai/shapes.js";

const R1 = "Let me compare.\nAssistant 1 is right.</think>\n\n\\boxed{Assistant 1}";

test("a prompt that opened <think>: reasoning up to </think>, the answer after it without its blank lines", () => {
  assert.equal(splitReasoning(R1, true), { reasoning: "Let me compare.\nAssistant 1 is right.", content: "\\boxed{Assistant 1}", thought: true });
  // Never closed (the budget ran out): all of it is reasoning, no answer.
  assert.equal(splitReasoning("still thinking", true), { reasoning: "still thinking", content: "", thought: true });
  // Only the first </think> ends the reasoning.
  assert.equal(splitReasoning("a</think>b</think>c", true).content, "b</think>c");
});

test("a model that opens <think> itself; one that never thinks keeps its text as the answer", () => {
  assert.equal(splitReasoning("\n<think>hmm</think>Paris", false), { reasoning: "hmm", content: "Paris", thought: true });
  assert.equal(splitReasoning("Paris is the capital.", false), { reasoning: "", content: "Paris is the capital.", thought: false });
  assert.equal(splitReasoning("<thi", false), { reasoning: "", content: "<thi", thought: false });
  assert.equal(splitReasoning("", true), { reasoning: "", content: "", thought: true });
});

test("streams: every cut of the text into two or three deltas gives the whole-text split", () => {
  for (const [text, opens] of [[R1, true], ["<think>x</think>\n y", false], ["plain answer", false], ["abc</thi", true]] as [string, boolean][]) {
    const whole = splitReasoning(text, opens);
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j += 3) {
        const s = new ReasoningSplitter(opens);
        const parts = [s.push(text.slice(0, i)), s.push(text.slice(i, j)), s.push(text.slice(j)), s.end()];
        const got = { reasoning: parts.map((p) => p.reasoning).join(""), content: parts.map((p) => p.content).join("") };
        assert.equal(got, { reasoning: whole.reasoning, content: whole.content }, `${JSON.stringify(text)} cut at ${i}, ${j}`);
        assert.is(s.thought, whole.thought);
      }
    }
  }
});

test("a stream holds back only what could still be the closing tag", () => {
  const s = new ReasoningSplitter(true);
  assert.equal(s.push("thinking </thi"), { reasoning: "thinking ", content: "" });
  assert.equal(s.push("nk>\n\nThe"), { reasoning: "", content: "The" });
  assert.equal(s.push(" answer"), { reasoning: "", content: " answer" });
});

test("OpenAI's finish reasons and error shape", () => {
  assert.is(finishReason("eos"), "stop");
  assert.is(finishReason("stop"), "stop");
  assert.is(finishReason("length"), "length");
  assert.equal(errorBody(400, "n must be >= 1", "n"), { error: { message: "n must be >= 1", type: "invalid_request_error", param: "n", code: null } });
  assert.is(errorBody(401, "x").error.code, "invalid_api_key");
  assert.is(errorBody(429, "x").error.type, "rate_limit_error");
  assert.is(errorBody(503, "x").error.type, "server_error");
});

test.run();
