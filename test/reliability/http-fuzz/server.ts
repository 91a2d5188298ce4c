// The server under test: `rrm serve` in its own process with the tiny generated model, run from
// the sources (node --import tsx lib/cli/entry.ts, in that one process: what is fuzzed is what is
// checked out, not a dist/ compiled earlier) or, with `bin`, as `node bin/rrm.js serve`; its stderr watched for stack traces and crash words, and its
// resident memory and open descriptors read from /proc.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tinyRrmModel } from "../../helpers/models.js";
import { getOnce } from "./client.js";
import { SERVER_ARGS } from "./generate.js";

const BIN = new URL("../../../bin/rrm.js", import.meta.url).pathname;
const ENTRY = new URL("../../../lib/cli/entry.ts", import.meta.url).pathname;

export interface ServeProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stderr lines that are not the per-request log ("POST /v1/compare 200 3ms"): warnings, traces. */
  unusual(): string[];
  /** Requests the server logged, by status. */
  statuses(): Map<number, number>;
  tail(): string;
  rssMiB(): number;
  fds(): number;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startServe(extra: string[] = [], o: { model?: string; readyMs?: number; bin?: boolean; threads?: string } = {}): Promise<ServeProcess> {
  const model = o.model ?? tinyRrmModel();
  const child = spawn(process.execPath, [...(o.bin ? [BIN] : ["--import", "tsx", ENTRY]), "serve", "--model", model, "--port", "0", "--threads", o.threads ?? "1", ...SERVER_ARGS, ...extra], { stdio: ["ignore", "ignore", "pipe"] });
  const unusual: string[] = [];
  const statuses = new Map<number, number>();
  let tail = "", partial = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => {
    tail = (tail + d).slice(-20_000);
    const lines = (partial + d).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const m = /^[A-Z]+ \S+ (\d{3}) \d+ms/.exec(line);
      if (m) statuses.set(Number(m[1]), (statuses.get(Number(m[1])) ?? 0) + 1);
      else if (line.trim() && unusual.length < 200) unusual.push(line);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const t0 = Date.now();
  let url: string | undefined;
  while (!url) {
    url = /listening on (http:\/\/\S+)/.exec(tail)?.[1];
    if (child.exitCode !== null) throw new Error(`rrm serve exited with ${child.exitCode}: ${tail}`);
    if (Date.now() - t0 > (o.readyMs ?? 120_000)) throw new Error(`rrm serve never listened: ${tail}`);
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  while ((await getOnce(Number(new URL(url).port), "/health"))?.status !== 200) {
    if (child.exitCode !== null) throw new Error(`rrm serve exited with ${child.exitCode}: ${tail}`);
    if (Date.now() - t0 > (o.readyMs ?? 120_000)) throw new Error(`rrm serve never became ready: ${tail}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid!;
  return {
    child, pid, url, port: Number(new URL(url).port), exited,
    unusual: () => [...unusual],
    statuses: () => new Map(statuses),
    tail: () => tail,
    rssMiB: () => rssMiB(pid),
    fds: () => fdCount(pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Connections in the server's table (sockets among its descriptors). */
export function socketCount(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) n++;
    } catch {}
  }
  return n;
}

/** Stack-trace lines, crash words, Node warnings: what must never show in the server's stderr. */
export function alarming(lines: string[]): string[] {
  return lines.filter((l) => /^\s+at .+[:(]|Error:|Uncaught|unhandled|FATAL|Segmentation|Aborted|core dumped|Warning:|MaxListenersExceeded|heap out of memory/i.test(l));
}
