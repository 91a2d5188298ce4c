// The README's fenced code blocks, and its shell blocks as commands (comments dropped, lines
// joined at a trailing backslash), for test/native/readme.test.ts.
import { readFileSync } from "node:fs";

export interface ReadmeBlock { lang: string; line: number; text: string }

export const README = new URL("../../README.md", import.meta.url).pathname;

export function readmeBlocks(path = README): ReadmeBlock[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const blocks: ReadmeBlock[] = [];
  let open: { lang: string; line: number; body: string[] } | undefined;
  lines.forEach((l, i) => {
    const fence = /^```\s*([\w-]*)\s*$/.exec(l);
    if (!fence) return void open?.body.push(l);
    if (open) {
      blocks.push({ lang: open.lang, line: open.line, text: open.body.join("\n") });
      open = undefined;
    } else open = { lang: fence[1], line: i + 1, body: [] };
  });
  return blocks;
}

/** A shell block's commands: one per line, a trailing backslash joins lines, comments and blank lines dropped. */
export function shellCommands(text: string): string[] {
  const joined = text.replace(/\\\n\s*/g, "");
  return joined.split("\n").map((l) => stripComment(l).trim()).filter(Boolean);
}

/** Drops a `#` comment that is not inside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}
