// `rrm serve` overhead, bounded (a fixed request count, loopback only): the same compare requests
// (2 votes, forced verdict after 16 tokens, tiny RRM-vocabulary model) with the same concurrency,
// once through HTTP to `rrm serve` in its own process and once through the library in-process,
// alternated twice. Judgments per second, p50 / p99 latency, and the ratio.
//   npx tsx bench/server.ts [--requests 200] [--concurrency 16] [--threads 2]
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { createEngine } from "../lib/engine.js";
import { loadModel } from "../lib/model.js";
import { createJudge } from "../lib/rrm/judge.js";
import { makeTestModel } from "../lib/testmodel/make-model.js";
import { machineLine, median, table } from "./lib/machine.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "200" }, concurrency: { type: "string", default: "16" }, threads: { type: "string", default: "2" } } });
const REQUESTS = Number(values.requests), CONCURRENCY = Number(values.concurrency), THREADS = Number(values.threads);
const OPTIONS = { votes: 2, thinkingBudget: 16, maxTokens: 64, earlyStop: false };
const model = makeTestModel({ shape: "tiny", type: "q8_0", vocabulary: "rrm" });
const pair = (i: number) => ({ query: `Question ${i}: which answer is better?`, a: `Answer A number ${i}.`, b: `Answer B number ${i * 7}.` });

interface Run { ms: number; latencies: number[]; judgments: number }

async function pool(work: (i: number) => Promise<number>): Promise<Run> {
  const latencies: number[] = [];
  let next = 0, judgments = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < REQUESTS) {
      const i = next++;
      const s = performance.now();
      const done = await work(i);
      judgments += done;
      latencies.push(performance.now() - s);
    }
  }));
  return { ms: performance.now() - t0, latencies, judgments };
}

async function library(): Promise<Run> {
  const m = await loadModel(model);
  const engine = createEngine(m, { threads: THREADS, maxSequences: 32 });
  const judge = createJudge(engine);
  await judge.compare(pair(-1), { ...OPTIONS, seed: 1 });
  const r = await pool(async (i) => {
    const v = await judge.compare(pair(i), { ...OPTIONS, seed: i + 1 });
    return v.votes.a + v.votes.b + v.votes.invalid;
  });
  engine.dispose();
  m.dispose();
  return r;
}

async function server(): Promise<Run> {
  const entry = new URL("../lib/cli/entry.ts", import.meta.url).pathname;
  const child = spawn(process.execPath, ["--import", "tsx", entry, "serve", "--model", model, "--port", "0", "--threads", String(THREADS), "--max-sequences", "32", "--max-queue", "100000"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (d) => {
      log += d;
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) resolve(m[1]);
    });
    child.once("exit", () => reject(new Error(log)));
  });
  while ((await fetch(url + "/health").catch(() => undefined))?.status !== 200) await new Promise((r) => setTimeout(r, 50));
  const call = async (i: number) => {
    const res = await fetch(url + "/v1/compare", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...pair(i), ...OPTIONS, seed: i + 1 }) });
    if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
    const v = await res.json();
    return v.votes.a + v.votes.b + v.votes.invalid;
  };
  await call(-1);
  const r = await pool(call);
  child.kill("SIGTERM");
  await new Promise((res) => child.once("exit", res));
  return r;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const runs: Record<string, Run[]> = { library: [], "rrm serve (HTTP)": [] };
for (let rep = 0; rep < 2; rep++) {
  runs.library.push(await library());
  runs["rrm serve (HTTP)"].push(await server());
}
console.log(`Server overhead: ${REQUESTS} compare requests x ${OPTIONS.votes} votes (forced verdict after ${OPTIONS.thinkingBudget} tokens), concurrency ${CONCURRENCY}, tiny RRM model, ${THREADS} threads, loopback`);
console.log(machineLine());
const jps = (r: Run) => r.judgments / (r.ms / 1000);
const libJps = median(runs.library.map(jps));
console.log(table(["path", "judgments/s (median of 2)", "p50 ms", "p99 ms", "vs library"], Object.entries(runs).map(([name, rs]) => {
  const all = rs.flatMap((r) => r.latencies);
  const j = median(rs.map(jps));
  return [name, j, pct(all, 0.5), pct(all, 0.99), `${(j / libJps).toFixed(3)}x`];
})));
