// `rrm serve` as a process manager runs it (node bin/rrm.js serve: no npx, no shell): SIGTERM and
// SIGINT drain and exit 0. And a model file replaced on disk while it serves: refused with 503
// while the weights are mapped; with --no-mmap the loaded weights keep serving.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { copyFileSync, mkdtempSync, renameSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tinyModel, tinyRrmModel } from "../helpers/models.js";
import { startRrm, until, type RrmProcess } from "../helpers/rrm-process.js";

const dir = mkdtempSync(join(tmpdir(), "rrm-serve-faults-"));

async function serve(args: string[], bin = false): Promise<{ p: RrmProcess; url: string }> {
  const p = startRrm(["serve", "--port", "0", "--threads", "2", "--thinking-budget", "4", "--max-tokens", "8", ...args], { bin });
  await until(() => /listening on http/.test(p.stderr()) || p.child.exitCode !== null, 60_000, "listening");
  const url = /listening on (http:\/\/\S+)/.exec(p.stderr())?.[1];
  if (!url) throw new Error(`rrm serve did not start: ${p.stderr()}`);
  for (let i = 0; i < 1200; i++) {
    const r = await fetch(url + "/health").catch(() => undefined);
    if (r?.status === 200) return { p, url };
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`never ready: ${p.stderr()}`);
}

const compare = (url: string) => fetch(url + "/v1/compare", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "2+2?", a: "4", b: "5", seed: 1 }) })
  .then(async (r) => ({ status: r.status, body: await r.json() as Record<string, any> }));

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`node bin/rrm.js serve: ${signal} with a request in flight drains it and exits 0`, async () => {
    // A drain window well past the request's own time: on a loaded machine (CI beside other jobs,
    // or the sanitizer build) 4 x 200 tokens took longer than 20 s, and the drain rightly cut it.
    const { p, url } = await serve(["--model", tinyRrmModel(), "--shutdown-timeout", "180"], true);
    const pending = fetch(url + "/v1/compare", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "q", a: "a", b: "b", votes: 4, maxTokens: 200, thinkingBudget: 150, earlyStop: false }) });
    await new Promise((r) => setTimeout(r, 300)); // admitted and decoding
    p.child.kill(signal);
    const r = await pending;
    const body = await r.json();
    assert.is(r.status, 200, JSON.stringify(body));
    assert.is(body.votes.a + body.votes.b + body.votes.invalid, 4);
    const { code } = await p.exited;
    assert.is(code, 0, p.stderr());
    // The request was answered after the signal: it was in flight, and the drain let it finish.
    const log = p.stderr();
    assert.ok(log.indexOf(`${signal}: no new requests`) >= 0, log);
    assert.ok(log.indexOf("POST /v1/compare 200") > log.indexOf(`${signal}: no new requests`), log);
    assert.match(log, /rrm serve: stopped/);
  });
}

test("the model file replaced (renamed over) while serving: 503 naming the file, /health 503", async () => {
  const path = join(dir, "judge.gguf");
  copyFileSync(tinyRrmModel(), path);
  const { p, url } = await serve(["--model", path]);
  assert.is((await compare(url)).status, 200);
  // A deploy that swaps the file: another model renamed over the path.
  copyFileSync(tinyModel(), join(dir, "new.gguf"));
  renameSync(join(dir, "new.gguf"), path);
  const r = await compare(url);
  assert.is(r.status, 503);
  assert.is(r.body.error, `the model file changed on disk after it was loaded (${path} was replaced by another file): restart rrm serve to load it`);
  const health = await fetch(url + "/health");
  assert.is(health.status, 503);
  assert.is((await health.json()).status, "model-file-changed");
  p.child.kill("SIGTERM");
  assert.is((await p.exited).code, 0);
});

test("the model file rewritten in place while serving: 503 with mapped weights; --no-mmap serves on", async () => {
  const path = join(dir, "judge2.gguf");
  copyFileSync(tinyRrmModel(), path);
  const mapped = await serve(["--model", path]);
  const unmapped = await serve(["--model", path, "--no-mmap"]);
  assert.is((await compare(mapped.url)).status, 200);
  const later = new Date(Date.now() + 5000);
  utimesSync(path, later, later); // as a rewrite in place leaves it: same inode, new mtime
  const r = await compare(mapped.url);
  assert.is(r.status, 503);
  assert.match(r.body.error, new RegExp(`${path} was rewritten \\(size \\d+ -> \\d+ bytes, modified `));
  const u = await compare(unmapped.url);
  assert.is(u.status, 200, JSON.stringify(u.body));
  assert.ok(u.body.votes);
  assert.match(unmapped.p.stderr(), /was rewritten .*read into memory \(--no-mmap\)/);
  for (const s of [mapped, unmapped]) s.p.child.kill("SIGTERM");
  assert.is((await mapped.p.exited).code, 0);
  assert.is((await unmapped.p.exited).code, 0);
});

test.run();
