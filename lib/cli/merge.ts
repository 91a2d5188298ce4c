// rrm merge: joins the outputs of `--shard K/N` runs back into input order (by each record's input
// line), refusing duplicates; for eval outputs it can also write the summary of the whole.
import { readFileSync, writeFileSync } from "node:fs";
import { writeEvalSummary } from "./eval.js";
import { parse, UsageError } from "./options.js";

export const MERGE_HELP = `rrm merge -o out.jsonl shard0.jsonl shard1.jsonl ...
  Joins shard outputs (rrm compare / rank / eval --shard K/N) into input order.
  --eval                    the files are rrm eval items: also print the summary
  --json FILE  --report FILE   with --eval: the summary as JSON / HTML`;

export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { output: { type: "string", short: "o" }, eval: { type: "boolean" }, json: { type: "string" }, report: { type: "string" }, help: { type: "boolean", short: "h" } }, true);
  if (values.help) return console.log(MERGE_HELP), 0;
  if (positionals.length === 0) throw new UsageError("give the shard outputs to merge");
  if ((values.json || values.report) && !values.eval) throw new UsageError("--json and --report need --eval");
  const byLine = new Map<number, { text: string; file: string }>();
  for (const file of positionals) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((text, i) => {
      if (!text.trim()) return;
      let rec: { line?: unknown };
      try {
        rec = JSON.parse(text);
      } catch {
        // A killed shard may end in a partial line: say so rather than merge a hole silently.
        throw new Error(`${file}:${i + 1}: not a JSON record${i === lines.length - 1 ? " (a partial last line: finish that shard with --resume first)" : ""}`);
      }
      if (typeof rec.line !== "number") throw new Error(`${file}:${i + 1}: the record has no "line" (is it an rrm output?)`);
      const prev = byLine.get(rec.line);
      if (prev) throw new Error(`input line ${rec.line} is in both ${prev.file} and ${file}`);
      byLine.set(rec.line, { text, file });
    });
  }
  const lines = [...byLine.keys()].sort((a, b) => a - b);
  // The records' own bytes, so merged shards equal an unsharded run's output byte for byte.
  const text = lines.map((l) => byLine.get(l)!.text + "\n").join("");
  if (values.output && values.output !== "-") writeFileSync(values.output, text);
  else process.stdout.write(text);
  console.error(`merged ${lines.length} records from ${positionals.length} files`);
  if (values.eval) {
    writeEvalSummary(lines.map((l) => JSON.parse(byLine.get(l)!.text)), { json: values.json, report: values.report, title: "rrm eval (merged)", model: "merged shards" });
  }
  return 0;
}
