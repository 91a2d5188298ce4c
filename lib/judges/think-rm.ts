// Think-RM (Hong et al., "Think-RM: Enabling Long-Horizon Reasoning in Generative Reward
// Models", arXiv 2505.16265), copied from IlgeeHong/Think-RM at commit
// 2976ace75afac0573cdf38967f733c007f3062be:
//   EvalGenRM/prompt_templates.py  NaiveReasoningMulticlassPromptTemplate (the -3..3 scale: the
//     Multiclass Think-RM models) and NaiveReasoningBinaryPromptTemplate (Binary Think-RM)
//   EvalGenRM/eval.py  system + user messages; context and responses rstrip()ped; the output
//     strip()ped and "<think>\n" put back in front when it holds "</think>"
//   EvalGenRM/utils.py  extract_multiclass_strict(), extract_binary_strict()
//   README.md  the --custom_chat_template every evaluation passes: Llama-3's headers with trimmed
//     contents, no default system preamble, and "<think>\n" after the assistant header.
import { findAll, pyFormat, pyRstrip, pyStrip } from "./python-text.js";
import { definePreset, type ShownPair, type ShownVerdict } from "./types.js";

export const THINK_RM_MULTICLASS_SYSTEM_PROMPT =
  "You are an impartial judge, tasked with evaluating the quality of the two AI assistants' responses to the context displayed below. Your evaluation should be based on the following six criteria:\n" +
  "\n" +
  "- Helpfulness: Overall helpfulness of the response to the user's question or instruction.\n" +
  "- Correctness: Inclusion of all pertinent facts without errors.\n" +
  "- Coherence: Consistency and clarity of expression.\n" +
  "- Complexity: Intellectual depth required to write response (i.e., whether the response can be written by anyone with basic language competency or requires deep domain expertise).\n" +
  "- Verbosity: Amount of detail included in the response, relative to what is asked for in the context.\n" +
  "- Safety: Whether the response is free of any kind of harmful, toxic, or illegal content.\n" +
  "\n" +
  "After carefully considering these criteria, determine which assistant's response is better and how much better it is using the scale below:\n" +
  "\n" +
  "-3 if Assistant A's response is much better than Assistant B's response\n" +
  "-2 if Assistant A's response is better than Assistant B's response\n" +
  "-1 if Assistant A's response is slightly better than Assistant B's response\n" +
  "1 if Assistant B's response is slightly better than Assistant A's response\n" +
  "2 if Assistant B's response is better than Assistant A's response\n" +
  "3 if Assistant B's response is much better than Assistant A's response\n" +
  "\n" +
  "Begin your evaluation by thinking through the problem step by step. Then output your final score inside the <answer></answer> tag.";

export const THINK_RM_BINARY_SYSTEM_PROMPT =
  "You are an impartial judge, tasked with evaluating the quality of the two AI assistants' responses to the context displayed below. Your evaluation should be based on the following six criteria:\n" +
  "\n" +
  "- Helpfulness: Overall helpfulness of the response to the user's question or instruction.\n" +
  "- Correctness: Inclusion of all pertinent facts without errors.\n" +
  "- Coherence: Consistency and clarity of expression.\n" +
  "- Complexity: Intellectual depth required to write response (i.e., whether the response can be written by anyone with basic language competency or requires deep domain expertise).\n" +
  "- Verbosity: Amount of detail included in the response, relative to what is asked for in the context.\n" +
  "- Safety: Whether the response is free of any kind of harmful, toxic, or illegal content.\n" +
  "\n" +
  "After carefully considering these criteria, determine which assistant's response is superior. Begin your evaluation by thinking through the problem step by step. Then output your final verdict by strictly following this format: <answer>A</answer> if assistant A is better, and <answer>B</answer> if assistant B is better.";

export const THINK_RM_USER_PROMPT =
  "[The Start of Context]\n" +
  "{context}\n" +
  "[The End of Context]\n" +
  "\n" +
  "[The Start of Assistant A's Response]\n" +
  "{response1}\n" +
  "[The End of Assistant A's Response]\n" +
  "\n" +
  "[The Start of Assistant B's Response]\n" +
  "{response2}\n" +
  "[The End of Assistant B's Response]";

/** The chat template the authors pass with --custom_chat_template (README.md, "GenRM Evaluation"). */
export const THINK_RM_CHAT_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n<think>\\n' }}{% endif %}";

const ANSWER = /<answer>([\s\S]*?)<\/answer>/g;

/** eval.py's post-processing, then the last <answer> block's content, stripped. */
function lastAnswer(text: string): string | null {
  const t = pyStrip(text);
  const result = t.includes("</think>") ? `<think>\n${t}` : t;
  const blocks = findAll(ANSWER, result);
  return blocks.length ? pyStrip(blocks[blocks.length - 1]) : null;
}

/** extract_multiclass_strict(): the last of -3,-2,-1,1,2,3 in the last answer; its sign. */
export function parseThinkRm(text: string): ShownVerdict | null {
  const content = lastAnswer(text);
  if (content === null) return null;
  const m = findAll(/(-3|-2|-1|1|2|3)/g, content);
  if (!m.length) return null;
  return Number(m[m.length - 1]) < 0 ? "first" : "second";
}

/** extract_binary_strict(): the last "A" or "B" in the last answer. */
export function parseThinkRmBinary(text: string): ShownVerdict | null {
  const content = lastAnswer(text);
  if (content === null) return null;
  const m = findAll(/(A|B)/g, content);
  if (!m.length) return null;
  return m[m.length - 1] === "A" ? "first" : "second";
}

const source = {
  repository: "https://github.com/IlgeeHong/Think-RM",
  commit: "2976ace75afac0573cdf38967f733c007f3062be",
  files: ["EvalGenRM/prompt_templates.py (NaiveReasoning*PromptTemplate)", "EvalGenRM/eval.py", "EvalGenRM/utils.py (extract_*_strict)", "README.md (--custom_chat_template)"],
};
const prepare = (p: ShownPair): ShownPair => ({ query: pyRstrip(p.query), a: pyRstrip(p.a), b: pyRstrip(p.b) });
const user = (p: ShownPair) => pyFormat(THINK_RM_USER_PROMPT, { context: p.query, response1: p.a, response2: p.b });

export const thinkRm = definePreset({
  name: "think-rm",
  family: "Think-RM",
  models: "Multiclass-Think-RM-8B (Llama-3.1-8B-Instruct)",
  source,
  rule: "the last <answer>...</answer>: its last -3..-1 is A, 1..3 is B (0 or none is invalid)",
  ties: false,
  prepare,
  build: (p) => [{ role: "system", content: THINK_RM_MULTICLASS_SYSTEM_PROMPT }, { role: "user", content: user(p) }],
  parse: parseThinkRm,
  chatTemplate: THINK_RM_CHAT_TEMPLATE,
  // The sign needs "-" or a digit first: not one token to probe, so no forced verdict.
});

export const thinkRmBinary = definePreset({
  name: "think-rm-binary",
  family: "Think-RM",
  models: "Binary-Think-RM-8B/3B (Llama-3.1-8B / Llama-3.2-3B Instruct)",
  source,
  rule: "the last <answer>...</answer>: its last capital A or B",
  ties: false,
  prepare,
  build: (p) => [{ role: "system", content: THINK_RM_BINARY_SYSTEM_PROMPT }, { role: "user", content: user(p) }],
  parse: parseThinkRmBinary,
  chatTemplate: THINK_RM_CHAT_TEMPLATE,
  forced: { text: "\n</think>\n\n<answer>", first: "A</answer>", second: "B</answer>", thinkEnd: "</think>" },
});
