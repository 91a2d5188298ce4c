// rrm serve's allocator upkeep (lib/server/memory-upkeep.ts, native/addon/addon.cpp): on glibc the
// addon fixes the mmap threshold and trims the heaps; the upkeep trims once after a burst of
// traffic, only when nothing is in flight, and never while the server is busy.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadAddon } from "../../bindings/index.js";
import { startMemoryUpkeep } from "../../lib/server/memory-upkeep.js";

const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("the addon tunes and trims glibc's allocator (false and nothing changed elsewhere)", () => {
  const addon = loadAddon();
  assert.type(addon.tuneAllocatorForServer, "function");
  assert.type(addon.releaseFreeMemory, "function");
  assert.is(addon.tuneAllocatorForServer!(), glibc !== undefined);
  assert.type(addon.releaseFreeMemory!(), "boolean");
});

test("the upkeep trims once after a burst, when idle; not while busy, not without traffic", async () => {
  const addon = loadAddon();
  const real = addon.releaseFreeMemory;
  let trims = 0;
  addon.releaseFreeMemory = () => { trims++; return real!(); };
  let busy = true;
  const upkeep = startMemoryUpkeep(() => !busy, 20);
  try {
    await sleep(300);
    assert.is(trims, 0, "no traffic, no trim");
    upkeep.touched();
    upkeep.settled();
    await sleep(100);
    assert.is(trims, 0, "busy: no trim");
    busy = false;
    await sleep(300);
    assert.is(trims, 1, "idle after traffic: one trim (the backstop timer)");
    upkeep.touched();
    upkeep.settled();
    upkeep.settled();
    await sleep(100);
    assert.is(trims, 2, "the next burst: one more");
    await sleep(300);
    assert.is(trims, 2, "and no more until new traffic");
  } finally {
    upkeep.stop();
    addon.releaseFreeMemory = real;
  }
});

test.run();
