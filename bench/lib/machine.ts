// Where a figure was measured: every benchmark prints this beside its table.
import { cpus, totalmem } from "node:os";
import { loadAddon } from "../../bindings/index.js";
import { wilson } from "../../lib/eval/intervals.js";

export function machineLine(): string {
  const cpu = cpus()[0]?.model?.trim() ?? "unknown CPU";
  const gpus = loadAddon().systemInfo().devices.filter((d) => d.type !== "cpu").map((d) => d.description);
  return `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB${gpus.length ? ", " + gpus.join(", ") : ", no GPU"}; node ${process.version}; ${new Date().toISOString().slice(0, 10)}`;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === "number" ? (Number.isInteger(c) ? String(c) : c.toFixed(2)) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) => "| " + r.map((c, i) => String(c).padEnd(widths[i])).join(" | ") + " |";
  return [line(cells[0]), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...cells.slice(1).map(line)].join("\n");
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** k of n as a percentage with its Wilson 95% interval: "60.5 (53.6-67.0)". */
export function percentWithInterval(k: number, n: number): string {
  const w = wilson(k / n, n);
  return `${((100 * k) / n).toFixed(1)} (${(100 * w.low).toFixed(1)}-${(100 * w.high).toFixed(1)})`;
}
