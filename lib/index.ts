// rrm-engine's public API.
export { loadModel, Model, type LoadModelOptions, type ModelInfo, type SpecialToken, type TokenizeOptions } from "./model.js";
export {
  createEngine, Engine, type EngineOptions, type EngineStats, type GenerateRequest, type GenerateResult, type GenerateStats,
  type Completion, type FinishReason, type ForcedContinuation, type KvMode,
} from "./engine.js";
export { createJudge, Judge, FORCED_VERDICT_TEXT, type CompareInput, type CompareOptions, type CompareResult, type JudgeSample, type JudgeOptions, type SwapPolicy } from "./rrm/judge.js";
export { RrmPrompter, RRM_SYSTEM_PROMPT, rrmUserPrompt } from "./rrm/prompt.js";
export { parseVerdict, type ParsedVerdict, type InvalidReason } from "./rrm/verdict.js";
export { majority, decidedSide, type VoteCount, type Side, type TieBreak } from "./rrm/votes.js";
export { knockout, type KnockoutResult } from "./tournament/knockout.js";
export { onlineElo, rankByRating, ELO_DEFAULTS, type RatedMatch } from "./tournament/elo.js";
export { bradleyTerry, bootstrapIntervals } from "./tournament/bradley-terry.js";
export { rankCandidates, type RankOptions, type RankResult, type Strategy } from "./tournament/rank.js";
export type { MatchRecord, MatchOutcome, PlayMatch } from "./tournament/types.js";
export { makeTestModel, testModelPath, type MakeModelOptions } from "./testmodel/make-model.js";
export { readGgufHeader, GgufError } from "./gguf/reader.js";
export { validateModelFile } from "./gguf/validate-model.js";
export { RrmEngineError, RrmOptionError } from "./errors.js";
export { SeededRandom } from "./random.js";

import { loadAddon, type NativeSystemInfo } from "../bindings/index.js";
/** Backends compiled into the addon and the devices llama.cpp found. */
export function systemInfo(): NativeSystemInfo {
  return loadAddon().systemInfo();
}
