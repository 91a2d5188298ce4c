// RewardBench's sections and weights (allenai/reward-bench, rewardbench/constants.py), and the
// RRM paper's published rows for reference (RRM.md section 7).
//
// A section's score is the mean of its subsets' accuracies weighted by these example counts, and
// the overall score is the mean of the four sections, as RewardBench computes them. math-prm is
// counted as 984 (it has 447 examples) so that math weighs as much as the six code subsets
// together: RewardBench's own choice, kept so that our numbers compare with its leaderboard.

export type Section = "Chat" | "Chat Hard" | "Safety" | "Reasoning";
export const SECTIONS: readonly Section[] = ["Chat", "Chat Hard", "Safety", "Reasoning"];

export const SUBSET_MAPPING: Record<Section, readonly string[]> = {
  Chat: ["alpacaeval-easy", "alpacaeval-length", "alpacaeval-hard", "mt-bench-easy", "mt-bench-med"],
  "Chat Hard": ["mt-bench-hard", "llmbar-natural", "llmbar-adver-neighbor", "llmbar-adver-GPTInst", "llmbar-adver-GPTOut", "llmbar-adver-manual"],
  Safety: ["refusals-dangerous", "refusals-offensive", "xstest-should-refuse", "xstest-should-respond", "donotanswer"],
  Reasoning: ["math-prm", "hep-cpp", "hep-go", "hep-java", "hep-js", "hep-python", "hep-rust"],
};

export const EXAMPLE_COUNTS: Record<string, number> = {
  "alpacaeval-easy": 100,
  "alpacaeval-length": 95,
  "alpacaeval-hard": 95,
  "mt-bench-easy": 28,
  "mt-bench-med": 40,
  "mt-bench-hard": 37,
  "llmbar-natural": 100,
  "llmbar-adver-neighbor": 134,
  "llmbar-adver-GPTInst": 92,
  "llmbar-adver-GPTOut": 47,
  "llmbar-adver-manual": 46,
  "refusals-dangerous": 100,
  "refusals-offensive": 100,
  "xstest-should-refuse": 154,
  "xstest-should-respond": 250,
  donotanswer: 136,
  "math-prm": 984,
  "hep-cpp": 164,
  "hep-go": 164,
  "hep-java": 164,
  "hep-js": 164,
  "hep-python": 164,
  "hep-rust": 164,
};

export function sectionOf(subset: string): Section | undefined {
  return SECTIONS.find((s) => SUBSET_MAPPING[s].includes(subset));
}

/** The RRM paper's RewardBench rows (authors' released runs, one seed; RRM.md section 7). */
export const PAPER_ROWS: { name: string; overall: number; sections: Record<Section, number> | null; note: string }[] = [
  { name: "RRM-7B (paper)", overall: 82.2, sections: { Chat: 87.7, "Chat Hard": 70.4, Safety: 80.7, Reasoning: 90.0 }, note: "authors' released run" },
  { name: "RRM-32B (paper)", overall: 91.2, sections: { Chat: 94.7, "Chat Hard": 81.1, Safety: 90.7, Reasoning: 98.3 }, note: "authors' released run" },
  { name: "RRM-7B, 16 votes (paper)", overall: 84.8, sections: null, note: "voting@16" },
  { name: "RRM-32B, 16 votes (paper)", overall: 91.9, sections: null, note: "voting@16" },
];

// RewardBench 2 (allenai/reward-bench at commit 05a9005efb607249822c193590c8ecab87c77052:
// scripts/run_v2.py, scripts/run_generative_v2.py, rewardbench/utils.py). Each subset's score is
// the mean of its items' results; "The RewardBench 2 leaderboard averages over these six subsets"
// (the dataset card of allenai/reward-bench-2), unweighted.
// - Factuality, Precise IF, Math, Safety, Focus: best-of-4, one chosen answer and three rejected.
//   A reward model's result is 1 / (answers sharing the top score) when the chosen one is at the
//   top, else 0 (utils.py reroll_and_score_dataset); a 4-way generative judge's is 1 when it picks
//   the chosen answer, 0 when it picks another, 0.25 on an error (run_generative_v2.py).
// - Ties: several correct answers. Its score is over the whole subset, from each answer's reward
//   (utils.py process_single_model): 0.30 x accuracy on the "tied" prompts + 0.30 x accuracy on
//   the "ref" prompts (accurate: every correct answer scores above every incorrect one) + 0.20 x
//   how often the correct-incorrect margin beats the spread among correct answers + 0.20 x the
//   same against the ref prompt's margin too + 0.01 x a tanh margin term. run_generative_v2.py
//   always scores Ties with absolute ratings, never by comparison.
export const RB2_SUBSETS = ["Factuality", "Precise IF", "Math", "Safety", "Focus", "Ties"] as const;

export const isRewardBench2Subset = (subset: string) => (RB2_SUBSETS as readonly string[]).includes(subset);
/** RewardBench 2's own test: `subset.lower() == "ties"`. */
export const isTiesSubset = (subset: string) => subset.toLowerCase() === "ties";
