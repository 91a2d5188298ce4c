// --judge on the command line: flags checked before the model loads, auto saying what it picked,
// every judging command (compare, rank, eval) with a preset, custom templates, rrm judges,
// make-model --judge and rrm info.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { JUDGE_PRESET_NAMES } from "../../lib/judges/index.js";
import { makeTestModel } from "../../lib/testmodel/make-model.js";
import { jsonRecords } from "../helpers/rrm-process.js";

const entry = new URL("../../lib/cli/entry.ts", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "rrm-cli-judges-"));
const rrm = (args: string[], input?: string) => spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { encoding: "utf8", input, timeout: 300_000 });
const SHORT = ["--thinking-budget", "8", "--max-tokens", "16", "--threads", "2", "--no-progress", "--seed", "3"];
const PAIRS = [JSON.stringify({ query: "2+2?", a: "4", b: "5" }), JSON.stringify({ query: "Capital of France?", a: "Paris", b: "Lyon" })].join("\n");

test("rrm judges lists every preset with its source; bad --judge flags fail before the model loads", () => {
  const r = rrm(["judges"]);
  assert.is(r.status, 0);
  for (const n of JUDGE_PRESET_NAMES) assert.match(r.stdout, new RegExp(`^${n}$`, "m"));
  assert.match(r.stdout, /github\.com\/RM-R1-UIUC\/RM-R1 @ d4c2542/);
  // A model file that exists (a missing one is said first), never loaded: the flags fail before.
  const present = makeTestModel({ vocabulary: "rrm" });
  const unknown = rrm(["compare", "--model", present, "--judge", "gpt4"]);
  assert.is(unknown.status, 2);
  assert.match(unknown.stderr, /--judge expects one of rrm, rm-r1-reasoning, .*auto, custom, got "gpt4"/);
  assert.is(rrm(["rank", "--model", present, "--judge-template", "t.txt"]).status, 2);
  const custom = rrm(["eval", "--model", present, "--judge", "custom", "--judge-template", "/nonexistent.txt", "--judge-verdict", "(A|B)"]);
  assert.is(custom.status, 2);
  assert.match(custom.stderr, /Cannot read the judge template file \/nonexistent\.txt/);
});

test("compare --judge auto on an RM-R1 test model says what it picked and judges with it", () => {
  const model = makeTestModel({ judge: "rm-r1-reasoning" });
  const r = rrm(["compare", "--model", model, "--judge", "auto", "--votes", "2", ...SHORT], PAIRS);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /judge: rm-r1-reasoning \(auto: general\.name "rrm-engine test .*rm-r1-reasoning judge family.*" names RM-R1 \(DeepSeek-distilled\), so the rm-r1-reasoning judge/);
  const out = jsonRecords(r.stdout);
  assert.is(out.length, 2);
  for (const o of out) assert.is(o.votes.a + o.votes.b, 2);
});

test("rank and eval with a preset on its family's model (Llama-3.1 vocabulary for J1)", () => {
  const model = makeTestModel({ judge: "j1" });
  const rank = rrm(["rank", "--model", model, "--judge", "j1", "--strategy", "knockout", ...SHORT], JSON.stringify({ query: "Best?", candidates: ["x", "y", "z"] }));
  assert.is(rank.status, 0, rank.stderr);
  assert.match(rank.stderr, /judge: j1 \(the j1 judge;/);
  assert.ok(Number.isInteger(jsonRecords(rank.stdout)[0].winner));
  const items = join(dir, "items.jsonl");
  writeFileSync(items, JSON.stringify({ id: "e1", prompt: "Which is right?", chosen: "right", rejected: "wrong", subset: "custom" }) + "\n");
  const ev = rrm(["eval", "--model", model, "--judge", "think-rm-binary", "-i", items, "-o", join(dir, "eval-out.jsonl"), ...SHORT]);
  assert.is(ev.status, 0, ev.stderr);
  assert.match(ev.stderr, /judge: think-rm-binary/);
});

test("custom: a template file and a verdict pattern", () => {
  const model = makeTestModel({ vocabulary: "rrm" });
  const tpl = join(dir, "judge.json");
  writeFileSync(tpl, JSON.stringify({ system: "Compare.", user: "Q: {query}\n1) {a}\n2) {b}\nAnswer [[1]] or [[2]].", prefill: "<think>\n" }));
  const r = rrm(["compare", "--model", model, "--judge", "custom", "--judge-template", tpl, "--judge-verdict", "\\[\\[(1|2)\\]\\]", "--max-tokens", "4", "--threads", "2", "--no-progress"], PAIRS);
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stderr.includes("judge: custom (the custom judge; verdict: the last match of /\\[\\[(1|2)\\]\\]/"), r.stderr);
  for (const rec of jsonRecords(r.stdout)) assert.is(rec.winner, null); // random weights write no verdict
});

test("make-model --judge writes the family's test model; info says what auto picks", () => {
  const out = join(dir, "think.gguf");
  const mk = rrm(["make-model", "--judge", "think-rm", "--out", out]);
  assert.is(mk.status, 0, mk.stderr);
  const info = rrm(["info", "--model", out, "--threads", "2"]);
  assert.is(info.status, 0, info.stderr);
  assert.match(info.stdout, /"architecture": "llama"/);
  assert.match(info.stdout, /judge \(--judge auto\): think-rm \(auto: general\.name .* names Think-RM \(multiclass\)/);
  assert.is(rrm(["make-model", "--judge", "gpt", "--out", out]).status, 2);
});

test.run();
