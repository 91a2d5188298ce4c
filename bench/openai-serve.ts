// Serving throughput: many concurrent OpenAI-style chat requests against `rrm serve` and against
// llama.cpp's own server (llama-server, built from the same llama.cpp source and patches, run as
// its users run it: -np slots, --kv-unified), in turn, on this machine. Two shapes: every request
// with its own prompt, and requests that share a long system prompt (a judge's instructions) with
// a short question each. Fixed-length generations (ignore_eos: random weights never stop).
//   npx tsx bench/openai-serve.ts --llama-server build-tools/bin/llama-server
//        [--requests 32] [--clients 16] [--tokens 32] [--threads 2] [--reps 2] [--shape 0.5b]
// llama-server: `node scripts/build-native.mjs --tools` does not build it; BENCHMARKS.md says how. It runs
// with --reasoning-format none: its R1 output parser refuses noise text with a 500.
import { spawn, type ChildProcess } from "node:child_process";
import { parseArgs } from "node:util";
import { makeTestModel } from "../lib/testmodel/make-model.js";
import type { ShapeName } from "../lib/testmodel/shapes.js";
import { machineLine, median, table } from "./lib/machine.js";

const { values } = parseArgs({
  options: {
    "llama-server": { type: "string" }, requests: { type: "string", default: "32" }, clients: { type: "string", default: "16" },
    tokens: { type: "string", default: "32" }, threads: { type: "string", default: "2" }, reps: { type: "string", default: "2" }, shape: { type: "string", default: "0.5b" },
  },
});
if (!values["llama-server"]) throw new Error("--llama-server PATH is required (a llama-server built from deps/llama.cpp)");
const REQUESTS = Number(values.requests), CLIENTS = Number(values.clients), TOKENS = Number(values.tokens), THREADS = values.threads!, REPS = Number(values.reps);
const model = makeTestModel({ shape: values.shape as ShapeName, type: "q8_0", vocabulary: "rrm" });
const CONTEXT = 16384;

// A judge's instructions (about 600 tokens) shared by every request of the shared shape.
const SYSTEM = Array.from({ length: 40 }, (_, i) => `Rule ${i + 1}: judge the responses on accuracy, helpfulness and safety, and say which is better.`).join("\n");
const SHAPES: Record<string, (i: number) => { role: string; content: string }[]> = {
  "own prompts": (i) => [{ role: "user", content: `Request ${i}: ` + Array.from({ length: 12 }, (_, k) => `item ${i * 31 + k} of the list to compare`).join(", ") + "." }],
  "shared system prompt": (i) => [{ role: "system", content: SYSTEM }, { role: "user", content: `Question ${i}: is ${i} + ${i} equal to ${2 * i}?` }],
};

interface Server { name: string; url: string; child: ChildProcess; stop(): Promise<void> }

async function started(name: string, cmd: string, args: string[], urlOf: (log: string) => string | undefined): Promise<Server> {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log += d;
      const u = urlOf(log);
      if (u) resolve(u);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", () => reject(new Error(`${name} exited: ${log.slice(-2000)}`)));
  });
  for (let i = 0; (await fetch(url + "/health").catch(() => undefined))?.status !== 200; i++) {
    if (i > 2400) throw new Error(`${name} never became ready: ${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    // llama-server waits for open connections on SIGTERM; a benchmark that failed midway leaves some.
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { name, url, child, stop };
}

const rrmServe = () => started("rrm serve", process.execPath, ["--import", "tsx", new URL("../lib/cli/entry.ts", import.meta.url).pathname, "serve", "--model", model, "--port", "0",
  "--threads", THREADS, "--max-sequences", String(CLIENTS), "--context", String(CONTEXT), "--max-queue", "100000"], (l) => /listening on (http:\/\/\S+)/.exec(l)?.[1]);
let llamaPort = 18700 + Math.floor(Math.random() * 200);
const llamaServer = () => {
  const port = llamaPort++;
  return started("llama-server", values["llama-server"]!, ["-m", model, "--host", "127.0.0.1", "--port", String(port), "-np", String(CLIENTS), "--kv-unified", "-c", String(CONTEXT),
    "-t", THREADS, "-tb", THREADS, "-fa", "on", "--jinja", "--reasoning-format", "none"], (l) => (/listening on|server is listening/.test(l) ? `http://127.0.0.1:${port}` : undefined));
};

interface Run { seconds: number; completionTokens: number; promptTokens: number; parserErrors: number }

async function drive(url: string, messages: (i: number) => unknown[]): Promise<Run> {
  let next = 0, completionTokens = 0, promptTokens = 0, parserErrors = 0;
  const call = async (i: number) => {
    const res = await fetch(url + "/v1/chat/completions", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: messages(i), max_tokens: TOKENS, temperature: 0.6, seed: i + 1, ignore_eos: true }),
    });
    if (res.status === 500) {
      // llama-server parses the text after generating it and answers 500 when noise does not fit
      // the template's format (or is not UTF-8): the tokens were generated (fixed length), so they count.
      const text = await res.text();
      if (!/does not match the expected/.test(text)) throw new Error(`status 500: ${text}`);
      parserErrors++;
      return { completion_tokens: TOKENS, prompt_tokens: 0 };
    }
    if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
    const r = await res.json() as { usage: { completion_tokens: number; prompt_tokens: number } };
    if (r.usage.completion_tokens !== TOKENS) throw new Error(`${r.usage.completion_tokens} tokens, asked ${TOKENS}`);
    return r.usage;
  };
  await call(-1); // warm: the server's first request pays for one-time set-up
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (next < REQUESTS) {
      const u = await call(next++);
      completionTokens += u.completion_tokens;
      promptTokens += u.prompt_tokens;
    }
  }));
  return { seconds: (performance.now() - t0) / 1000, completionTokens, promptTokens, parserErrors };
}

const results: Record<string, Record<string, Run[]>> = {};
for (let rep = 0; rep < REPS; rep++) {
  for (const start of [rrmServe, llamaServer]) {
    const s = await start();
    try {
      for (const [shape, messages] of Object.entries(SHAPES)) {
        const r = await drive(s.url, messages);
        ((results[shape] ??= {})[s.name] ??= []).push(r);
        console.log(`rep ${rep + 1} ${s.name} ${shape}: ${r.seconds.toFixed(1)} s, ${(r.completionTokens / r.seconds).toFixed(1)} tok/s${r.parserErrors ? `, ${r.parserErrors} answered 500 by its output parser (tokens counted)` : ""}`);
      }
    } finally {
      await s.stop();
    }
  }
}

console.log(`\nServing: ${REQUESTS} chat requests, ${CLIENTS} concurrent clients, ${TOKENS} tokens each (ignore_eos), temperature 0.6; Qwen2-${values.shape} shape, Q8_0, random weights, RRM vocabulary and R1-Distill template; ${THREADS} threads; ${CONTEXT} KV cells, ${CLIENTS} sequences / slots`);
console.log(machineLine());
const rows: (string | number)[][] = [];
for (const [shape, byServer] of Object.entries(results)) {
  const tps = (rs: Run[]) => median(rs.map((r) => r.completionTokens / r.seconds));
  const base = tps(byServer["llama-server"]);
  for (const [name, rs] of Object.entries(byServer)) {
    rows.push([shape, name, median(rs.map((r) => r.seconds)), tps(rs), rs.reduce((n, r) => n + r.parserErrors, 0), `${(tps(rs) / base).toFixed(2)}x`]);
  }
}
console.log(table(["requests", "server", `wall s (median of ${REPS})`, "completion tok/s", "500s from the output parser", "vs llama-server"], rows));
