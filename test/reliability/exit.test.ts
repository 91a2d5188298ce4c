// dispose() with work in flight rejects it and the process exits; a process that never disposes
// exits too once its work is done; the engine runs in a worker thread.
import { spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tinyModel } from "../helpers/models.js";

const child = new URL("./exit-child.ts", import.meta.url).pathname;
const run = (mode: string) => spawnSync(process.execPath, ["--import", "tsx", child, tinyModel(), mode], { encoding: "utf8", timeout: 60_000 });

test("dispose with work in flight: the work rejects, the process exits", () => {
  const r = run("dispose");
  assert.is(r.signal, null, "hung or crashed");
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /rejected: .*disposed/);
});

test("without dispose, the process exits when its work is done", () => {
  const r = run("finish");
  assert.is(r.signal, null, "hung or crashed");
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /finished 16/);
});

test("process.exit() while the scheduler thread decodes: its exit code, never a crash (x12)", () => {
  // ggml unloaded its CPU library at exit under a running computation (SIGSEGV about 1 in 15);
  // the libraries are pinned now.
  for (let i = 0; i < 12; i++) {
    const r = run("exit-mid-decode");
    assert.is(r.signal, null, `run ${i}: killed by ${r.signal}`);
    assert.is(r.status, 130, r.stderr);
  }
});

test("in a worker thread", () => {
  const r = run("worker");
  assert.is(r.signal, null, "hung or crashed");
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /worker: finished 16/);
});

test.run();
