// `rrm` in this process: main(argv) with what it prints on stderr captured (console.error).
import { main } from "../../lib/cli/main.js";

export async function runMain(argv: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    return { code: await main(argv), stderr: lines.join("\n") };
  } finally {
    console.error = error;
  }
}
