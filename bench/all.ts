// One command for every CPU benchmark, side by side in one run (BENCHMARKS.md):
//   npm run bench                   (after `npm run build:tools` and `bash bench/setup-peer.sh`)
//   npm run bench -- --reps 3 --threads 2 --quick
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { printSampling, samplingBenchmark } from "./sampling.js";
import { printTournament, tournamentBenchmark } from "./tournament.js";
import { printVotes, votesBenchmark } from "./votes.js";

const { values } = parseArgs({ options: { reps: { type: "string" }, threads: { type: "string" }, "no-peer": { type: "boolean" }, quick: { type: "boolean" } } });
const threads = Number(values.threads ?? 2);
const peer = !values["no-peer"];
const t0 = Date.now();

const votes = { reps: Number(values.reps ?? 3), threads, kvModes: ["unified", "split"] as const, peer, sequential: true, prompt: 1024, n: 8, gen: 64 };
printVotes(await votesBenchmark({ ...votes, kvModes: [...votes.kvModes] }), { ...votes, kvModes: [...votes.kvModes] });
for (const kvMode of ["unified", "split"] as const) {
  const o = { threads, peer: peer && kvMode === "unified", kvMode, gen: 64 };
  printTournament(await tournamentBenchmark(o), o);
}
printSampling(await samplingBenchmark(threads, values.quick ? [8, 32] : [8, 32, 64]), threads);
// The real RRM workload (long, variable-length judgments; each mode in its own process) and the
// KV-type, determinism and server-overhead measurements.
// portable.ts compares the shipped binary with a static -march=native build when build-static/
// holds one (npm run build:native -- --static --out build-static).
for (const script of ["workload.ts", "kv-types.ts", "determinism.ts", "server.ts", "portable.ts"]) {
  console.log();
  spawnSync(process.execPath, ["--import", "tsx", new URL(script, import.meta.url).pathname, "--threads", String(threads)], { stdio: "inherit" });
}
console.log(`\n(all benchmarks: ${((Date.now() - t0) / 60000).toFixed(1)} min)`);
