// rrm serve's memory upkeep (lib/server/memory-upkeep.ts, native/addon/addon.cpp): on glibc the
// addon fixes the mmap threshold and trims the heaps; V8's garbage is collected without
// --expose-gc; the upkeep runs once after a burst of traffic, only when no request is open and
// nothing is judged, never while the server is busy, and not more often than its gap allows.
import { runInNewContext } from "node:vm";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadAddon } from "../../bindings/index.js";
import { fullCollection, startMemoryUpkeep, upkeepSteps } from "../../lib/server/memory-upkeep.js";

const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `body` with the addon's trim counted (the real trim still runs), then puts it back. */
async function countingTrims(body: (trims: () => number) => Promise<void>) {
  const addon = loadAddon();
  const real = addon.releaseFreeMemory;
  let n = 0;
  addon.releaseFreeMemory = () => { n++; return real!(); };
  try {
    await body(() => n);
  } finally {
    addon.releaseFreeMemory = real;
  }
}

test("the addon tunes and trims glibc's allocator (false and nothing changed elsewhere)", () => {
  const addon = loadAddon();
  assert.type(addon.tuneAllocatorForServer, "function");
  assert.type(addon.releaseFreeMemory, "function");
  assert.is(addon.tuneAllocatorForServer!(), glibc !== undefined);
  assert.type(addon.releaseFreeMemory!(), "boolean");
});

test("the upkeep trims once after a burst, when idle; not while busy, not without traffic", () => countingTrims(async (trims) => {
  let busy = true;
  const upkeep = startMemoryUpkeep(() => !busy, { delayMs: 20, minGapMs: 0, steps: { collect: false, trim: true } });
  try {
    await sleep(300);
    assert.is(trims(), 0, "no traffic, no trim");
    upkeep.touched();
    upkeep.settled();
    await sleep(100);
    assert.is(trims(), 0, "busy: no trim");
    busy = false;
    await sleep(300);
    assert.is(trims(), 1, "idle after traffic: one trim (the backstop timer)");
    upkeep.touched();
    upkeep.settled();
    upkeep.settled();
    await sleep(100);
    assert.is(trims(), 2, "the next burst: one more");
    await sleep(300);
    assert.is(trims(), 2, "and no more until new traffic");
  } finally {
    upkeep.stop();
  }
}));

test("no run while a request is open; a trickle runs at most once per gap", () => countingTrims(async (trims) => {
  // Timers only ever fire late: each "not yet" is exact, each "has run" waits with room to spare.
  const upkeep = startMemoryUpkeep(() => true, { delayMs: 20, minGapMs: 1500, steps: { collect: false, trim: true } });
  try {
    upkeep.touched();
    upkeep.touched();
    upkeep.settled();
    await sleep(300);
    assert.is(trims(), 0, "one request still open");
    upkeep.settled();
    await sleep(400);
    assert.is(trims(), 1, "both answered: one run");
    upkeep.touched();
    upkeep.settled();
    await sleep(300);
    assert.is(trims(), 1, "within the gap: not yet");
    await sleep(1500);
    assert.is(trims(), 2, "after the gap: the waiting run");
  } finally {
    upkeep.stop();
  }
}));

test("the collection frees V8's garbage without --expose-gc, and leaves no gc behind", async () => {
  assert.is(typeof (globalThis as { gc?: unknown }).gc, "undefined", "this test runs without --expose-gc");
  const collect = fullCollection();
  assert.type(collect, "function");
  let garbage: object | undefined = { big: new Array(1e5).fill(1) };
  const ref = new WeakRef(garbage);
  garbage = undefined;
  await sleep(0);  // WeakRef targets stay alive until the job that made them ends
  collect!();
  assert.is(ref.deref(), undefined, "collected");
  assert.is(runInNewContext("typeof gc"), "undefined", "later contexts get no gc");
  assert.is(typeof (globalThis as { gc?: unknown }).gc, "undefined");
});

test("RRM_SERVE_MEMORY_UPKEEP: both steps by default, trim only, or off", () => {
  assert.equal(upkeepSteps(undefined), { collect: true, trim: true });
  assert.equal(upkeepSteps("trim"), { collect: false, trim: true });
  assert.equal(upkeepSteps("0"), { collect: false, trim: false });
});

test.run();
