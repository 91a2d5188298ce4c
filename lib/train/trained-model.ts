// The trained arithmetic judge that the package ships (models/arithmetic-judge.md is its card):
// models/arithmetic-judge-q8_0.gguf.gz, unpacked once into the model cache under a name that
// carries its content's hash, so an upgraded package never reads a stale copy.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { packageRoot } from "../../bindings/index.js";
import { modelCacheDir } from "../testmodel/make-model.js";

export const TRAINED_JUDGE_FILE = "arithmetic-judge-q8_0.gguf.gz";

/**
 * The path of the trained arithmetic judge (Qwen2 architecture, RRM prompt and verdict format,
 * Q8_0, 3.8 MB): a small model that judges "What is 37 + 48?"-style answers and nothing else.
 * $RRM_TRAINED_JUDGE overrides it (a model of one's own training: scripts/train-judge.mjs).
 */
export function trainedJudgeModel(): string {
  if (process.env.RRM_TRAINED_JUDGE) return process.env.RRM_TRAINED_JUDGE;
  const gz = join(packageRoot(), "models", TRAINED_JUDGE_FILE);
  if (!existsSync(gz)) throw new Error(`cannot find ${gz}: reinstall rrm-engine, or train one with \`node scripts/train-judge.mjs\` and set RRM_TRAINED_JUDGE`);
  const packed = readFileSync(gz);
  const hash = createHash("sha256").update(packed).digest("hex").slice(0, 12);
  const out = join(modelCacheDir(), `arithmetic-judge-q8_0-${hash}.gguf`);
  if (!existsSync(out)) {
    mkdirSync(modelCacheDir(), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, gunzipSync(packed));
    renameSync(tmp, out); // atomic: parallel test processes never see half a model
  }
  return out;
}
