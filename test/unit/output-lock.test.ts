// The output lock: one run per -o file; a lock left by a run that died (same machine: pid gone;
// elsewhere: not refreshed for STALE_MS) is taken over; a live holder's is refused with one line.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { CliError, EXIT } from "../../lib/cli/exit-codes.js";
import { lockOutput, STALE_MS } from "../../lib/cli/output-lock.js";

const dir = mkdtempSync(join(tmpdir(), "rrm-lock-"));
let n = 0;
const out = () => join(dir, `out${n++}.jsonl`);
const ns = (() => { try { return readlinkSync("/proc/self/ns/pid"); } catch { return null; } })();
const record = (pid: number, host = hostname()) => JSON.stringify({ pid, host, pidNamespace: ns, started: "2026-12-01T00:00:00.000Z", token: "other" });

function refused(f: () => unknown, message: RegExp) {
  try {
    f();
  } catch (e) {
    assert.instance(e, CliError);
    assert.is((e as CliError).exitCode, EXIT.locked);
    assert.match((e as Error).message, message);
    assert.not.match((e as Error).message, /\n/);
    return;
  }
  assert.unreachable("the lock was granted");
}

/** Stderr lines written while f runs. */
function stderrOf(f: () => void): string {
  const write = process.stderr.write;
  let text = "";
  process.stderr.write = ((s: string) => ((text += s), true)) as typeof process.stderr.write;
  try { f(); } finally { process.stderr.write = write; }
  return text;
}

test("held, refused while held, free again after release; no temporary files left", () => {
  const o = out();
  const lock = lockOutput(o);
  assert.equal(JSON.parse(readFileSync(`${o}.lock`, "utf8")).pid, process.pid);
  refused(() => lockOutput(o), /already being written by this process/);
  lock.release();
  assert.not.ok(existsSync(`${o}.lock`));
  lockOutput(o).release();
  assert.equal(readdirSync(dir).filter((f) => f.includes(".lock")), []);
});

test("a live run's lock on this machine is refused, naming its pid", () => {
  const o = out();
  const holder = spawn("sleep", ["30"]);
  writeFileSync(`${o}.lock`, record(holder.pid!));
  refused(() => lockOutput(o), new RegExp(`being written by another run \\(pid ${holder.pid} on ${hostname()}`));
  holder.kill("SIGKILL");
});

test("a dead pid's lock on this machine is taken over at once", () => {
  const o = out();
  const dead = spawnSync("true").pid;
  writeFileSync(`${o}.lock`, record(dead));
  let lock: ReturnType<typeof lockOutput> | undefined;
  const said = stderrOf(() => { lock = lockOutput(o); });
  assert.match(said, new RegExp(`took over the stale lock .* \\(pid ${dead} has exited\\)`));
  assert.is(JSON.parse(readFileSync(`${o}.lock`, "utf8")).pid, process.pid);
  lock!.release();
});

test("another machine's lock: refused while refreshed, taken over once STALE_MS old", () => {
  const o = out();
  writeFileSync(`${o}.lock`, record(1, "some-other-pod"));
  refused(() => lockOutput(o), /pid 1 on some-other-pod/);
  const old = new Date(Date.now() - STALE_MS - 5000);
  utimesSync(`${o}.lock`, old, old);
  let lock: ReturnType<typeof lockOutput> | undefined;
  assert.match(stderrOf(() => { lock = lockOutput(o); }), /not refreshed for 3\d s/);
  lock!.release();
});

test("an unreadable lock is left alone while fresh, taken over when old", () => {
  const o = out();
  writeFileSync(`${o}.lock`, "garbage");
  refused(() => lockOutput(o), /being written by another run \(a run;/);
  const old = new Date(Date.now() - STALE_MS - 1000);
  utimesSync(`${o}.lock`, old, old);
  stderrOf(() => lockOutput(o).release());
});

test("release leaves a lock that is no longer ours (taken over while we looked dead)", () => {
  const o = out();
  const lock = lockOutput(o);
  writeFileSync(`${o}.lock`, record(12345, "the-new-holder"));
  lock.release();
  assert.match(readFileSync(`${o}.lock`, "utf8"), /the-new-holder/);
});

test("a SIGKILLed run leaves its lock behind, and the next run takes it over", async () => {
  const o = out();
  const code = `import { lockOutput } from ${JSON.stringify(new URL("../../lib/cli/output-lock.ts", import.meta.url).pathname)}; lockOutput(${JSON.stringify(o)}); console.log("locked"); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout.on("data", (d) => String(d).includes("locked") && resolve()));
  refused(() => lockOutput(o), new RegExp(`pid ${child.pid}`));
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  assert.ok(existsSync(`${o}.lock`), "kill -9 runs no clean-up");
  let lock: ReturnType<typeof lockOutput> | undefined;
  assert.match(stderrOf(() => { lock = lockOutput(o); }), new RegExp(`pid ${child.pid} has exited`));
  lock!.release();
});

test("a lock that cannot be created (no such folder) is one line, exit 74", () => {
  try {
    lockOutput(join(dir, "no-such-folder", "out.jsonl"));
    assert.unreachable();
  } catch (e) {
    assert.is((e as CliError).exitCode, EXIT.outputError);
    assert.match((e as Error).message, /^cannot create the lock .*: no such file or directory \(ENOENT\)$/);
  }
});

test.run();
