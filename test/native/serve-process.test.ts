// `rrm serve` as its own process: it loads, serves, and on SIGTERM under load answers every
// request it accepted (a result or an error) and exits 0.
import { spawn } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tinyRrmModel } from "../helpers/models.js";

const entry = new URL("../../lib/cli/entry.ts", import.meta.url).pathname;

function startServe(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", entry, "serve", "--model", tinyRrmModel(), "--port", "0", "--threads", "2", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const url = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (d) => {
      stderr += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, url, exited, log: () => stderr };
}

async function waitReady(url: string) {
  for (let i = 0; i < 600; i++) {
    const r = await fetch(url + "/health").catch(() => undefined);
    if (r?.status === 200) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error("the server never became ready");
}

test("SIGTERM under load: every accepted request completes or gets an error; exit code 0", async () => {
  const s = startServe(["--thinking-budget", "8", "--max-tokens", "4000", "--shutdown-timeout", "1"]);
  const url = await s.url;
  await waitReady(url);
  // Short judgments (forced after 8 tokens) and long ones (no budget: up to 4,000 tokens).
  const send = (long: boolean) => fetch(url + "/v1/compare", {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "2+2?", a: "4", b: "5", votes: 2, ...(long ? { thinkingBudget: 3999 } : {}) }),
  }).then(async (r) => ({ status: r.status, body: await r.json() }), (e) => ({ status: 0, body: { error: String(e) } }));
  const requests = Array.from({ length: 12 }, (_, i) => send(i % 3 === 0));
  // The signal comes while work is in flight: after the first short judgment is answered (not after
  // a fixed delay, which a loaded machine can outlast before anything finished), with the long
  // ones and most short ones still running.
  await Promise.race(requests.filter((_, i) => i % 3 !== 0));
  s.child.kill("SIGTERM");
  const results = await Promise.all(requests);
  const code = await s.exited;
  assert.is(code, 0, s.log());
  for (const r of results) {
    // Accepted before the signal: a verdict, or a 503 saying the server shut down. Nothing lost.
    assert.ok(r.status === 200 || r.status === 503, `status ${r.status}: ${JSON.stringify(r.body)}`);
    if (r.status === 200) assert.ok(r.body.votes);
    else assert.match(r.body.error, /shut/);
  }
  assert.ok(results.some((r) => r.status === 200), "short judgments finished within the deadline");
  assert.ok(results.some((r) => r.status === 503), "long judgments were cancelled at the deadline");
  assert.match(s.log(), /SIGTERM: no new requests/);
  assert.match(s.log(), /POST \/v1\/compare 200 \d+ms judgments=2/);
});

test.run();
