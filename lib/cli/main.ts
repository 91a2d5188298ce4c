// `rrm`: the command line. Subcommands live in commands.ts and demo.ts.
import { compareCommand, HELP, infoCommand, judgesCommand, makeModelCommand, rankCommand } from "./commands.js";
import { CliError, EXIT, UsageError } from "./exit-codes.js";
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
  judges: judgesCommand,
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
  judges       the judge presets (--judge): models, verdict rules, sources
`;

/**
 * A closed stdout or stderr (`rrm ... | head -1`, a terminal gone) is an 'error' event that would
 * otherwise end the process with a stack trace. The JSONL writer reports its own output's failure
 * (jsonl.ts); what else is printed (help, a summary, progress) has nowhere left to go.
 */
let quieted = false;
function quietStdio() {
  if (quieted) return;
  quieted = true;
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});
}

export async function main(argv: string[]): Promise<number> {
  quietStdio();
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    const help: Record<string, string> = { ...HELP, serve: SERVE_HELP, bench: BENCH_HELP, eval: EVAL_HELP(), merge: MERGE_HELP };
    console.log(rest[0] && help[rest[0]] ? help[rest[0]] : USAGE);
    return EXIT.ok;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    console.error(`rrm: unknown command "${cmd}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`rrm ${cmd}: ${e.message}\n(rrm ${cmd} --help lists the options)`);
      return EXIT.usage;
    }
    if (e instanceof CliError) {
      console.error(`rrm ${cmd}: ${e.message}`);
      return e.exitCode;
    }
    // One line, no stack: the message of every error here names what was wrong.
    console.error(`rrm ${cmd}: ${(e as Error)?.message ?? String(e)}`);
    return EXIT.failed;
  }
}
