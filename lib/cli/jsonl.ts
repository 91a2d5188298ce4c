// JSON Lines in and out: one item per line, from a file or stdin, to a file or stdout.
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";

/** Each line's value, or the reason it is not JSON: one bad line is that line's error, not the run's. */
export async function* readJsonl(path: string | undefined): AsyncGenerator<{ line: number; value?: unknown; error?: string }> {
  const input = !path || path === "-" ? process.stdin : createReadStream(path);
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (!text.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      yield { line, error: `line ${line}: not valid JSON (${(e as Error).message})` };
      continue;
    }
    yield { line, value };
  }
}

export function jsonlWriter(path: string | undefined) {
  const out = !path || path === "-" ? process.stdout : createWriteStream(path);
  return {
    write(value: unknown) {
      out.write(JSON.stringify(value) + "\n");
    },
    async close() {
      if (out !== process.stdout) await new Promise<void>((r) => (out as NodeJS.WritableStream).end(r));
    },
  };
}
