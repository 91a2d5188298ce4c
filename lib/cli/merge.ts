// rrm merge: joins the outputs of `--shard K/N` runs back into input order (by each record's input
// line), refusing duplicates and shards of different runs (their header lines' settings differ:
// run-header.ts); for eval outputs it can also write the summary of the whole.
import { readFileSync, writeFileSync } from "node:fs";
import { writeEvalSummary } from "./eval.js";
import { parse, UsageError } from "./options.js";
import { CliError, EXIT } from "./exit-codes.js";
import { guardDerivedOutput, guardOutput, headerLine, headerOf, settingsDifferences, type RunHeader } from "./run-header.js";

export const MERGE_HELP = `rrm merge -o out.jsonl shard0.jsonl shard1.jsonl ...
  Joins shard outputs (rrm compare / rank / eval --shard K/N) into input order.
  Shards of different runs (other settings in their first lines) are refused, naming each difference.
  --eval                    the files are rrm eval items: also print the summary
  --json FILE  --report FILE   with --eval: the summary as JSON / HTML
  --overwrite               replace a non-empty -o (and --json/--report) file`;

export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { output: { type: "string", short: "o" }, eval: { type: "boolean" }, overwrite: { type: "boolean" }, json: { type: "string" }, report: { type: "string" }, help: { type: "boolean", short: "h" } }, true);
  if (values.help) return console.log(MERGE_HELP), 0;
  if (positionals.length === 0) throw new UsageError("give the shard outputs to merge");
  if ((values.json || values.report) && !values.eval) throw new UsageError("--json and --report need --eval");
  const out = values.output && values.output !== "-" ? (values.output as string) : undefined;
  if (out) guardOutput(out, { overwrite: values.overwrite });
  guardDerivedOutput(values.json, "--json", { overwrite: values.overwrite });
  guardDerivedOutput(values.report, "--report", { overwrite: values.overwrite });
  const byLine = new Map<number, { text: string; file: string }>();
  const files = positionals.map((file) => {
    const lines = readFileSync(file, "utf8").split("\n");
    return { file, lines, header: headerOf(lines[0]) };
  });
  // Different runs first: their records would also collide, but the settings say why.
  const run = oneRun(files);
  for (const { file, lines, header } of files) {
    lines.forEach((text, i) => {
      if (!text.trim() || (i === 0 && header)) return;
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
  // The records' own bytes, so merged shards equal an unsharded run's output byte for byte; the
  // header without the shard is the unsharded run's.
  const text = (run ? JSON.stringify(headerLine(run)) + "\n" : "") + lines.map((l) => byLine.get(l)!.text + "\n").join("");
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
  console.error(`merged ${lines.length} records from ${positionals.length} files`);
  if (values.eval) {
    writeEvalSummary(lines.map((l) => JSON.parse(byLine.get(l)!.text)), { json: values.json, report: values.report, title: "rrm eval (merged)", model: run?.model ?? "merged shards", run, itemsOnStdout: !out });
  }
  return 0;
}

/** The run the shards come from: refuses shards whose settings (or shard counts) differ; undefined when no file has a header. */
function oneRun(headers: { file: string; header: RunHeader | undefined }[]): RunHeader | undefined {
  const first = headers.find((h) => h.header);
  if (!first) {
    console.error("rrm merge: these files record no run settings (written before rrm kept them): cannot check that they are shards of one run");
    return undefined;
  }
  const a = first.header!;
  const counts = new Set<string>();
  for (const { file, header: b } of headers) {
    if (!b) throw new CliError(`${file} has no run header while ${first.file} has one: they are not shards of one run`, EXIT.usage);
    const diffs = settingsDifferences(a.settings, b.settings, [`in ${first.file}`, `in ${file}`]);
    if (a.command !== b.command) diffs.unshift(`command: rrm ${a.command} in ${first.file}, rrm ${b.command} in ${file}`);
    if (diffs.length) throw new CliError(`${first.file} and ${file} are outputs of different runs:\n  ${diffs.join("\n  ")}`, EXIT.usage);
    if (b.shard) counts.add(b.shard.split("/")[1]);
  }
  if (counts.size > 1) throw new CliError(`the files are shards of different splits (${headers.map((h) => `${h.file}: ${h.header!.shard ?? "not sharded"}`).join(", ")})`, EXIT.usage);
  const { shard: _shard, ...run } = a;
  return run;
}
