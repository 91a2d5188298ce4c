// Runs JSONL items with bounded concurrency and writes results in input order.
import { jsonlWriter, readJsonl } from "./jsonl.js";

export async function runItems<T>(
  input: string | undefined,
  output: string | undefined,
  concurrency: number,
  check: (value: unknown, line: number) => T,
  work: (item: T, line: number) => Promise<unknown>,
  onItemDone: () => void,
): Promise<{ ok: number; failed: number }> {
  const out = jsonlWriter(output);
  const results = new Map<number, unknown>();
  let nextToWrite = 0, index = 0, ok = 0, failed = 0;
  const inFlight = new Set<Promise<void>>();
  const flush = () => {
    while (results.has(nextToWrite)) {
      out.write(results.get(nextToWrite));
      results.delete(nextToWrite++);
    }
  };
  for await (const { line, value, error } of readJsonl(input)) {
    const k = index++;
    const task = (async () => {
      try {
        if (error !== undefined) throw new Error(error);
        const item = check(value, line);
        results.set(k, { line, ...(await work(item, line) as object) });
        ok++;
      } catch (e) {
        // One bad item is reported in its place; the others go on.
        results.set(k, { line, error: (e as Error).message });
        failed++;
      }
      onItemDone();
      flush();
    })();
    inFlight.add(task);
    task.finally(() => inFlight.delete(task));
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  flush();
  await out.close();
  return { ok, failed };
}
