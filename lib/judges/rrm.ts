// RRM (Guo et al., "Reward Reasoning Model", arXiv 2505.14674): the default preset, the prompt
// and rule the engine has always used (shared/RRM.md). Source: microsoft/LMOps, folder
// RRM-evaluation/ at commit af6bc85e3e669ad5ec371d074c767905869c862e (a fork of allenai/reward-bench);
// the prompt text lives in lib/rrm/prompt-text.ts and the rule in lib/rrm/verdict.ts.
import { RRM_SYSTEM_PROMPT, rrmUserPrompt } from "../rrm/prompt-text.js";
import { parseVerdict } from "../rrm/verdict.js";
import { definePreset } from "./types.js";

export const FORCED_THINK_END = "</think>";

export const rrm = definePreset({
  name: "rrm",
  family: "RRM",
  models: "RRM-7B, RRM-32B (DeepSeek-R1-Distill-Qwen)",
  source: {
    repository: "https://github.com/microsoft/LMOps",
    commit: "af6bc85e3e669ad5ec371d074c767905869c862e",
    files: ["RRM-evaluation/rewardbench/generative.py (Skywork_SYSTEM_PROMPT, Skywork_PROMPT + Skywork_ASSISTANT_PROMPT)", "RRM-evaluation/scripts/ (verdict extraction, shared/RRM.md section 4)"],
  },
  rule: "after the first </think>, the last balanced \\boxed{...}: exactly \"Assistant 1\" or \"Assistant 2\"",
  ties: false,
  build: (p) => [
    { role: "system", content: RRM_SYSTEM_PROMPT },
    { role: "user", content: rrmUserPrompt(p.query, p.a, p.b) },
  ],
  parse: (text) => {
    const v = parseVerdict(text).verdict;
    return v === 1 ? "first" : v === 2 ? "second" : null;
  },
  // The template opens <think>; the budget closes it and opens the box (RRM.md, DESIGN.md).
  forced: { text: "\n</think>\n\n\\boxed{Assistant ", first: "1}", second: "2}", thinkEnd: FORCED_THINK_END },
});
