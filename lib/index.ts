// rrm-engine's public API.
export { loadModel, Model, type LoadModelOptions, type ModelInfo, type SpecialToken, type TokenizeOptions } from "./model.js";
export {
  createEngine, Engine, type EngineOptions, type EngineStats, type GenerateRequest, type GenerateResult, type GenerateStats,
  type Completion, type FinishReason, type ForcedContinuation, type KvMode, type SampleDelta, type TokenLogprob,
} from "./engine.js";
export { createJudge, Judge, FORCED_VERDICT_TEXT, type CompareInput, type CompareOptions, type CompareResult, type JudgeSample, type JudgeOptions, type SwapPolicy, type PairJudge } from "./rrm/judge.js";
export { RrmPrompter, RRM_SYSTEM_PROMPT, rrmUserPrompt } from "./rrm/prompt.js";
export {
  judgePresets, JUDGE_PRESET_NAMES, autoJudge, resolveJudge, customPreset, loadCustomPreset,
  type JudgePreset, type JudgePresetName, type JudgeSpec, type JudgeChoice, type ChatMessage, type ShownPair, type ShownVerdict, type ForcedVerdict, type PresetSource, type CustomPresetSpec,
} from "./judges/index.js";
export { PresetPrompter, renderMessages } from "./judges/prompter.js";
export { parseVerdict, type ParsedVerdict, type InvalidReason } from "./rrm/verdict.js";
export { majority, decidedSide, castVotes, type VoteCount, type Side, type TieBreak } from "./rrm/votes.js";
export { knockout, type KnockoutResult } from "./tournament/knockout.js";
export { onlineElo, rankByRating, ELO_DEFAULTS, type RatedMatch } from "./tournament/elo.js";
export { bradleyTerry, bootstrapIntervals } from "./tournament/bradley-terry.js";
export { rankCandidates, BUDGET_DEFAULTS, type RankOptions, type RankResult, type RankedCandidate, type Strategy } from "./tournament/rank.js";
export { swiss, swissPairing, defaultSwissRounds, maxSwissRounds, type SwissResult, type SwissStanding } from "./tournament/swiss.js";
export { knockoutRounds } from "./tournament/knockout.js";
export { JudgmentBudget, nextWaves, type BudgetRecord, type BudgetRound, type RoundShape } from "./tournament/budget.js";
export { roundPlayer, type VotePlan } from "./tournament/play.js";
export { adaptiveCompare, posteriorA, settledSide, type AdaptiveVotes } from "./rrm/adaptive-votes.js";
export { SimulatedJudge, simulatedCandidates, kendallTau, topKRecall, SIMULATION_DEFAULTS, type SimulationParams } from "./bench/simulated-judge.js";
export { roundOf, type MatchRecord, type MatchOutcome, type PlayMatch, type PlayRound, type Pairing } from "./tournament/types.js";
export { evaluateItem, parseEvalItem, type EvalItem, type EvalItemRecord, type ComparisonRecord } from "./eval/items.js";
export { summarize, summaryMarkdown, wilson, type EvalSummary } from "./eval/summary.js";
export { SUBSET_MAPPING, EXAMPLE_COUNTS, PAPER_ROWS, sectionOf, type Section } from "./eval/rewardbench.js";
export { evalReportHtml } from "./report/eval-report.js";
export { rankReportHtml, type RankRecord } from "./report/rank-report.js";
export { makeTestModel, testModelPath, type MakeModelOptions } from "./testmodel/make-model.js";
export { trainedJudgeModel } from "./train/trained-model.js";
export { readGgufHeader, GgufError } from "./gguf/reader.js";
export { validateModelFile } from "./gguf/validate-model.js";
export { RrmEngineError, RrmOptionError } from "./errors.js";
export { SeededRandom } from "./random.js";

import { addonLoadInfo, loadAddon, type AddonLoadInfo, type NativeSystemInfo } from "../bindings/index.js";
/** Backends loaded and the devices llama.cpp found. */
export function systemInfo(): NativeSystemInfo {
  return loadAddon().systemInfo();
}
/** Which binary, CPU library and GPU libraries were loaded, and why. */
export function loadInfo(): AddonLoadInfo {
  return addonLoadInfo();
}
