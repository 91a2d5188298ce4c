// Resumable, shardable JSONL runs with a deterministic fake work function: interrupted (SIGINT,
// a cut-off last line as after kill -9) and resumed runs, and merged shards, give the bytes of an
// uninterrupted run.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, truncateSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runItems, parseShard } from "../../lib/cli/run-items.js";
import { mergeCommand } from "../../lib/cli/merge.js";
import { itemSeed } from "../../lib/random.js";

const dir = mkdtempSync(join(tmpdir(), "rrm-run-items-"));
const input = join(dir, "in.jsonl");
const lines = Array.from({ length: 23 }, (_, i) => (i === 5 ? "{not json" : i === 9 ? "" : JSON.stringify({ id: `q${i}`, x: i })));
writeFileSync(input, lines.join("\n") + "\n");

// Results depend only on the item and its seed; finishing order is scrambled on purpose.
async function runOnce(output: string, o: { resume?: boolean; shard?: string; interruptAfter?: number; concurrency?: number } = {}) {
  let finished = 0;
  return runItems({
    input, output, concurrency: o.concurrency ?? 4, resume: o.resume, shard: parseShard(o.shard),
    check: (v, line) => {
      const x = (v as { x?: unknown }).x;
      if (typeof x !== "number") throw new Error(`line ${line}: "x" must be a number`);
      return v as { id: string; x: number };
    },
    work: async (item, ctx) => {
      await new Promise((r) => setTimeout(r, ((item.x * 7) % 5) * 3));
      if (ctx.signal.aborted) throw new Error("cancelled");
      if (o.interruptAfter !== undefined && ++finished === o.interruptAfter) process.emit("SIGINT");
      return { id: item.id, value: itemSeed(1, ctx.index) % 1000 };
    },
  });
}

test("an uninterrupted run: input order, line numbers, hashes, bad line in its place", async () => {
  const r = await runOnce(join(dir, "full.jsonl"));
  assert.equal([r.ok, r.failed, r.interrupted], [21, 1, false]);
  const recs = readFileSync(join(dir, "full.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(recs.map((x) => x.line), [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
  assert.match(recs[5].error, /line 6: not valid JSON/);
  assert.ok(recs.every((x) => /^[0-9a-f]{16}$/.test(x.inputHash)));
});

test("SIGINT and cut-off lines, resumed several times, give the uninterrupted bytes", async () => {
  const full = readFileSync(join(dir, "full.jsonl"), "utf8");
  const out = join(dir, "resumed.jsonl");
  let r = await runOnce(out, { interruptAfter: 3 });
  assert.ok(r.interrupted);
  const firstSize = statSync(out).size;
  assert.ok(firstSize < full.length);
  // As after kill -9 in the middle of a write: half a line at the end.
  writeFileSync(out, readFileSync(out, "utf8") + full.slice(firstSize, firstSize + 17));
  r = await runOnce(out, { resume: true, interruptAfter: 5 });
  assert.ok(r.interrupted);
  assert.ok(r.skipped > 0);
  truncateSync(out, statSync(out).size - 9);
  r = await runOnce(out, { resume: true });
  assert.not.ok(r.interrupted);
  assert.is(readFileSync(out, "utf8"), full);
  // Nothing left to do.
  r = await runOnce(out, { resume: true });
  assert.equal([r.ok, r.skipped], [0, 22]);
});

test("a changed input line is refused on resume", async () => {
  const out = join(dir, "changed.jsonl");
  writeFileSync(out, readFileSync(join(dir, "full.jsonl"), "utf8").split("\n").slice(0, 3).join("\n") + "\n");
  const orig = readFileSync(input, "utf8");
  writeFileSync(input, orig.replace('"x":1}', '"x":100}'));
  try {
    await runOnce(out, { resume: true });
    assert.unreachable("should refuse");
  } catch (e) {
    assert.match((e as Error).message, /line 2 of the input is not the line/);
  } finally {
    writeFileSync(input, orig);
  }
});

test("3 shards merged equal the unsharded output byte for byte", async () => {
  const parts = [0, 1, 2].map((k) => join(dir, `shard${k}.jsonl`));
  for (const [k, p] of parts.entries()) await runOnce(p, { shard: `${k}/3` });
  assert.ok(readFileSync(parts[1], "utf8").split("\n").length < 10);
  const merged = join(dir, "merged.jsonl");
  assert.is(await mergeCommand(["-o", merged, ...parts]), 0);
  assert.is(readFileSync(merged, "utf8"), readFileSync(join(dir, "full.jsonl"), "utf8"));
  assert.throws(() => parseShard("3/3"), /0 <= K < N/);
  await mergeCommand(["-o", merged, "--overwrite", parts[0], parts[0]]).then(() => assert.unreachable(), (e) => assert.match(e.message, /in both/));
});

test.run();
