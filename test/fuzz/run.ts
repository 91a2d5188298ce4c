// Property-based fuzzing of the TypeScript parsers at length (test/fuzz/parsers.ts; npm test runs
// them with few runs in test/unit/parsers-fuzz.test.ts). Prints each target's runs and time.
//   node --import tsx test/fuzz/run.ts [--runs N] [--seed S] [target ...]
// A failure prints fast-check's shrunk counterexample and the seed and path to replay it; add
// the counterexample to the regression tests in test/unit/parsers-fuzz.test.ts with the fix.
import { parseArgs } from "node:util";
import { TARGETS } from "./parsers.js";

const { values, positionals } = parseArgs({ options: { runs: { type: "string" }, seed: { type: "string" } }, allowPositionals: true });
const runs = Number(values.runs ?? 20000);
const seed = values.seed === undefined ? Date.now() % 0x7fffffff : Number(values.seed);
const targets = positionals.length ? TARGETS.filter((t) => positionals.includes(t.name)) : TARGETS;
if (targets.length === 0) throw new Error(`no such target; targets: ${TARGETS.map((t) => t.name).join(", ")}`);
console.log(`seed ${seed}, ${runs} runs per target (each target's second property gets a quarter or the same, see parsers.ts)`);
let failed = 0;
for (const t of targets) {
  const t0 = performance.now();
  try {
    await t.run(runs, seed);
    console.log(`ok    ${t.name.padEnd(14)} ${runs} runs, ${((performance.now() - t0) / 1000).toFixed(1)} s: ${t.about}`);
  } catch (e) {
    failed++;
    console.log(`FAIL  ${t.name}: ${(e as Error).message}`);
  }
}
console.log(`\n${targets.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
