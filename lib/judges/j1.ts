// J1 (Whitehouse et al., "J1: Incentivizing Thinking in LLM-as-a-Judge via Reinforcement
// Learning", arXiv 2505.10320). Meta released no J1 repository; the J1 authors' own training
// code for the pairwise judges is in facebookresearch/fairseq2 at commit
// a7ffaa50c30ebd29e36fe0172e9bce575ac30e45 ("Support for pairwise judges in online training",
// Swarnadeep Saha, J1's last author):
//   src/fairseq2/recipes/lm/_online_finetune/_generative_judge.py  PAIRWISE_J1_PROMPT,
//     PAIRWISE_WITH_SCORES_J1_PROMPT, J1PairwisePreferenceExtractor.extract,
//     J1PairwiseScoreExtractor.extract
//   src/fairseq2/recipes/lm/_online_finetune/_rewards.py  GenerativePairwiseVerifier.wrap_text:
//     the formatted prompt is the only (user) message, add_generation_prompt=True.
// (Later fairseq2 commits rewrote these prompts; this is the version of the paper's release.)
import { findAll, pyStrip, pyFormat, PY_SPACE } from "./python-text.js";
import { definePreset, type ShownVerdict } from "./types.js";

export const J1_PAIRWISE_PROMPT =
  "\n" +
  "You are given a user question and two responses from two AI assistants. Your task is to act as an impartial judge and evaluate which response better follows the user's instructions and provides a higher-quality answer.\n" +
  "\n" +
  "First, provide your reasoning within <think> and </think> tags. This should include your evaluation criteria for a high-quality response, a detailed comparison of the two responses, and when helpful, a reference answer as part of your evaluation. Be explicit in your thought process, referencing your criteria and explaining how each response aligns with or deviates from them.\n" +
  "\n" +
  "Avoid any position biases and ensure that the order in which the responses were presented does not influence your decision. Do not allow the length of the responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible.\n" +
  "\n" +
  "Finally, provide your verdict within <answer> and </answer> tags, strictly following this format:\n" +
  "- <answer> [[A]] </answer> if Assistant A is better\n" +
  "- <answer> [[B]] </answer> if Assistant B is better\n" +
  "\n" +
  "Below are the user's question and the two responses:\n" +
  "\n" +
  "[User Question]\n" +
  "{instruction}\n" +
  "\n" +
  "[The Start of Assistant A's Answer]\n" +
  "{response_A}\n" +
  "[The End of Assistant A's Answer]\n" +
  "\n" +
  "[The Start of Assistant B's Answer]\n" +
  "{response_B}\n" +
  "[The End of Assistant B's Answer]\n";

export const J1_PAIRWISE_SCORES_PROMPT =
  "\n" +
  "You are given a user question and two responses from two AI assistants. Your task is to act as an impartial judge and evaluate which response better follows the user's instructions and provides a higher-quality answer.\n" +
  "\n" +
  "First, provide your reasoning within <think> and </think> tags. This should include your evaluation criteria for a high-quality response, a detailed comparison of the two responses, and when helpful, a reference answer as part of your evaluation. Be explicit in your thought process, referencing your criteria and explaining how each response aligns with or deviates from them.\n" +
  "\n" +
  "Avoid any position biases and ensure that the order in which the responses were presented does not influence your decision. Do not allow the length of the responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible.\n" +
  "\n" +
  "Finally, assign the assistant's response a score from 0 to 10, using either an integer or a decimal with up to 0.1 precision, with a higher score indicating a higher-quality response that better satisfies the criteria. Enclose the scores within the tags <score_A> </score_A>, and <score_B> </score_B>.\n" +
  "\n" +
  "Format your output like this:\n" +
  "<think> your_thinking_process </think>\n" +
  "<score_A> your_score_a </score_A> <score_B> your_score_b </score_B>\n" +
  "\n" +
  "Below are the user's question and the two responses:\n" +
  "\n" +
  "[User Question]\n" +
  "{instruction}\n" +
  "\n" +
  "[The Start of Assistant A's Answer]\n" +
  "{response_A}\n" +
  "[The End of Assistant A's Answer]\n" +
  "\n" +
  "[The Start of Assistant B's Answer]\n" +
  "{response_B}\n" +
  "[The End of Assistant B's Answer]\n";

const S = PY_SPACE;
const VERDICT = new RegExp(`<answer>${S}*\\[\\[(A|B)\\]\\]${S}*</answer>`, "g");
const score = (tag: string) => new RegExp(`<${tag}>${S}*([0-9]+(?:\\.[0-9])?)${S}*(?:/10)?${S}*</${tag}>`, "g");
const SCORE_A = score("score_A");
const SCORE_B = score("score_B");

/** J1PairwisePreferenceExtractor.extract: the last <answer> [[A|B]] </answer> of the stripped text. */
export function parseJ1(text: string): ShownVerdict | null {
  const m = findAll(VERDICT, pyStrip(text));
  if (!m.length) return null;
  return m[m.length - 1] === "A" ? "first" : "second";
}

/** J1PairwiseScoreExtractor.extract: the last <score_A> and the last <score_B> (0-10, one decimal). */
export function j1Scores(text: string): [number, number] | null {
  const a = findAll(SCORE_A, text);
  const b = findAll(SCORE_B, text);
  if (!a.length || !b.length) return null; // the authors' reward: (0.0, 0.0)
  return [Number(a[a.length - 1]), Number(b[b.length - 1])];
}

export function parseJ1Scores(text: string): ShownVerdict | null {
  const s = j1Scores(text);
  if (!s) return null;
  return s[0] > s[1] ? "first" : s[0] < s[1] ? "second" : "tie";
}

const source = {
  repository: "https://github.com/facebookresearch/fairseq2",
  commit: "a7ffaa50c30ebd29e36fe0172e9bce575ac30e45",
  files: ["src/fairseq2/recipes/lm/_online_finetune/_generative_judge.py (PAIRWISE_J1_PROMPT, PAIRWISE_WITH_SCORES_J1_PROMPT, extractors)", "src/fairseq2/recipes/lm/_online_finetune/_rewards.py (GenerativePairwiseVerifier.wrap_text)"],
  note: "no standalone J1 release; this is the J1 authors' code in fairseq2",
};
const fields = (p: { query: string; a: string; b: string }) => ({ instruction: p.query, response_A: p.a, response_B: p.b });
const MODELS = "J1-Llama-8B/70B, J1-Qwen-32B (Meta; weights not public)";

export const j1 = definePreset({
  name: "j1",
  family: "J1",
  models: MODELS,
  source,
  rule: "the last <answer> [[A]] </answer> or <answer> [[B]] </answer> (spaces allowed inside the tags) of the stripped output",
  ties: false,
  build: (p) => [{ role: "user", content: pyFormat(J1_PAIRWISE_PROMPT, fields(p)) }],
  parse: parseJ1,
  // The model opens <think> itself; after the budget the judge closes it and opens the verdict.
  forced: { text: "\n</think>\n<answer> [[", first: "A]] </answer>", second: "B]] </answer>", thinkEnd: "</think>" },
});

export const j1ScoresPreset = definePreset({
  name: "j1-scores",
  family: "J1",
  models: MODELS,
  source: { ...source, note: `${source.note}; a reply without both scores is (0.0, 0.0) in the authors' reward, an invalid vote here (a real 0 vs 0 is a tie)` },
  rule: "the last <score_A>x</score_A> and the last <score_B>y</score_B> (0-10, at most one decimal, optional /10): higher wins, equal is a tie",
  ties: true,
  build: (p) => [{ role: "user", content: pyFormat(J1_PAIRWISE_SCORES_PROMPT, fields(p)) }],
  parse: parseJ1Scores,
});
