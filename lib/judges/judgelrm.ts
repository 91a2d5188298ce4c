// JudgeLRM (Chen et al., "JudgeLRM: Large Reasoning Models as a Judge", arXiv 2504.00050), copied
// from NuoJohnChen/JudgeLRM at commit 1b2072134eb39169e885e829d199b9558d1af031:
//   src/examples/data_preprocess/judgelrm.py  make_prefix(template_type="qwen-instruct"): the whole
//     prompt as one ChatML string, ending in "<|im_start|>assistant\n<think>". Here it is the
//     system and user messages it holds plus the prefill "<think>"; rendered through Qwen2.5's
//     chat template they give the authors' string byte for byte (test/unit/judge-presets.test.ts).
//   src/verl/utils/reward_score/judgelrm.py  extract_solution(): the text after the assistant
//     header, the first two <answer>...</answer> (non-greedy, across lines), each int() 0..10.
// The first-vs-second comparison with ties is the authors' evaluation: their released results
// (results/results_judgelrm{3b,7b}.json at commit dcf710c6d6b05d1be0b04030a7e21a210c76c08a)
// record 1, 2 or 0 (tie) for every output exactly as higher score wins, equal scores tie.
import { findAll, pyFormat, pyInt } from "./python-text.js";
import { definePreset, type ShownVerdict } from "./types.js";

export const JUDGELRM_SYSTEM_PROMPT =
  "You are a helpful assistant. The assistant first performs a detailed, step-by-step reasoning process in its mind and then provides the user with the answer. The reasoning process and answer are enclosed within <think> </think> and<answer> </answer> tags, respectively, i.e., <think> detailed reasoning process here, explaining each step of your evaluation for both assistants </think><answer> answer here </answer>. Now the user asks you to judge the performance of two AI assistants in response to the question. Score assistants 1-10 (higher=better). Criteria includes helpfulness, relevance, accuracy, and level of detail. Avoid order, length, style or other bias. After thinking, when you finally reach a conclusion, clearly  provide your evaluation scores within <answer> </answer> tags, i.e. for example,<answer>3</answer><answer>5</answer>\n";

export const JUDGELRM_USER_PROMPT =
  "[Question]\n" +
  "{question}\n" +
  "\n" +
  "[Assistant 1’s Answer]\n" +
  "{answer_1}\n" +
  "\n" +
  "[Assistant 2’s Answer]\n" +
  "{answer_2}\n";

export const JUDGELRM_PREFILL = "<think>";

const ANSWER = /<answer>([\s\S]*?)<\/answer>/g;

/** extract_solution(): the first two answers as integers 0..10, or null. */
export function judgeLrmScores(text: string): [number, number] | null {
  // The authors parse what follows "<|im_start|>assistant": the prefill, then the generation.
  const m = findAll(ANSWER, "\n" + JUDGELRM_PREFILL + text);
  if (m.length < 2) return null;
  const s1 = pyInt(m[0]);
  const s2 = pyInt(m[1]);
  if (s1 === null || s2 === null || s1 < 0 || s1 > 10 || s2 < 0 || s2 > 10) return null;
  return [s1, s2];
}

export function parseJudgeLrm(text: string): ShownVerdict | null {
  const s = judgeLrmScores(text);
  if (!s) return null;
  return s[0] > s[1] ? "first" : s[0] < s[1] ? "second" : "tie";
}

export const judgeLrm = definePreset({
  name: "judgelrm",
  family: "JudgeLRM",
  models: "JudgeLRM-3B/7B (Qwen2.5-Instruct)",
  source: {
    repository: "https://github.com/NuoJohnChen/JudgeLRM",
    commit: "1b2072134eb39169e885e829d199b9558d1af031",
    files: ["src/examples/data_preprocess/judgelrm.py (make_prefix, qwen-instruct)", "src/verl/utils/reward_score/judgelrm.py (extract_solution)"],
    note: "ties as in the authors' released results (results/*.json at dcf710c); their training reward also demands one <think>, one </think> and exactly two answers, which a verdict does not",
  },
  rule: "the first two <answer>n</answer> (integers 0-10): higher wins, equal is a tie",
  ties: true,
  build: (p) => [
    { role: "system", content: JUDGELRM_SYSTEM_PROMPT },
    { role: "user", content: pyFormat(JUDGELRM_USER_PROMPT, { question: p.query, answer_1: p.a, answer_2: p.b }) },
    { role: "assistant", content: JUDGELRM_PREFILL },
  ],
  parse: parseJudgeLrm,
  // Two scores, not one token: no forced verdict.
});
