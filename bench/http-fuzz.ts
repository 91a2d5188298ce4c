// The HTTP fuzzer against `rrm serve` (test/reliability/http-fuzz/), full size, and the serve soak.
// Not in npm test (test/reliability/http-fuzz.test.ts runs a short one); scripts/nightly.sh runs both.
//   node --import tsx bench/http-fuzz.ts [--requests 10000] [--seed N] [--concurrency 12]
//        [--idle 1000] [--slow 100] [--no-timeouts] [--bin] [--threads 1]
//     the fuzz mix (valid, schema-random, mutated, byte-mutated bodies; headers, framing, methods,
//     paths, slow, abandoned and pipelined requests), then `idle` keep-alive connections and `slow`
//     slow-body clients held while normal requests are timed, then (unless --no-timeouts) the
//     server's own limits waited out: slow clients cut with 408 at 60 s, idle connections closed at 72 s.
//   node --import tsx bench/http-fuzz.ts --soak [--requests 20000]
//     well-formed requests only (every route), RSS and descriptors read at rest every 1,000.
// Exit 1 on any 5xx but 504, a wrong answer to a valid request, a crash, an alarming stderr line
// (stack trace, warning), RSS growing more than --rss-limit MiB after the first round, or a
// descriptor left open.
import { parseArgs } from "node:util";
import { formatSplit, growth, runFuzz, runPressure } from "../test/reliability/http-fuzz/run.js";
import { alarming, startServe } from "../test/reliability/http-fuzz/server.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string" }, seed: { type: "string" }, concurrency: { type: "string", default: "12" },
    idle: { type: "string", default: "1000" }, slow: { type: "string", default: "100" }, "no-timeouts": { type: "boolean" },
    soak: { type: "boolean" }, bin: { type: "boolean" }, threads: { type: "string", default: "1" }, "rss-limit": { type: "string", default: "64" },
  },
});
const soak = !!values.soak;
const requests = Number(values.requests ?? (soak ? 20000 : 10000));
const seed = Number(values.seed ?? 20261202);
const rounds = Math.max(2, Math.round(requests / 1000));
const t0 = Date.now();
const server = await startServe([], { bin: values.bin, threads: values.threads });
const target = { port: server.port, rssMiB: server.rssMiB, fds: server.fds, alive: () => server.child.exitCode === null && server.child.signalCode === null };
console.log(`rrm serve pid ${server.pid} on ${server.url}: RSS ${server.rssMiB().toFixed(0)} MiB, ${server.fds()} fds; ${soak ? "soak" : "fuzz"} of ${requests} requests, seed ${seed}, ${rounds} rounds, ${values.concurrency} connections`);
const failures: string[] = [];

const rep = await runFuzz(target, { seed, requests, concurrency: Number(values.concurrency), rounds, mix: soak ? "valid" : "fuzz", log: (l) => console.log(l) });
const g = growth(rep.samples, 1);
console.log(`\n${rep.requests} requests (${rep.cases} cases) in ${rep.seconds.toFixed(0)} s: ${Object.entries(rep.kinds).map(([k, n]) => `${k} ${n}`).join(", ")}`);
console.log(`statuses: ${Object.entries(rep.statuses).map(([k, n]) => `${k} ${n}`).join(", ")}`);
console.log(`5xx other than 504: ${rep.serverErrors}; valid requests ${rep.validRequests}, answered correctly ${rep.validAnswered}; latency p50 ${rep.validLatencyMs.p50.toFixed(0)} ms, p99 ${rep.validLatencyMs.p99.toFixed(0)} ms`);
console.log(`RSS at rest: start ${rep.samples[0].rssMiB.toFixed(0)} MiB, after round 1 ${g.warm.rssMiB.toFixed(0)} MiB, end ${g.last.rssMiB.toFixed(0)} MiB (growth ${g.rssMiB.toFixed(1)} MiB, peak ${g.maxRssMiB.toFixed(1)} MiB over; limit ${values["rss-limit"]}); fds at rest ${[...new Set(rep.samples.map((s) => s.fds))].join(" / ")}`);
console.log(`samples: ${rep.samples.map((s) => `${s.requests}:${s.rssMiB.toFixed(0)}MiB/${s.fds}fd`).join(" ")}`);
console.log(`memory at rest (MiB): after round 1 RSS ${g.warm.rssMiB.toFixed(0)}: ${formatSplit(g.warm.memory)}; end RSS ${g.last.rssMiB.toFixed(0)}: ${formatSplit(g.last.memory)}`);
if (rep.problems.length) {
  failures.push(`${rep.problems.length} problems`);
  for (const p of rep.problems.slice(0, 30)) console.log(`  case ${p.id} (${p.kind}: ${p.note}): ${p.problem}`);
}
if (rep.serverErrors) failures.push(`${rep.serverErrors} server errors`);
if (g.rssMiB > Number(values["rss-limit"])) failures.push(`RSS grew ${g.rssMiB.toFixed(1)} MiB`);
if (g.fds !== 0) failures.push(`fds at rest went from ${g.warm.fds} to ${g.last.fds}`);

if (!soak && Number(values.idle) + Number(values.slow) > 0 && target.alive()) {
  console.log("");
  const p = await runPressure(target, {
    idle: Number(values.idle), slow: Number(values.slow), requests: 200, concurrency: 4, log: (l) => console.log(l),
    timeouts: values["no-timeouts"] ? undefined : { requestTimeoutMs: 60_000, keepAliveMs: 72_000, checkMs: 2_000 },
  });
  console.log(`pressure: ${p.idleOpen}/${p.idle} idle keep-alive connections held, ${p.slowAnswered}/${p.timeouts ? Math.ceil(p.slow / 2) : p.slow} finishing slow-body clients answered correctly; 200 normal requests: p50 ${p.baseline.p50.toFixed(0)} -> ${p.loaded.p50.toFixed(0)} ms, p99 ${p.baseline.p99.toFixed(0)} -> ${p.loaded.p99.toFixed(0)} ms, max ${p.loaded.max.toFixed(0)} ms; server fds ${p.serverFdsHeld} held, RSS ${p.rssBeforeMiB.toFixed(0)} -> ${p.rssHeldMiB.toFixed(0)} MiB; ${p.seconds.toFixed(0)} s`);
  for (const x of p.problems.slice(0, 20)) console.log(`  ${x}`);
  if (p.problems.length) failures.push(`${p.problems.length} pressure problems`);
  if (p.loaded.p99 > Math.max(3 * p.baseline.p99, p.baseline.p99 + 1000)) failures.push(`p99 ${p.loaded.p99.toFixed(0)} ms under pressure against ${p.baseline.p99.toFixed(0)} ms without`);
}

const bad = alarming(server.unusual());
if (bad.length) failures.push(`stderr: ${bad.slice(0, 5).join(" | ")}`);
if (!target.alive()) failures.push(`the server died: ${server.tail().slice(-2000)}`);
const exit = await server.stop();
if (exit.code !== 0) failures.push(`rrm serve exited with ${exit.code ?? exit.signal} on SIGTERM`);
console.log(`\nserver log statuses: ${[...server.statuses()].sort().map(([k, n]) => `${k} ${n}`).join(", ")}; exit ${exit.code}; total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(failures.length ? `FAILED: ${failures.join("; ")}` : "http-fuzz: ok");
process.exit(failures.length ? 1 : 0);
