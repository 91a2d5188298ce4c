// Runs the fuzzer against a server, in rounds: between rounds every connection is closed, the
// judging queue must empty (nothing abandoned is still being judged) and the server's RSS and
// descriptors are read, so growth across rounds is growth at rest. And the connection pressure
// run: idle keep-alive connections and slow-body clients held open while normal requests are
// timed.
import { connect, type Socket } from "node:net";
import { exchange, getOnce, KeepAlive, requestBytes, type RawResponse } from "./client.js";
import { checkAnswer, checkResponse, SERVER_ERROR } from "./checks.js";
import { makeCase, requestsIn, type Case } from "./generate.js";

export interface Sample { requests: number; rssMiB: number; fds: number; at: number; memory?: MemorySplit }
/** Where the server's memory is at a rest point, in MiB, from its /metrics (process-memory.ts). */
export interface MemorySplit { v8HeapUsed: number; v8HeapTotal: number; external: number; mallocInUse?: number; mallocFree?: number; mallocMapped?: number }
export interface Problem { id: number; kind: string; note: string; problem: string }

export interface FuzzReport {
  seed: number;
  requests: number;
  cases: number;
  kinds: Record<string, number>;
  statuses: Record<string, number>;
  /** 5xx other than 504 (503 included: none is expected while the server is ready). */
  serverErrors: number;
  unanswered: number;
  validRequests: number;
  validAnswered: number;
  problems: Problem[];
  samples: Sample[];
  seconds: number;
  validLatencyMs: { p50: number; p99: number; max: number };
}

export interface Target { port: number; rssMiB(): number; fds(): number; alive(): boolean }

/** The memory gauges of the server's /metrics, or undefined when it does not answer. */
export async function memorySplit(port: number): Promise<MemorySplit | undefined> {
  const text = (await getOnce(port, "/metrics"))?.body;
  if (!text) return undefined;
  const mib = (re: RegExp) => {
    const m = re.exec(text);
    return m ? Number(m[1]) / 2 ** 20 : undefined;
  };
  const used = mib(/^nodejs_heap_size_used_bytes (\S+)$/m), total = mib(/^nodejs_heap_size_total_bytes (\S+)$/m), external = mib(/^nodejs_external_memory_bytes (\S+)$/m);
  if (used === undefined || total === undefined || external === undefined) return undefined;
  return {
    v8HeapUsed: used, v8HeapTotal: total, external,
    mallocInUse: mib(/^rrm_native_heap_bytes\{state="in_use"\} (\S+)$/m),
    mallocFree: mib(/^rrm_native_heap_bytes\{state="free"\} (\S+)$/m),
    mallocMapped: mib(/^rrm_native_heap_bytes\{state="mapped"\} (\S+)$/m),
  };
}

export const formatSplit = (m: MemorySplit | undefined) => !m ? "split n/a"
  : `V8 heap ${m.v8HeapUsed.toFixed(0)}/${m.v8HeapTotal.toFixed(0)}, external ${m.external.toFixed(0)}` +
    (m.mallocInUse === undefined ? "" : `, malloc in use ${m.mallocInUse.toFixed(0)} free ${m.mallocFree!.toFixed(0)} mapped ${m.mallocMapped!.toFixed(0)}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);

/** Polls /health until the server's judging queue is empty (abandoned requests finished or cancelled). */
export async function quiesce(port: number, ms = 60_000): Promise<number> {
  const end = Date.now() + ms;
  let queue = -1;
  while (Date.now() < end) {
    const body = (await getOnce(port, "/health"))?.body;
    let r: { queue?: number } | undefined;
    try { r = body ? JSON.parse(body) : undefined; } catch {}
    queue = r?.queue ?? -1;
    if (queue === 0) return 0;
    await sleep(100);
  }
  return queue;
}

export async function runFuzz(t: Target, o: { seed: number; requests: number; concurrency?: number; rounds?: number; mix?: "fuzz" | "valid"; log?: (line: string) => void; firstCase?: number }): Promise<FuzzReport> {
  const concurrency = o.concurrency ?? 12, rounds = o.rounds ?? 10;
  const perRound = Math.ceil(o.requests / rounds);
  const log = o.log ?? (() => {});
  const rep: FuzzReport = { seed: o.seed, requests: 0, cases: 0, kinds: {}, statuses: {}, serverErrors: 0, unanswered: 0, validRequests: 0, validAnswered: 0, problems: [], samples: [], seconds: 0, validLatencyMs: { p50: 0, p99: 0, max: 0 } };
  const latencies: number[] = [];
  const t0 = Date.now();
  let next = o.firstCase ?? 0;
  // The split is read after RSS and descriptors (its own request would otherwise count in them).
  const sample = async () => {
    const s: Sample = { requests: rep.requests, rssMiB: t.rssMiB(), fds: t.fds(), at: Date.now() - t0 };
    s.memory = await memorySplit(t.port);
    rep.samples.push(s);
  };
  await sample();
  for (let round = 0; round < rounds && rep.requests < o.requests; round++) {
    const goal = Math.min(o.requests, (round + 1) * perRound);
    const pools = Array.from({ length: concurrency }, () => new KeepAlive(t.port));
    await Promise.all(pools.map(async (pool) => {
      while (rep.requests < goal) {
        const c = makeCase(o.seed, next++, o.mix);
        rep.requests += requestsIn(c);
        rep.cases++;
        rep.kinds[c.kind] = (rep.kinds[c.kind] ?? 0) + 1;
        const c0 = Date.now();
        await runCase(t, c, pool, rep, latencies);
        if (Date.now() - c0 > 10_000) log(`slow case ${c.id} (${c.kind}: ${c.note}): ${((Date.now() - c0) / 1000).toFixed(1)} s`);
      }
    }));
    for (const p of pools) p.close();
    const left = await quiesce(t.port);
    if (left !== 0) rep.problems.push({ id: -1, kind: "server", note: `after round ${round}`, problem: `the judging queue did not empty (${left})` });
    // The server closes its side of the pooled connections, and its memory upkeep runs (250 ms
    // after the last answer, at most once a second: lib/server/memory-upkeep.ts).
    await sleep(2000);
    await sample();
    const s = rep.samples[rep.samples.length - 1];
    log(`round ${round + 1}/${rounds}: ${rep.requests} requests, ${rep.serverErrors} server errors, ${rep.problems.length} problems, RSS ${s.rssMiB.toFixed(0)} MiB (${formatSplit(s.memory)}), ${s.fds} fds, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    if (!t.alive()) {
      rep.problems.push({ id: -1, kind: "server", note: `round ${round}`, problem: "the server process died" });
      break;
    }
  }
  rep.seconds = (Date.now() - t0) / 1000;
  rep.validLatencyMs = { p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: Math.max(0, ...latencies) };
  return rep;
}

async function runCase(t: Target, c: Case, pool: KeepAlive, rep: FuzzReport, latencies: number[]) {
  let responses: (RawResponse | undefined)[];
  let extra: string[] = [];
  if (c.keepAlive) {
    const r = await pool.request(c.plan.pieces[0].data, { head: c.plan.heads?.[0], timeoutMs: c.plan.timeoutMs });
    responses = [r];
    if (r && /close/i.test(r.headers.connection ?? "")) pool.close();
  } else {
    const x = await exchange(t.port, c.plan);
    responses = c.expects.map((_, i) => x.responses[i]);
    if (x.parseError) extra.push(`unparseable answer: ${x.parseError}`);
    if (x.responses.length > c.expects.length) {
      // More answers than requests: each must still be no server error.
      for (const r of x.responses.slice(c.expects.length)) if (SERVER_ERROR(r.status)) extra.push(`status ${r.status} on an extra answer`);
    }
  }
  c.expects.forEach((e, i) => {
    const r = responses[i];
    const key = r ? String(r.status) : "none";
    rep.statuses[key] = (rep.statuses[key] ?? 0) + 1;
    if (!r) rep.unanswered++;
    if (r && SERVER_ERROR(r.status)) rep.serverErrors++;
    if (e.kind === "valid" && !c.mayGoUnanswered) { // (an abandoned request is not owed an answer)
      rep.validRequests++;
      if (r?.status === 200) {
        rep.validAnswered++;
        latencies.push(r.ms);
      }
    }
    for (const problem of checkResponse(e, r, c.mayGoUnanswered)) if (rep.problems.length < 500) rep.problems.push({ id: c.id, kind: c.kind, note: c.note, problem });
  });
  for (const problem of extra) if (rep.problems.length < 500) rep.problems.push({ id: c.id, kind: c.kind, note: c.note, problem });
  void t;
}

// ---------------------------------------------------------------------------------------------
// Connection pressure

export interface PressureReport {
  idle: number;
  idleOpen: number;
  slow: number;
  slowAnswered: number;
  baseline: { p50: number; p99: number; max: number; n: number };
  loaded: { p50: number; p99: number; max: number; n: number };
  serverFdsHeld: number;
  rssBeforeMiB: number;
  rssHeldMiB: number;
  problems: string[];
  timeouts?: { slowCut: number; slowCutAfterS: number[]; idleClosed: number; idleClosedAfterS: number[] };
  seconds: number;
}

const COMPARE = (i: number) => JSON.stringify({ query: `Question ${i}: which is better?`, a: `Answer A${i}`, b: `Answer B${i}`, seed: i });

async function timed(t: Target, n: number, concurrency: number, problems: string[]): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    const conn = new KeepAlive(t.port);
    while (next < n) {
      const i = next++;
      const body = COMPARE(i);
      const r = await conn.request(requestBytes("POST", "/v1/compare", [["Host", "x"], ["Content-Type", "application/json"], ["Content-Length", String(Buffer.byteLength(body))]], body), { timeoutMs: 60_000 });
      if (r?.status !== 200) { problems.push(`normal request ${i}: ${r ? `status ${r.status} ${r.body.toString().slice(0, 100)}` : "no answer"}`); continue; }
      const bad = checkAnswer("/v1/compare", "POST", JSON.parse(body), r);
      if (bad.length) problems.push(`normal request ${i}: ${bad.join("; ")}`);
      latencies.push(r.ms);
    }
    conn.close();
  }));
  return latencies;
}

interface Held { socket: Socket; closedAt?: number; data: string }

function hold(port: number, first: Buffer): Promise<Held> {
  return new Promise((resolve, reject) => {
    const h: Held = { socket: connect({ port, host: "127.0.0.1" }), data: "" };
    h.socket.setNoDelay(true);
    h.socket.on("data", (d) => (h.data += d.toString("latin1")));
    h.socket.on("close", () => (h.closedAt ??= Date.now()));
    h.socket.on("error", () => {});
    h.socket.once("connect", () => { h.socket.write(first); resolve(h); });
    h.socket.once("error", reject);
  });
}

/**
 * `idle` keep-alive connections (each has had one answered request and then says nothing) and
 * `slow` clients sending a body a byte every `slowByteMs`, held while `requests` normal compare
 * requests run (`concurrency` at a time); the same requests timed before, with nothing held. Then
 * the slow clients send the rest of their bodies and must each get a correct verdict. With
 * `timeouts`, also waits out the server's limits: slow clients that never finish are cut (408)
 * and idle connections closed, each within its limit plus the check interval.
 */
export async function runPressure(t: Target, o: { idle: number; slow: number; requests: number; concurrency?: number; slowByteMs?: number; holdMs?: number; timeouts?: { requestTimeoutMs: number; keepAliveMs: number; checkMs: number }; log?: (l: string) => void }): Promise<PressureReport> {
  const log = o.log ?? (() => {});
  const t0 = Date.now();
  const concurrency = o.concurrency ?? 4;
  const problems: string[] = [];
  await timed(t, 20, concurrency, problems); // warm-up
  const base = await timed(t, o.requests, concurrency, problems);
  const rssBeforeMiB = t.rssMiB();
  const fdsBefore = t.fds();
  log(`baseline: ${base.length} requests, p50 ${pct(base, 0.5).toFixed(0)} ms, p99 ${pct(base, 0.99).toFixed(0)} ms; server fds ${fdsBefore}`);

  // Idle keep-alive connections: one request each, answered, then silence. Opened 100 at a time.
  const idle: Held[] = [];
  for (let i = 0; i < o.idle; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, o.idle - i) }, () => hold(t.port, requestBytes("GET", "/health", [["Host", "x"], ["Connection", "keep-alive"]]))));
    idle.push(...batch);
  }
  const idleT0 = Date.now();
  const deadline = Date.now() + 30_000;
  while (idle.some((h) => !/\r\n\r\n\{.*\}/s.test(h.data)) && Date.now() < deadline) await sleep(50);
  const idleAnswered = idle.filter((h) => /^HTTP\/1\.1 200 /.test(h.data)).length;
  if (idleAnswered !== o.idle) problems.push(`${o.idle - idleAnswered} of ${o.idle} idle connections had no 200 for their first request`);

  // Slow-body clients: headers at once, then the body a byte at a time.
  const slowBodies = Array.from({ length: o.slow }, (_, i) => Buffer.from(COMPARE(100_000 + i)));
  const slowT0 = Date.now();
  const slow = await Promise.all(slowBodies.map((b) => hold(t.port, Buffer.from(`POST /v1/compare HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n`, "latin1"))));
  const sent = slow.map(() => 0);
  const trickle = setInterval(() => {
    slow.forEach((h, i) => {
      if (sent[i] < slowBodies[i].length - 1 && !h.closedAt) h.socket.write(slowBodies[i].subarray(sent[i], ++sent[i]));
    });
  }, o.slowByteMs ?? 500);
  await sleep(500);
  const serverFdsHeld = t.fds();
  log(`holding ${idle.filter((h) => !h.closedAt).length} idle keep-alive connections and ${o.slow} slow-body clients; server fds ${serverFdsHeld}`);
  const loaded = await timed(t, o.requests, concurrency, problems);
  const rssHeldMiB = t.rssMiB();
  log(`under pressure: ${loaded.length} requests, p50 ${pct(loaded, 0.5).toFixed(0)} ms, p99 ${pct(loaded, 0.99).toFixed(0)} ms, max ${Math.max(...loaded).toFixed(0)} ms; RSS ${rssHeldMiB.toFixed(0)} MiB`);
  if (o.holdMs) await sleep(Math.max(0, o.holdMs - (Date.now() - slowT0)));
  clearInterval(trickle);
  const idleOpen = idle.filter((h) => !h.closedAt).length;
  if (idleOpen !== o.idle) problems.push(`${o.idle - idleOpen} idle connections closed early (after ${((Date.now() - idleT0) / 1000).toFixed(0)} s; keep-alive is 72 s)`);

  let timeouts: PressureReport["timeouts"];
  let finishers = slow;
  if (o.timeouts) {
    // Half the slow clients never finish: the server must cut them with 408 after requestTimeout.
    finishers = slow.slice(0, Math.ceil(slow.length / 2));
  }
  // The slow clients that finish: the rest of each body at once, then a correct verdict.
  finishers.forEach((h, i) => h.socket.write(slowBodies[i].subarray(sent[i])));
  const fEnd = Date.now() + 60_000;
  while (finishers.some((h) => !/\r\n\r\n.*\}/s.test(h.data) && !h.closedAt) && Date.now() < fEnd) await sleep(50);
  let slowAnswered = 0;
  finishers.forEach((h, i) => {
    const m = /^HTTP\/1\.1 (\d{3})[^]*?\r\n\r\n([^]*)$/.exec(h.data);
    if (m?.[1] !== "200") return void problems.push(`slow client ${i}: ${m ? `status ${m[1]} ${m[2].slice(0, 100)}` : `no answer (closed: ${!!h.closedAt})`}`);
    try {
      const v = JSON.parse(m[2]);
      const bad = checkAnswer("/v1/compare", "POST", JSON.parse(slowBodies[i].toString()), { status: 200, reason: "", version: "", headers: {}, body: Buffer.from(JSON.stringify(v)), ms: 0 });
      if (bad.length) return void problems.push(`slow client ${i}: ${bad.join("; ")}`);
      slowAnswered++;
    } catch { problems.push(`slow client ${i}: body ${m[2].slice(0, 100)}`); }
  });

  if (o.timeouts) {
    const { requestTimeoutMs, keepAliveMs, checkMs } = o.timeouts;
    const stuck = slow.slice(finishers.length);
    // Keep trickling to the stuck ones: they are slow, not silent.
    const tr2 = setInterval(() => stuck.forEach((h, k) => { const i = finishers.length + k; if (sent[i] < slowBodies[i].length - 1 && !h.closedAt) h.socket.write(slowBodies[i].subarray(sent[i], ++sent[i])); }), o.slowByteMs ?? 500);
    const end = Math.max(slowT0 + requestTimeoutMs, idleT0 + keepAliveMs) + checkMs + 10_000;
    log(`waiting up to ${((end - Date.now()) / 1000).toFixed(0)} s for the server's request and keep-alive timeouts`);
    while ((stuck.some((h) => !h.closedAt) || idle.some((h) => !h.closedAt)) && Date.now() < end) await sleep(200);
    clearInterval(tr2);
    const slowCutAfterS = stuck.filter((h) => h.closedAt).map((h) => (h.closedAt! - slowT0) / 1000);
    const idleClosedAfterS = idle.filter((h) => h.closedAt).map((h) => (h.closedAt! - idleT0) / 1000);
    const cut408 = stuck.filter((h) => /^HTTP\/1\.1 408 /.test(h.data)).length;
    timeouts = { slowCut: cut408, slowCutAfterS: [Math.min(...slowCutAfterS), Math.max(...slowCutAfterS)], idleClosed: idleClosedAfterS.length, idleClosedAfterS: [Math.min(...idleClosedAfterS), Math.max(...idleClosedAfterS)] };
    if (cut408 !== stuck.length) problems.push(`${stuck.length - cut408} of ${stuck.length} never-finishing slow clients were not cut with 408`);
    if (Math.max(...slowCutAfterS) > (requestTimeoutMs + checkMs) / 1000 + 3) problems.push(`a slow client cut only after ${Math.max(...slowCutAfterS).toFixed(1)} s`);
    if (idleClosedAfterS.length !== o.idle) problems.push(`${o.idle - idleClosedAfterS.length} idle connections never closed by the server`);
    log(`timeouts: ${cut408}/${stuck.length} slow clients cut with 408 after ${timeouts.slowCutAfterS.map((x) => x.toFixed(1)).join("-")} s; ${idleClosedAfterS.length}/${o.idle} idle connections closed after ${timeouts.idleClosedAfterS.map((x) => x.toFixed(1)).join("-")} s`);
  }
  for (const h of [...idle, ...slow]) h.socket.destroy();
  await sleep(500);
  const fdsAfter = t.fds();
  if (fdsAfter > fdsBefore + 2) problems.push(`server fds ${fdsAfter} after every connection closed, ${fdsBefore} before`);
  const stat = (xs: number[]) => ({ p50: pct(xs, 0.5), p99: pct(xs, 0.99), max: Math.max(0, ...xs), n: xs.length });
  return { idle: o.idle, idleOpen, slow: o.slow, slowAnswered, baseline: stat(base), loaded: stat(loaded), serverFdsHeld, rssBeforeMiB, rssHeldMiB, problems, timeouts, seconds: (Date.now() - t0) / 1000 };
}

/** RSS growth after warm-up: the last sample against the first one after `warmRounds` rounds. */
export function growth(samples: Sample[], warmRounds: number): { warm: Sample; last: Sample; rssMiB: number; fds: number; maxRssMiB: number } {
  const warm = samples[Math.min(warmRounds, samples.length - 1)];
  const last = samples[samples.length - 1];
  const after = samples.slice(warmRounds);
  return { warm, last, rssMiB: last.rssMiB - warm.rssMiB, fds: last.fds - warm.fds, maxRssMiB: Math.max(...after.map((s) => s.rssMiB)) - warm.rssMiB };
}
