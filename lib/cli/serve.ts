// `rrm serve`: loads the model once and serves the judge over HTTP (lib/server/app.ts).
import { createJudge } from "../rrm/judge.js";
import { engineHelp, judgeOptions } from "./commands.js";
import { engineFlags } from "./flag-checks.js";
import { checkModelFile, ENGINE_FLAGS, intFlag, JUDGE_FLAGS, numFlag, openEngine, parse, UsageError } from "./options.js";
import { judgeLine, judgeSpecFromFlags } from "./judge-choice.js";
import { CliError, EXIT } from "./exit-codes.js";
import { loadServerApp } from "./server-deps.js";
import { startMemoryUpkeep } from "../server/memory-upkeep.js";
import { voteCeiling } from "../rrm/adaptive-votes.js";

export const SERVE_HELP = `rrm serve --model FILE [--port 8090] [--host 127.0.0.1] [options]
  An HTTP judge for RL and eval pipelines. Routes (JSON in, JSON out):
    POST /v1/compare   {"query","a","b", ...options} or {"pairs":[{"query","a","b"}...], ...options}
    POST /v1/rank      {"query","candidates":[...],"strategy":"knockout"|"elo"|"swiss","rounds","budget","stream":bool, ...options}
    POST /v1/rewards   {"query","responses":[...],"mode":"baseline"|"baselines"|"elo"|"reference"|"swiss",
                        "k","m","reference","rounds", ...options}; swiss: rounds (default ceil(log2 n) + 1),
                        reward = (points + tie-break) / (rounds + 1/2), in final-standing order
    POST /get_reward   OpenRLHF's remote reward protocol ({query, prompts, labels})
    POST /v1/chat/completions, POST /v1/completions, GET /v1/models
                       OpenAI's API (n, seed, stop, logprobs, stream; README "Serve: OpenAI's API")
    GET  /health       503 while the model loads, then 200
    GET  /metrics      Prometheus text
  --api-key KEY             Bearer token (or RRM_API_KEY); required to bind to anything but loopback
  --max-queue N             judgments admitted at once; more get 429 + Retry-After (default 512)
  --body-limit BYTES        larger bodies get 413 (default 4194304)
  --request-timeout S       cancel a request after S seconds with 504 (default 0: none)
  --shutdown-timeout S      on SIGTERM, let in-flight work finish for S seconds (default 30)
  --group-size N --group-wait MS --group-mode baseline|baselines|elo|swiss
                            /get_reward without labels: responses to one prompt form a group of N
                            (OpenRLHF's n_samples_per_prompt, default 8), judged after MS ms at the
                            latest (default 2000)
  --judge NAME              the judge preset (default rrm; auto; custom with --judge-template FILE
                            --judge-verdict REGEX); a request's "judge" field picks another preset
  Judge defaults (a request's own fields win): -v/--votes N, --max-tokens N, --thinking-budget N,
  --temperature T, --top-p P, --swap random|alternate|none, --no-early-stop, --tie-break ..., --seed N
${engineHelp()}`;

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1"]);
const isLoopback = (host: string) => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

export async function serveCommand(argv: string[]): Promise<number> {
  const { input: _i, output: _o, concurrency: _c, ...judgeFlags } = JUDGE_FLAGS;
  const { values } = parse(argv, {
    ...ENGINE_FLAGS, ...judgeFlags,
    port: { type: "string", short: "p" }, host: { type: "string" }, "api-key": { type: "string" },
    "max-queue": { type: "string" }, "body-limit": { type: "string" }, "request-timeout": { type: "string" },
    "shutdown-timeout": { type: "string" }, "group-size": { type: "string" }, "group-wait": { type: "string" }, "group-mode": { type: "string" },
  });
  if (values.help) return console.log(SERVE_HELP), 0;
  // Everything about the whole run is checked before the model loads or a port is bound.
  if (!values.model) throw new UsageError("--model <file.gguf> is required");
  const host = (values.host as string | undefined) ?? "127.0.0.1";
  const port = intFlag(values, "port", 8090)!;
  if (port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${port}`);
  const apiKey = (values["api-key"] as string | undefined) ?? process.env.RRM_API_KEY;
  if (!isLoopback(host) && !apiKey) {
    throw new UsageError(`binding to ${host} exposes the judge beyond this machine: give --api-key KEY (or RRM_API_KEY), or bind to 127.0.0.1`);
  }
  const spec = judgeSpecFromFlags(values);
  const groupMode = (values["group-mode"] as string | undefined) ?? "baseline";
  if (!["baseline", "baselines", "elo", "swiss"].includes(groupMode)) throw new UsageError(`--group-mode must be baseline, baselines, elo or swiss, got ${groupMode}`);
  const positive = (name: string, fallback: number) => {
    const n = intFlag(values, name, fallback)!;
    if (n < 0) throw new UsageError(`--${name} must be >= 0, got ${n}`);
    return n;
  };
  const defaults = judgeOptions(values);
  engineFlags(values);
  // The server's own packages first (without them nothing else matters), then the model file: both
  // are said before anything listens.
  const { createJudgeServer } = await loadServerApp();
  checkModelFile(values.model);
  const server = createJudgeServer({
    defaults,
    maxQueue: Math.max(1, positive("max-queue", 512)),
    bodyLimit: Math.max(1024, positive("body-limit", 4 * 1024 * 1024)),
    requestTimeoutMs: (numFlag(values, "request-timeout", 0) ?? 0) * 1000,
    apiKey,
    rewardGroups: { size: Math.max(1, positive("group-size", 8)), waitMs: positive("group-wait", 2000), mode: groupMode as never },
  });
  let address: string;
  try {
    address = await server.app.listen({ host, port });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new CliError(`port ${port} on ${host} is already in use (another rrm serve?): stop that process or give another --port`, EXIT.failed);
    if (code === "EACCES") throw new CliError(`port ${port} on ${host} needs privileges this user lacks: give a --port above 1023`, EXIT.failed);
    if (code === "EADDRNOTAVAIL") throw new CliError(`cannot listen on ${host}: no network interface has that address (--host)`, EXIT.usage);
    throw e;
  }
  // RSS at rest stays near live memory under large and hostile bodies (lib/server/memory-upkeep.ts).
  const upkeep = startMemoryUpkeep(() => server.inFlightJudgments === 0);
  server.app.server.on("request", (_req, res) => {
    upkeep.touched();
    res.once("close", () => upkeep.settled());
  });
  console.error(`rrm serve: listening on ${address} (loading ${values.model}; /health answers 503 until ready)`);

  let opened: Awaited<ReturnType<typeof openEngine>> | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const secs = intFlag(values, "shutdown-timeout", 30)!;
    console.error(`rrm serve: ${signal}: no new requests; finishing work in flight (up to ${secs} s)`);
    await server.drain(secs * 1000);
    await server.app.close();
    upkeep.stop();
    opened?.engine.dispose();
    opened?.model.dispose();
    console.error("rrm serve: stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  try {
    opened = await openEngine(values, { sequences: Math.max(16, voteCeiling(defaults.votes) * 8) });
  } catch (e) {
    await server.app.close();
    throw e;
  }
  const judge = createJudge(opened.engine, { judge: spec });
  server.setJudge(judge);
  console.error(`rrm serve: ${judgeLine(judge)}; a request's "judge" field picks another preset`);
  const info = opened.engine.info;
  console.error(`rrm serve: ready: ${info.contextSize} KV cells (${(info.kvBytes / 2 ** 20).toFixed(0)} MiB, ${info.contextSource}), maxSequences ${info.maxSequences}`);
  // Serve until a signal.
  await new Promise(() => {});
  return 0;
}
