// rrm eval: accuracy of the judge on labelled pairs (RewardBench and RewardBench 2 formats), with
// RewardBench's section scores, intervals, position bias, reasoning lengths and throughput.
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { evaluateItem, parseEvalItem, type EvalItemRecord } from "../eval/items.js";
import { summarize, summaryMarkdown } from "../eval/summary.js";
import { evalReportHtml } from "../report/eval-report.js";
import { judgeHelp, judgeOptions } from "./commands.js";
import { judgeJsonl, RUN_FLAGS } from "./judge-jsonl.js";
import type { RunHeader } from "./run-header.js";
import { ENGINE_FLAGS, JUDGE_FLAGS, parse } from "./options.js";

export const EVAL_HELP = () => `rrm eval --model FILE -i pairs.jsonl [-o items.jsonl] [--json summary.json] [--report out.html]
  Accuracy on labelled pairs. Input lines: RewardBench {"id", "prompt", "chosen", "rejected", "subset"},
  or RewardBench 2 with "chosen" and "rejected" as lists: best-of-4 (the chosen answer against each
  rejected one: 0 when it loses one, else 1 / (1 + ties), as RewardBench 2 shares the top score) and
  Ties (every correct answer against every incorrect one; its accuracy parts are reported, and no
  Ties or RewardBench 2 score, which need rewards a pairwise judge does not give). Writes one record
  per item (its score, each comparison's votes by order shown, tokens per vote) and the summary as
  markdown (to stdout, or to stderr when the records take stdout): accuracy per subset with 95%
  intervals, RewardBench's sections (example-count weights) and overall score beside the RRM paper's
  rows, RewardBench 2's subsets, position bias (with --swap alternate every comparison is shown both
  ways and the summary says how often the orders agree), reasoning lengths, invalid votes and
  judgments per minute. A tie or no valid verdict scores 0.5 in a pair.
  --json FILE               the summary as JSON (with the run's settings)
  --report FILE             a self-contained HTML report
${judgeHelp()}`;

export async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...ENGINE_FLAGS, ...JUDGE_FLAGS, ...RUN_FLAGS, json: { type: "string" }, report: { type: "string" } });
  if (values.help) return console.log(EVAL_HELP()), 0;
  const records: (EvalItemRecord | { error: string })[] = [];
  return judgeJsonl({
    label: "eval", values, defaultConcurrency: 8, pairsPerItem: 3, options: judgeOptions(values),
    derived: [["--json", values.json], ["--report", values.report]],
    check: parseEvalItem,
    work: async (judge, item, opts, bar) => {
      const count = bar.itemCounter();
      const rec = await evaluateItem(judge, item, { ...opts, onProgress: (p) => count(p.generatedTokens, p.votesDone) });
      count.final(rec.judgments);
      return rec;
    },
    onRecord: (rec) => void records.push(rec as never),
    // After --resume the clock saw only part of the judgments: no rate then.
    finish: (elapsedMs, run) => writeEvalSummary(records, { json: values.json, report: values.report, title: `rrm eval: ${values.input ?? "stdin"}`, model: basename(String(values.model)), elapsedMs: values.resume ? undefined : elapsedMs, run, itemsOnStdout: !values.output || values.output === "-" }),
  });
}

/**
 * Writes an eval summary (markdown, --json, --report) from item records. The markdown goes to
 * stdout unless the item records do (`itemsOnStdout`): then to stderr, so stdout stays JSONL.
 */
export function writeEvalSummary(records: (EvalItemRecord | { error: string })[], o: { json?: string; report?: string; title: string; model: string; elapsedMs?: number; run?: RunHeader; itemsOnStdout?: boolean }) {
  const summary = summarize(records, o.elapsedMs);
  const markdown = summaryMarkdown(summary, o.model);
  if (o.itemsOnStdout) console.error(markdown);
  else console.log(markdown);
  if (o.json) writeFileSync(o.json, JSON.stringify(o.run ? { ...summary, run: o.run } : summary, null, 2) + "\n");
  if (o.report) {
    writeFileSync(o.report, evalReportHtml(summary, { title: o.title, model: o.model, run: o.run }));
    console.error(`report: ${o.report}`);
  }
}
