// JSON Lines in and out: one item per line, from a file or stdin, to a file or stdout.
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";

export async function* readJsonl(path: string | undefined): AsyncGenerator<{ line: number; value: unknown }> {
  const input = !path || path === "-" ? process.stdin : createReadStream(path);
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (!text.trim()) continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (e) {
      throw new Error(`${path ?? "stdin"}:${line}: not valid JSON (${(e as Error).message})`);
    }
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
