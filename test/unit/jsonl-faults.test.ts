// JSONL in and out when the outside fails: a full disk (a 64 KiB tmpfs, where mount works),
// stdout on /dev/full, stdout closed by its reader (EPIPE), an input deleted or cut short while it
// is read. The records written before a failure stay whole; the failure is one OutputError or
// CliError naming the file.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError } from "../../lib/cli/exit-codes.js";
import { jsonlWriter, OutputError, readJsonl } from "../../lib/cli/jsonl.js";
import { runItems } from "../../lib/cli/run-items.js";

const dir = mkdtempSync(join(tmpdir(), "rrm-jsonl-faults-"));
const record = (i: number) => ({ line: i + 1, text: "x".repeat(200), inputHash: "0123456789abcdef" });

/** A 64 KiB tmpfs with `free` bytes left, or undefined where mounting is not allowed (not root). */
function smallDisk(free: number): string | undefined {
  const at = join(dir, `disk${Math.random().toString(36).slice(2)}`);
  mkdirSync(at);
  if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", at]).status !== 0) return undefined;
  writeFileSync(join(at, "filler"), Buffer.alloc(64 * 1024 - free));
  return at;
}
const unmount = (at: string) => spawnSync("umount", [at]);
const canMount = (() => { const d = smallDisk(8192); if (d) unmount(d); return d !== undefined; })();
if (!canMount) console.log("# skipped: mount -t tmpfs not permitted (run as root for the full-disk test)");
const diskTest = canMount || process.env.CI === "true" ? test : test.skip;

diskTest("a full disk: OutputError naming the file and ENOSPC; only whole records in the file", () => {
  const at = smallDisk(8192)!;
  try {
    const file = join(at, "out.jsonl");
    const out = jsonlWriter(file);
    let error: unknown;
    let i = 0;
    try {
      for (; i < 1000; i++) out.write(record(i));
    } catch (e) {
      error = e;
    }
    out.close();
    assert.instance(error, OutputError);
    assert.is((error as OutputError).code, "ENOSPC");
    assert.is((error as Error).message, `cannot write to ${file}: no space left on device (ENOSPC)`);
    const text = readFileSync(file, "utf8");
    assert.ok(text.endsWith("\n"), "the half-written record was cut off");
    const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.is(lines.length, i);
    assert.is(out.written, i);
    assert.ok(i > 10 && i < 60, `${i} records fit`);
    // Room again: appending goes on from the last whole record.
    rmSync(join(at, "filler"));
    const more = jsonlWriter(file, true);
    more.write(record(i));
    more.close();
    assert.is(readFileSync(file, "utf8").trimEnd().split("\n").length, i + 1);
  } finally {
    unmount(at);
  }
});

// A child that runs items to stdout and reports the result on stderr.
const childCode = (items: number) => `
  import { runItems } from ${JSON.stringify(new URL("../../lib/cli/run-items.ts", import.meta.url).pathname)};
  const input = ${JSON.stringify(join(dir, "items.jsonl"))};
  const r = await runItems({ input, concurrency: 4, check: (v) => v,
    work: async (item, ctx) => { await new Promise((res) => setTimeout(res, 5)); if (ctx.signal.aborted) throw new Error("cancelled"); return { ok: true, pad: "y".repeat(300) }; } });
  process.stderr.write(JSON.stringify({ written: r.written, code: r.outputError?.code, message: r.outputError?.message, interrupted: r.interrupted }) + "\\n");`;
writeFileSync(join(dir, "items.jsonl"), Array.from({ length: 400 }, (_, i) => JSON.stringify({ i })).join("\n") + "\n");

test("stdout on /dev/full: the run stops with ENOSPC on stdout, no stack trace", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", childCode(400)], { stdio: ["ignore", openSync("/dev/full", "w"), "pipe"], encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  const res = JSON.parse(r.stderr.trim().split("\n").pop()!);
  assert.is(res.code, "ENOSPC");
  assert.is(res.message, "cannot write to stdout: no space left on device (ENOSPC)");
  assert.ok(res.written < 400);
});

test("stdout closed by its reader (EPIPE): the run stops, in-flight items cancelled, no stack trace", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", childCode(400)], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  // As `| head -1`: read one line, then close the pipe.
  await new Promise<void>((resolve) => child.stdout.once("data", () => { child.stdout.destroy(); resolve(); }));
  const code = await new Promise((r) => child.once("exit", r));
  assert.is(code, 0, err);
  const res = JSON.parse(err.trim().split("\n").pop()!);
  assert.is(res.code, "EPIPE");
  assert.is(res.message, "stdout was closed by its reader (EPIPE)");
  assert.ok(res.written < 400, `${res.written} written`);
  assert.not.match(err, /\n\s+at /);
});

function bigInput(name: string) {
  const path = join(dir, name);
  writeFileSync(path, Array.from({ length: 20000 }, (_, i) => JSON.stringify({ i, pad: "z".repeat(40) })).join("\n") + "\n");
  return path;
}

test("the input deleted mid-run: the run reads the file it opened to its end", async () => {
  const path = bigInput("deleted.jsonl");
  let lines = 0;
  for await (const l of readJsonl(path)) {
    if (lines++ === 0) unlinkSync(path);
    assert.is(l.error, undefined);
  }
  assert.is(lines, 20000);
});

test("the input cut short mid-run: an error naming the file and the last line read", async () => {
  const path = bigInput("cut.jsonl");
  const size = statSync(path).size;
  let lines = 0;
  try {
    for await (const _ of readJsonl(path)) if (lines++ === 0) truncateSync(path, 200_000);
    assert.unreachable("no error");
  } catch (e) {
    assert.instance(e, CliError);
    assert.match((e as Error).message, new RegExp(`^the input ${path} was cut short while it was read \\(${size} bytes when opened, 2\\d{5} read\\): the lines after line ${lines} were not run`));
  }
});

test("runItems: an input error cancels the items in flight and is thrown; whole records stay", async () => {
  const path = bigInput("cut-run.jsonl");
  const output = join(dir, "cut-run.out.jsonl");
  let n = 0;
  const err = await runItems({
    input: path, output, concurrency: 8, check: (v) => v,
    work: async (_item, ctx) => {
      if (n++ === 0) truncateSync(path, 150_000);
      await new Promise((r) => setTimeout(r, 1));
      if (ctx.signal.aborted) throw new Error("cancelled");
      return { ok: true };
    },
  }).then(() => undefined, (e) => e);
  assert.instance(err, CliError);
  const text = readFileSync(output, "utf8");
  assert.ok(text.endsWith("\n"));
  for (const l of text.trimEnd().split("\n")) assert.ok(JSON.parse(l).ok);
});

test.run();
