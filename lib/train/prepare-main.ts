// `tsx lib/train/prepare-main.ts DIR SEED COUNT EVAL_COUNT BUDGET_SHARE [PACKED] [CHECK] [INIT]`: prepare.ts from the
// command line (scripts/train-judge.mjs); prints what it wrote as one JSON line.
import { prepare } from "./prepare.js";

const [dir, seed, count, evalCount, budgetShare, packed, check, init] = process.argv.slice(2);
if (!dir) {
  console.error("usage: tsx lib/train/prepare-main.ts DIR [SEED] [COUNT] [EVAL_COUNT] [BUDGET_SHARE] [PACKED] [digits|short] [INIT_MODEL]");
  process.exit(2);
}
const out = await prepare({ dir, seed: Number(seed ?? 1), count: Number(count ?? 1000), evalCount: Number(evalCount ?? 64), budgetShare: Number(budgetShare ?? 0.15), packed: Number(packed ?? 0), check: check === "short" ? "short" : "digits", init: init || undefined });
console.log(JSON.stringify(out));
