// Each judge preset against its authors: messages() byte for byte against what their code builds,
// the rendered prompt against theirs, and parse() against what their parser returns on held-out
// outputs (test/fixtures/judges/README.md says where every fixture comes from).
import { readFileSync } from "node:fs";
import { Template } from "@huggingface/jinja";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { autoJudge, customPreset, judgePresets, resolveJudge, type ChatMessage, type JudgePreset } from "../../lib/judges/index.js";
import { renderMessages } from "../../lib/judges/prompter.js";
import { pyFormat, pyInt, pyStrip } from "../../lib/judges/python-text.js";
import { RRM_SYSTEM_PROMPT } from "../../lib/rrm/prompt-text.js";

const dir = new URL("../fixtures/judges/", import.meta.url);
const read = (f: string) => readFileSync(new URL(f, dir), "utf8");
const prompts = JSON.parse(read("prompts.json")) as {
  input: { query: string; a: string; b: string };
  presets: Record<string, { messages?: ChatMessage[]; rendered?: { template: string; text: string } }>;
};
const outputs = JSON.parse(read("outputs.json")) as Record<string, { text: string; expected: string | null; origin: string; recorded?: number }[]>;
const presets = judgePresets as Record<string, JudgePreset>;
const templateFile: Record<string, string> = { "qwen2.5-instruct.jinja": read("qwen2.5-instruct.jinja"), "llama-3.1-instruct.jinja": read("llama-3.1-instruct.jinja") };
const BOS: Record<string, string> = { "qwen2.5-instruct.jinja": "", "llama-3.1-instruct.jinja": "<|begin_of_text|>" };

for (const [name, want] of Object.entries(prompts.presets)) {
  test(`${name}: messages() are the authors' messages byte for byte`, () => {
    const got = presets[name].messages(prompts.input);
    const turns = got[got.length - 1].role === "assistant" ? got.slice(0, -1) : got;
    if (want.messages) assert.equal(turns, want.messages);
    else assert.ok(want.rendered, "every preset has messages or a rendered prompt");
  });
  if (want.rendered) {
    test(`${name}: the rendered prompt is the authors' string`, () => {
      const p = presets[name];
      const source = p.chatTemplate ?? templateFile[want.rendered!.template];
      assert.ok(source, `a template for ${name}`);
      const bos = p.chatTemplate ? "<|begin_of_text|>" : BOS[want.rendered!.template];
      const got = renderMessages(new Template(source), p.messages(prompts.input), { bosText: bos, eosText: "" });
      assert.is(got, want.rendered!.text);
    });
  }
}

test("rrm: the preset is today's RRM prompt (test/fixtures/rrm-reference.json)", () => {
  const ref = JSON.parse(readFileSync(new URL("../fixtures/rrm-reference.json", import.meta.url), "utf8")) as { system: string; user_template: string };
  const m = judgePresets.rrm.messages(prompts.input);
  assert.is(m[0].content, ref.system);
  assert.is(m[0].content, RRM_SYSTEM_PROMPT);
  assert.is(m[1].content, pyFormat(ref.user_template, { question: prompts.input.query, answer1: prompts.input.a, answer2: prompts.input.b }));
});

const FAMILY: Record<string, string[]> = {
  "rm-r1": ["rm-r1-reasoning", "rm-r1-instruct"],
  j1: ["j1"],
  "j1-scores": ["j1-scores"],
  judgelrm: ["judgelrm"],
  "think-rm": ["think-rm"],
  "think-rm-binary": ["think-rm-binary"],
};
for (const [family, names] of Object.entries(FAMILY)) {
  test(`${family}: parse() returns what the authors' parser returns on held-out outputs`, () => {
    const rows = outputs[family];
    assert.ok(rows.length >= 7, `${family} has held-out outputs`);
    for (const name of names) {
      for (const row of rows) assert.is(presets[name].parse(row.text), row.expected, `${name} on ${row.origin}: ${JSON.stringify(row.text.slice(-80))}`);
    }
  });
}

test("released outputs are covered: RM-R1 logs and demo, all of JudgeLRM's recorded results with ties", () => {
  assert.ok(outputs["rm-r1"].filter((r) => !r.origin.startsWith("hand")).length >= 10);
  const jl = outputs.judgelrm.filter((r) => r.recorded !== undefined);
  assert.ok(jl.length > 100);
  assert.ok(jl.some((r) => r.expected === "tie") && jl.some((r) => r.expected === "first") && jl.some((r) => r.expected === "second"));
});

test("the rules' sharp edges, as the authors' code has them", () => {
  const p = judgePresets;
  // RM-R1: both markers anywhere is an error ("Prevent Hacking"), even one in the reasoning.
  assert.is(p["rm-r1-reasoning"].parse("maybe [[B]]... </think><answer>[[A]]</answer>"), null);
  // JudgeLRM: the FIRST two answers; J1 and Think-RM the LAST match.
  assert.is(p.judgelrm.parse("</think><answer>3</answer><answer>9</answer><answer>9</answer><answer>1</answer>"), "second");
  assert.is(p.j1.parse("<answer>[[A]]</answer> then <answer> [[B]] </answer>"), "second");
  assert.is(p["think-rm"].parse("</think><answer>-2</answer><answer>3</answer>"), "second");
  assert.is(p["think-rm-binary"].parse("</think><answer>B</answer><answer>A</answer>"), "first");
  // Ties: JudgeLRM and J1's scores have them, the others never.
  assert.is(p.judgelrm.parse("</think><answer>6</answer><answer> 6 </answer>"), "tie");
  assert.is(p["j1-scores"].parse("<score_A>7</score_A><score_B>7.0</score_B>"), "tie");
  for (const n of ["rrm", "rm-r1-reasoning", "rm-r1-instruct", "j1", "think-rm", "think-rm-binary"] as const) assert.not.ok(p[n].ties, n);
  // RRM reads after the first </think> only.
  assert.is(p.rrm.parse("\\boxed{Assistant 2}</think>\\boxed{Assistant 1}"), "first");
  assert.is(p.rrm.parse("\\boxed{Assistant 1}"), null);
});

test("Python's text rules: strip, int and format", () => {
  assert.is(pyStrip("\x1c\u0085 x \ufeff"), "x \ufeff"); // Python strips \x1c and U+0085, not U+FEFF
  assert.equal([pyInt(" 7 "), pyInt("+5"), pyInt("06"), pyInt("1_0"), pyInt("8.5"), pyInt(""), pyInt("1__0")], [7, 5, 6, 10, null, null, null]);
  assert.is(pyFormat("{x} {{x}} {y}", { x: "{y}", y: "2" }), "{y} {x} 2");
});

test("Think-RM strips the inputs' ends as its eval.py does; the others keep them", () => {
  const pair = { query: "q  \n", a: "a\t", b: "b " };
  assert.ok(judgePresets["think-rm"].messages(pair)[1].content.includes("[The Start of Context]\nq\n[The End of Context]"));
  assert.ok(judgePresets.j1.messages(pair)[0].content.includes("[User Question]\nq  \n\n"));
});

test("every preset names its source, rule and models; forced verdicts only where one token decides", () => {
  for (const [name, p] of Object.entries(presets)) {
    assert.is(p.name, name);
    assert.match(p.source.repository, /^https:\/\/github\.com\//);
    assert.match(p.source.commit, /^[0-9a-f]{40}$/);
    assert.ok(p.rule.length > 10 && p.models.length > 2);
    if (p.forced) {
      // The forced text plus either answer must read as that answer under the preset's own rule.
      const thinking = "Let me weigh both.";
      assert.is(p.parse(thinking + p.forced.text + p.forced.first), "first", name);
      assert.is(p.parse(thinking + p.forced.text + p.forced.second), "second", name);
    }
  }
  assert.equal(Object.entries(presets).filter(([, p]) => p.forced).map(([n]) => n), ["rrm", "rm-r1-reasoning", "j1", "think-rm-binary"]);
});

test("auto reads the family from the model's name or file name, and says why", () => {
  const pick = (name: string, path = "/m/model.gguf") => autoJudge({ name, path }).preset.name;
  assert.is(pick("RM-R1-DeepSeek-Distilled-Qwen-14B"), "rm-r1-reasoning");
  assert.is(pick("RM R1 Qwen2.5 Instruct 7B", "/m/RM-R1-Qwen2.5-Instruct-7B.Q4_K_M.gguf"), "rm-r1-instruct");
  assert.is(pick("JudgeLRM-7B"), "judgelrm");
  assert.is(pick("Binary-Think-RM-8B"), "think-rm-binary");
  assert.is(pick("Multiclass Think-RM 8B"), "think-rm");
  assert.is(pick("J1-Llama-8B"), "j1");
  assert.is(pick("RRM-7B"), "rrm");
  assert.is(pick("Qwen2.5 7B Instruct", "/m/judgelrm-7b-q8_0.gguf"), "judgelrm");
  const fallback = autoJudge({ name: "Llama 3.1 8B Instruct", path: "/m/llama.gguf" });
  assert.is(fallback.preset.name, "rrm");
  assert.match(fallback.reason, /default rrm/);
  assert.match(autoJudge({ name: "JudgeLRM-7B", path: "/x.gguf" }).reason, /general.name "JudgeLRM-7B" names JudgeLRM/);
});

test("resolveJudge: names, objects, custom, and a clear error for anything else", () => {
  assert.is(resolveJudge(undefined).preset.name, "rrm");
  assert.is(resolveJudge("j1-scores").preset, judgePresets["j1-scores"]);
  assert.is(resolveJudge(judgePresets.j1).preset, judgePresets.j1);
  assert.throws(() => resolveJudge("rm-r2" as never), /Expected judge to be one of rrm, rm-r1-reasoning, .*auto, custom, got "rm-r2"/);
  assert.throws(() => resolveJudge("auto"), /needs a model/);
  assert.throws(() => resolveJudge({ nope: 1 } as never), /Expected judge to be a preset name/);
});

test("custom: a template and a verdict pattern", () => {
  const p = customPreset({ template: JSON.stringify({ system: "Judge fairly.", user: "Q: {query}\nA: {a}\nB: {b}\n{{literal}}", prefill: "<think>" }), verdict: "Winner: (A|B|tie)" });
  assert.equal(p.messages({ query: "q{a}", a: "x", b: "y" }), [
    { role: "system", content: "Judge fairly." },
    { role: "user", content: "Q: q{a}\nA: x\nB: y\n{literal}" },
    { role: "assistant", content: "<think>" },
  ]);
  assert.is(p.parse("Winner: A ... Winner: B"), "second");
  assert.is(p.parse("Winner: tie"), "tie");
  assert.is(p.parse("no idea"), null);
  assert.equal(customPreset({ template: "{query} 1) {a} 2) {b}", verdict: /\[\[(1|2)\]\]/ }).messages({ query: "q", a: "x", b: "y" }), [{ role: "user", content: "q 1) x 2) y" }]);
  assert.throws(() => customPreset({ template: "{query} {a}", verdict: "(A|B)" }), /has no \{b\}/);
  assert.throws(() => customPreset({ template: "{query} {a} {b}", verdict: "A|B" }), /needs one capture group/);
  assert.throws(() => customPreset({ template: "{query} {a} {b}", verdict: "(A" }), /not a regular expression/);
  assert.throws(() => customPreset({ template: '{"user": 3}', verdict: "(A)" }), /"user" must be a string/);
});

test.run();
