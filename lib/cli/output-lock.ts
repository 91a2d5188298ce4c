// One run writes an output file at a time. Two runs appending to one -o file (a restarted pod
// beside its terminating predecessor, a double start) would interleave and duplicate records, so
// a run holds `<out>.lock` while it writes. The lock names its holder (pid, host, pid namespace)
// and the holder touches it every HEARTBEAT_MS. A lock is stale, and taken over, when
// - its holder ran on this machine, in this pid namespace, and that pid is gone (a SIGKILLed or
//   crashed run: taken over at once), or
// - it has not been touched for STALE_MS (a holder on another machine or in another container,
//   whose pid this machine cannot check).
// Created by link(2) from a file already holding the record, so no one ever reads a half-written
// lock. Node has no flock(); two runs taking over one stale lock in the same instant could both
// win (each re-reads the lock after its rename to narrow that to a few microseconds).
import { closeSync, linkSync, openSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { CliError, EXIT } from "./exit-codes.js";
import { errnoText } from "./jsonl.js";

export const HEARTBEAT_MS = 10_000;
/** Three missed heartbeats: a live holder whose event loop is busy for a while keeps its lock. */
export const STALE_MS = 30_000;

interface LockRecord { pid: number; host: string; pidNamespace: string | null; started: string; token: string }

export interface OutputLock {
  readonly path: string;
  release(): void;
}

const held = new Set<string>(); // lock paths this process holds

function pidNamespace(): string | null {
  try {
    return readlinkSync("/proc/self/ns/pid"); // e.g. "pid:[4026531836]"; Linux only
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, another user's
  }
}

function readLock(path: string): { rec?: LockRecord; ageMs: number } | undefined {
  let ageMs: number, text: string;
  try {
    ageMs = Date.now() - statSync(path).mtimeMs;
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const rec = JSON.parse(text) as LockRecord;
    return typeof rec?.pid === "number" ? { rec, ageMs } : { ageMs };
  } catch {
    return { ageMs };
  }
}

/** Why the lock's holder is gone, or undefined while it may still be writing. */
function staleReason(lock: { rec?: LockRecord; ageMs: number }, me: LockRecord): string | undefined {
  if (lock.ageMs > STALE_MS) return `not refreshed for ${Math.round(lock.ageMs / 1000)} s`;
  const r = lock.rec;
  if (!r) return undefined; // unreadable but fresh: leave it to the heartbeat rule
  if (r.host !== me.host || r.pidNamespace !== me.pidNamespace) return undefined;
  if (r.pid === process.pid) return `pid ${r.pid} is this run (a run before it had the same pid)`;
  return alive(r.pid) ? undefined : `pid ${r.pid} has exited`;
}

function lockedError(output: string, path: string, lock: { rec?: LockRecord; ageMs: number }) {
  const r = lock.rec;
  const who = r ? `pid ${r.pid} on ${r.host}, started ${r.started}` : "a run";
  return new CliError(`${output} is being written by another run (${who}; ${path} refreshed ${Math.round(lock.ageMs / 1000)} s ago): wait for it to end or stop it (a lock left by a run that died is taken over: at once on this machine, after ${STALE_MS / 1000} s otherwise)`, EXIT.locked);
}

const ioError = (what: string, e: unknown) => new CliError(`cannot ${what}: ${errnoText(e as Error)}`, EXIT.outputError);

export function lockOutput(output: string): OutputLock {
  const path = `${output}.lock`;
  if (held.has(path)) throw new CliError(`${output} is already being written by this process`, EXIT.locked);
  const me: LockRecord = { pid: process.pid, host: hostname(), pidNamespace: pidNamespace(), started: new Date().toISOString(), token: randomBytes(8).toString("hex") };
  const tmp = `${path}.${process.pid}.${me.token}`;
  try {
    const fd = openSync(tmp, "wx");
    try {
      writeSync(fd, JSON.stringify(me) + "\n");
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    try { unlinkSync(tmp); } catch {}
    throw ioError(`create the lock ${path}`, e);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw ioError(`create the lock ${path}`, e);
      }
      const lock = readLock(path);
      if (!lock) continue; // released meanwhile: try again
      const why = staleReason(lock, me);
      if (!why || attempt > 2) throw lockedError(output, path, lock);
      renameSync(tmp, path); // take it over: replaces the stale lock in one step
      const now = readLock(path);
      if (now?.rec?.token !== me.token) throw lockedError(output, path, now ?? lock); // another run took it over in the same instant
      process.stderr.write(`rrm: took over the stale lock ${path} (${why})\n`);
      break;
    }
  } finally {
    try { unlinkSync(tmp); } catch {}
  }
  held.add(path);
  const beat = setInterval(() => {
    try {
      const t = new Date();
      utimesSync(path, t, t);
    } catch {}
  }, HEARTBEAT_MS);
  beat.unref();
  const release = () => {
    if (!held.delete(path)) return;
    clearInterval(beat);
    process.removeListener("exit", release);
    // Only our own lock: one taken over from us (we looked dead) is the new holder's.
    if (readLock(path)?.rec?.token === me.token) {
      try { unlinkSync(path); } catch {}
    }
  };
  process.on("exit", release); // an error path that skips release() still frees it
  return { path, release };
}
