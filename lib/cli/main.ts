// `rrm`: the command line. Subcommands live in commands.ts and demo.ts.
import { compareCommand, HELP, infoCommand, makeModelCommand, rankCommand, UsageError } from "./commands.js";
import { demoCommand } from "./demo.js";
import { BENCH_HELP, benchCommand } from "./bench.js";
import { SERVE_HELP, serveCommand } from "./serve.js";
import { EVAL_HELP, evalCommand } from "./eval.js";
import { MERGE_HELP, mergeCommand } from "./merge.js";

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  compare: compareCommand,
  rank: rankCommand,
  eval: evalCommand,
  merge: mergeCommand,
  serve: serveCommand,
  bench: benchCommand,
  demo: demoCommand,
  "make-model": makeModelCommand,
  info: infoCommand,
};

const USAGE = `rrm: run reward reasoning models (RRM LLM judges) locally

Usage: rrm <command> [options]    (rrm <command> --help for its options)

Commands:
  compare      judge pairs from JSONL {"query","a","b"} with majority votes
  rank         rank candidates from JSONL {"query","candidates"} (knockout or ELO)
  eval         accuracy on labelled pairs (RewardBench formats): sections, intervals, position bias
  merge        join the outputs of --shard K/N runs into input order
  serve        an HTTP judge for RL and eval pipelines (compare, rank, rewards, OpenRLHF)
  bench        measure batched decoding on this machine (llama-batched-bench's table and more)
  demo         a knockout tournament on a test model written on the spot
  make-model   write a random-weight Qwen2 test model (GGUF)
  info         backends, devices and model metadata
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    const help: Record<string, string> = { ...HELP, serve: SERVE_HELP, bench: BENCH_HELP, eval: EVAL_HELP(), merge: MERGE_HELP };
    console.log(rest[0] && help[rest[0]] ? help[rest[0]] : USAGE);
    return 0;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    console.error(`rrm: unknown command "${cmd}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`rrm ${cmd}: ${e.message}\n\n${({ ...HELP, serve: SERVE_HELP, bench: BENCH_HELP, eval: EVAL_HELP(), merge: MERGE_HELP } as Record<string, string>)[cmd]}`);
      return 2;
    }
    console.error(`rrm ${cmd}: ${(e as Error).message}`);
    return 1;
  }
}
