// Tests that need a program the README's set-up does not install (Debian's chromium, qemu-user,
// another Node.js): on a fresh machine they are skipped with the reason and the install command,
// and counted as skipped; under CI=true a missing tool is a failure, so CI still runs everything.
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Test } from "uvu";

export interface SystemTool {
  /** What the tests call it in messages. */
  name: string;
  /** Absolute paths or program names looked up on PATH, first found wins. */
  candidates: string[];
  /** How to get it, printed with the skip. */
  install: string;
}

export const CHROMIUM: SystemTool = { name: "chromium", candidates: [process.env.CHROMIUM ?? "", "chromium", "chromium-browser", "google-chrome"], install: "apt-get install chromium" };
export const PYTHON3: SystemTool = { name: "python3", candidates: [process.env.PYTHON ?? "", "python3"], install: "apt-get install python3" };
export const OBJDUMP: SystemTool = { name: "objdump", candidates: ["objdump"], install: "apt-get install binutils" };
export const QEMU_USER: SystemTool = { name: "qemu-user", candidates: ["qemu-x86_64", "qemu-x86_64-static"], install: "apt-get install qemu-user" };

export function findTool(tool: SystemTool): string | null {
  for (const c of tool.candidates) {
    if (!c) continue;
    if (c.includes("/")) { if (existsSync(c)) return c; continue; }
    for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir && existsSync(join(dir, c))) return join(dir, c);
  }
  return null;
}

const required = () => process.env.CI === "true" || process.env.CI === "1";

/**
 * `test` when every tool is here (or under CI, where a missing tool fails the test with the install
 * command); otherwise `test.skip`, after one "# skipped:" line that the test runner collects.
 */
export function testNeeding(test: Test, ...tools: SystemTool[]): Test {
  const missing = tools.filter((t) => !findTool(t));
  if (!missing.length) return test;
  const why = missing.map((t) => `${t.name} not found (install: ${t.install})`).join("; ");
  // The same suite (hooks, run) with each test either failing at once or skipped.
  const as = (register: (name: string, fn: Parameters<Test>[1]) => void): Test =>
    Object.assign(register, { only: test.only, skip: test.skip, before: test.before, after: test.after, run: test.run });
  if (required()) return as((name) => test(name, () => { throw new Error(`CI=true requires it: ${why}`); }));
  console.log(`# skipped: ${why}`);
  return as((name, fn) => test.skip(name, fn));
}
