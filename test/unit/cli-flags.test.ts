// Whole-run flag errors: one usage error, exit 2, before the model loads, for every command that
// judges. The model path does not exist: had anything tried to load it, the answer would be exit 1
// "Model file not found", so exit 2 with the flag's message shows the check came first.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { availableParallelism } from "node:os";
import { runMain } from "../helpers/cli-main.js";
import { joinNegativeValues, MAX_THREADS } from "../../lib/cli/flag-checks.js";

const run = runMain;

const BAD: [string[], RegExp][] = [
  [["--votes", "0"], /--votes expects an integer in 1\.\.1024, got "0"/],
  [["--max-tokens", "0"], /--max-tokens expects an integer in 1\.\.1048576, got "0"/],
  [["--swap", "sideways"], /--swap expects one of random, alternate, none, got "sideways"/],
  [["--thinking-budget", "-1"], /--thinking-budget expects an integer in 1\.\.8191 .*got "-1"/],
  [["--threads", "999"], new RegExp(`--threads expects an integer in 1\\.\\.${MAX_THREADS} \\(4 x this machine's ${availableParallelism()} CPUs\\), got "999"`)],
  [["--max-tokens", "16", "--thinking-budget", "16"], /--thinking-budget expects an integer in 1\.\.15 \(below --max-tokens\)/],
  [["--top-p", "2"], /--top-p expects a number in 0\.\.1/],
  [["--temperature", "-0.5"], /--temperature expects a number in 0\.\.100, got "-0.5"/],
  [["--tie-break", "maybe"], /--tie-break expects one of/],
  [["--seed", "-3"], /--seed expects an integer in 0\.\.4294967295/],
  [["--kv-type", "q2"], /--kv-type expects one of f16, q8_0, q4_0/],
  [["--context", "12"], /--context expects an integer in 64\.\./],
  [["--votes", "2.5"], /--votes expects an integer/],
  [["--votes", ""], /--votes expects an integer/],
  [["--confidence", "0.5"], /--confidence expects a number strictly between 0\.5 and 1/],
  [["--confidence", "2"], /--confidence expects a number in 0\.5\.\.1/],
];

for (const cmd of ["compare", "rank", "eval", "serve"]) {
  test(`${cmd}: each run-wide flag error is one usage error, exit 2, before the model loads`, async () => {
    for (const [flags, message] of BAD) {
      const r = await run([cmd, "--model", "/nonexistent/model.gguf", "--port", "0", ...flags].filter((a, i, all) => cmd === "serve" || (a !== "--port" && all[i - 1] !== "--port")));
      assert.is(r.code, 2, `${cmd} ${flags.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, `${cmd} ${flags.join(" ")}`);
      assert.not.match(r.stderr, /Model file not found|cannot read the model|listening/);
      // One line for the error, one pointing at --help; no stack trace.
      assert.is(r.stderr.split("\n").length, 2, r.stderr);
      assert.not.match(r.stderr, /\n\s+at /);
    }
  });
}

test("--concurrency and --shard are checked before the model loads too", async () => {
  for (const [flags, message] of [[["--concurrency", "0"], /--concurrency expects an integer in 1\.\.4096/], [["--shard", "3/2"], /--shard expects K\/N/]] as const) {
    const r = await run(["compare", "--model", "/nonexistent/model.gguf", ...flags]);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
});

test("rank: --strategy swiss, --rounds and --budget are checked before the model loads", async () => {
  for (const [flags, message] of [
    [["--strategy", "league"], /--strategy must be knockout, elo or swiss/],
    [["--rounds", "3"], /--rounds applies to --strategy swiss only/],
    [["--strategy", "swiss", "--rounds", "0"], /--rounds expects an integer of at least 1/],
    [["--budget", "0"], /--budget expects an integer of at least 1/],
    [["--budget", "x"], /--budget expects an integer/],
  ] as const) {
    const r = await run(["rank", "--model", "/nonexistent/model.gguf", ...flags]);
    assert.is(r.code, 2, `${flags.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const ok = await run(["rank", "--model", "/nonexistent/model.gguf", "--strategy", "swiss", "--rounds", "3", "--budget", "40", "--confidence", "0.9"]);
  assert.match(ok.stderr, /cannot read the model \/nonexistent\/model\.gguf: no such file or directory \(ENOENT\)/, "valid flags get as far as the model");
});

test("a missing input file is one line, exit 2, before the model loads", async () => {
  const r = await run(["compare", "--model", "/nonexistent/model.gguf", "-i", "/nonexistent/pairs.jsonl"]);
  assert.is(r.code, 2);
  assert.is(r.stderr, "rrm compare: cannot read the input /nonexistent/pairs.jsonl: no such file or directory (ENOENT)");
});

test("a negative number after a flag that takes a value is its value (not 'argument is ambiguous')", () => {
  const flags = new Set(["--thinking-budget", "-t", "--seed"]);
  assert.equal(joinNegativeValues(["--thinking-budget", "-1", "-t", "-2", "--seed", "-.5", "--no-progress", "-x"], flags), ["--thinking-budget=-1", "-t-2", "--seed=-.5", "--no-progress", "-x"]);
  // Not a number, or after a boolean flag: left for parseArgs to judge.
  assert.equal(joinNegativeValues(["--thinking-budget", "-h", "--no-progress", "-1"], flags), ["--thinking-budget", "-h", "--no-progress", "-1"]);
});

test("a stray argument is a usage error; one alone is the input file (rrm rank -m M items.jsonl)", async () => {
  for (const cmd of ["compare", "rank", "eval"]) {
    const two = await run([cmd, "--model", "/nonexistent/model.gguf", "a.jsonl", "b.jsonl"]);
    assert.is(two.code, 2, two.stderr);
    assert.match(two.stderr, /unexpected argument "b\.jsonl"; give one input file, as -i FILE or alone/);
    const both = await run([cmd, "--model", "/nonexistent/model.gguf", "-i", "a.jsonl", "b.jsonl"]);
    assert.match(both.stderr, /unexpected argument "b\.jsonl"/);
    // One file alone is the input: it is opened (and found missing) before the model loads.
    const one = await run([cmd, "--model", "/nonexistent/model.gguf", "/nonexistent/items.jsonl"]);
    assert.is(one.code, 2, one.stderr);
    assert.match(one.stderr, /\/nonexistent\/items\.jsonl/);
  }
  const info = await run(["info", "extra"]);
  assert.is(info.code, 2);
  assert.match(info.stderr, /unexpected argument "extra"/);
});

test.run();
