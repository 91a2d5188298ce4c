// The README cannot drift: every fenced block is either run here on the random-weight test model,
// each command or snippet in under a minute, or skipped with a reason named below; a new block
// that is neither fails this test. What runs, runs as written, with these substitutions only:
// - `npx rrm` / `node node_modules/.bin/rrm`: this checkout's CLI (lib/cli/entry.ts through tsx);
// - a model file name: the test model; `from "rrm-engine"`: this checkout's lib/index.ts;
// - a thinking budget of 64 where the command or snippet has none or a larger one: a random-weight
//   model never closes </think>, so without one every vote runs to the 8,192-token cap (rrm says
//   so on stderr); a trained judge needs no such change;
// - `localhost:8090` / the default port: a free port of this machine;
// - the input files the commands name (pairs.jsonl, candidates.jsonl, rewardbench.jsonl): three
//   or two lines each, written here. `const candidates` etc. for the snippets that use them.
//   node --import tsx test/native/readme.test.ts runs it alone.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readmeBlocks, shellCommands, type ReadmeBlock } from "../helpers/readme-blocks.js";
import { tinyRrmModel } from "../helpers/models.js";
import { judgePresets } from "../../lib/judges/index.js";
import { ENTRY } from "../helpers/rrm-process.js";

const LIMIT_MS = 60_000;
const BUDGET = 64;
const root = new URL("../..", import.meta.url).pathname;
const cwd = mkdtempSync(join(tmpdir(), "rrm-readme-"));
const model = tinyRrmModel();
// tsx by its URL: the commands run in a scratch folder, where "tsx" alone does not resolve.
const TSX = import.meta.resolve("tsx");
const RRM = `${JSON.stringify(process.execPath)} --import ${TSX} ${JSON.stringify(ENTRY)}`;

writeFileSync(join(cwd, "pairs.jsonl"), [
  { query: "What is 2+2?", a: "4", b: "5" },
  { query: "Capital of France?", a: "Paris", b: "Lyon" },
  { query: "A colour of the sky?", a: "blue", b: "green" },
].map((x) => JSON.stringify(x)).join("\n") + "\n");
writeFileSync(join(cwd, "candidates.jsonl"), [
  { query: "Best fruit?", candidates: ["apple", "pear", "plum", "fig", "kiwi"] },
  { query: "2+2?", candidates: ["4", "5", "four"] },
].map((x) => JSON.stringify(x)).join("\n") + "\n");
writeFileSync(join(cwd, "rewardbench.jsonl"), [
  { id: "1", prompt: "2+2?", chosen: "4", rejected: "5", subset: "math-prm" },
  { id: "2", prompt: "Capital of France?", chosen: ["Paris"], rejected: ["Lyon", "Nice", "Lille"], subset: "Factuality" },
  { id: "ref:3", prompt: "A prime below 10", chosen: ["7"], rejected: ["9", "4"], subset: "Ties" },
].map((x) => JSON.stringify(x)).join("\n") + "\n");

/** Why a block or command is not run here. A command not matched here and not runnable fails. */
const SKIPPED_BLOCKS: [(b: ReadmeBlock) => boolean, string][] = [
  [(b) => b.lang === "", "the source layout, not a command"],
  [(b) => b.lang === "yaml", "a Kubernetes manifest: its sharded, resumed rrm eval is test/native/eval-cli.test.ts's shard run"],
  [(b) => b.lang === "python", "Python clients of a running rrm serve (httpx, requests): the curl block calls the same routes"],
];
const SKIPPED_COMMANDS: [RegExp, string][] = [
  [/^(npm (install|run|test)|CMAKE_\w+=\S+ npm|bash scripts\/)/, "installs, builds or the test suite: the package tier installs the tarballs, CI builds and tests"],
  [/^node --import tsx test\/fuzz\//, "the long fuzz run (npm test runs its properties)"],
  [/rrm bench --shape 7b/, "writes and benchmarks a 7B model: minutes"],
  [/--compare-llama \/path\/to\//, "needs llama-batched-bench at a path of your own"],
];

function withBudget(cmd: string): string {
  if (!/\brrm (compare|rank|eval|serve)\b/.test(cmd)) return cmd;
  // A preset whose verdict is not one token cannot be forced after a budget: cap the tokens instead.
  const judge = /--judge (\S+)/.exec(cmd)?.[1];
  if (judge && judge in judgePresets && !judgePresets[judge as keyof typeof judgePresets].forced) {
    return /--max-tokens \d+/.test(cmd) ? cmd.replace(/--max-tokens \d+/, `--max-tokens ${BUDGET}`) : `${cmd} --max-tokens ${BUDGET}`;
  }
  const m = /--thinking-budget (\d+)/.exec(cmd);
  if (m) return Number(m[1]) > BUDGET ? cmd.replace(m[0], `--thinking-budget ${BUDGET}`) : cmd;
  return `${cmd} --thinking-budget ${BUDGET}`;
}

function rrmCommand(cmd: string): string {
  return withBudget(cmd)
    .replace(/^(RRM_API_KEY=)\.\.\./, "$1test-key")
    .replace(/(^|\s)(npx rrm|node node_modules\/\.bin\/rrm)(?=\s)/, `$1${RRM}`)
    .replace(/((?:--model|-m) )\S+\.gguf/g, `$1${JSON.stringify(model)}`);
}

function sh(cmd: string, timeout = LIMIT_MS): { status: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = Date.now();
  // coreutils' timeout ends the command itself (spawnSync's would end only the shell, and wait
  // for the command's open pipes); --kill-after for one that ignores SIGTERM.
  const r = spawnSync("timeout", ["--kill-after=5", String(Math.ceil(timeout / 1000)), "sh", "-c", cmd], { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, "127.0.0.1", res));
  const port = (s.address() as { port: number }).port;
  await new Promise((res) => s.close(res));
  return port;
}

/** Starts a serve command, waits for "ready", stops it with SIGTERM: it must drain and exit 0. */
async function serveOnce(cmd: string, port: number, keep?: (stop: () => Promise<number | null>) => Promise<void>): Promise<void> {
  // exec, so that SIGTERM reaches rrm serve itself; a leading VAR=value stays before it.
  const [, env, rest] = /^((?:\w+=\S+ )*)(.*)$/.exec(cmd)!;
  const child = spawn("sh", ["-c", `${env}exec ${rest} --port ${port}`], { cwd, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  const t0 = Date.now();
  while (!/rrm serve: ready/.test(err)) {
    if (Date.now() - t0 > LIMIT_MS || child.exitCode !== null) {
      child.kill("SIGKILL");
      assert.unreachable(`${cmd}: not ready in time\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    child.kill("SIGTERM");
    return exited;
  };
  if (keep) await keep(stop);
  const code = await stop();
  assert.is(code, 0, `${cmd}: ${err}`);
}

const blocks = readmeBlocks();
const ran: string[] = [];

test("every README block is run or skipped with a reason", () => {
  for (const b of blocks) {
    const known = SKIPPED_BLOCKS.some(([f]) => f(b)) || ["sh", "js", "ts", "json"].includes(b.lang);
    assert.ok(known, `README block at line ${b.line} (${b.lang || "no language"}): add a way to run it here, or a reason to skip it`);
  }
});

for (const b of blocks.filter((x) => x.lang === "sh" && !/^curl /m.test(x.text))) {
  test(`README line ${b.line}: each shell command, under a minute`, async () => {
    for (const raw of shellCommands(b.text)) {
      const skip = SKIPPED_COMMANDS.find(([re]) => re.test(raw));
      if (skip) continue;
      assert.match(raw, /^(npx rrm|node node_modules\/\.bin\/rrm|RRM_API_KEY=\S+ node node_modules\/\.bin\/rrm|RRM_CPU_VARIANT=\w+ npx rrm) /, `README line ${b.line}: "${raw}" is neither run nor skipped with a reason`);
      const cmd = rrmCommand(raw);
      if (/\brrm serve\b/.test(raw)) {
        await serveOnce(cmd, await freePort());
      } else {
        const r = sh(cmd);
        assert.is(r.status, 0, `${raw}\n${r.stderr.slice(-2000)}`);
        assert.ok(r.ms < LIMIT_MS, `${raw}: ${r.ms} ms`);
      }
      ran.push(raw);
    }
  });
}

test("the curl block against rrm serve on the test model: every call answers, none with an error", async () => {
  const b = blocks.find((x) => x.lang === "sh" && /^curl /m.test(x.text))!;
  const port = await freePort();
  await serveOnce(rrmCommand(`npx rrm serve --model judge.gguf --votes 2`), port, async () => {
    for (const raw of shellCommands(b.text)) {
      const r = sh(raw.replace(/localhost:8090/g, `127.0.0.1:${port}`));
      assert.is(r.status, 0, `${raw}\n${r.stderr}`);
      assert.ok(r.ms < LIMIT_MS, `${raw}: ${r.ms} ms`);
      if (/\/metrics/.test(raw)) {
        assert.match(r.stdout, /^# (HELP|TYPE) /m);
        continue;
      }
      for (const line of r.stdout.trim().split("\n")) {
        const v = JSON.parse(line);
        assert.not.ok(v.error || v.statusCode >= 400, `${raw}: ${line}`);
      }
      ran.push(raw);
    }
  });
});

/** A JS/TS snippet as a module: this checkout's API, the test model, a budget, what it uses defined. */
function snippetModule(text: string): string {
  const prelude = `
import { loadModel, createEngine, createJudge } from ${JSON.stringify(join(root, "lib/index.ts"))};
const candidates = ["drops on the tin roof", "rain rain rain", "grey sky weeps softly", "wet"];
const query = "Write a haiku";
const pair = { query: "What is 2+2?", a: "4", b: "5" };
`;
  const own = /\bloadModel\(/.test(text);
  let body = text
    .replace(/^import .* from "rrm-engine";\n/m, "")
    .replace(/loadModel\("[^"]+\.gguf"/g, `loadModel(${JSON.stringify(model)}`)
    .replace(/thinkingBudget: (\d+)/g, (m, n) => (Number(n) > BUDGET ? `thinkingBudget: ${BUDGET}` : m))
    .replace(/createJudge\(engine\)/g, `createJudge(engine, { defaults: { thinkingBudget: ${BUDGET} } })`);
  if (!own) {
    body = `const model = await loadModel(${JSON.stringify(model)});\nconst engine = createEngine(model);\nconst judge = createJudge(engine, { defaults: { thinkingBudget: ${BUDGET} } });\n${body}\nengine.dispose();\nmodel.dispose();\n`;
  }
  return `${prelude}\n${body}\nconsole.log("snippet done");\n`;
}

for (const b of blocks.filter((x) => x.lang === "js" || x.lang === "ts")) {
  test(`README line ${b.line}: the ${b.lang} snippet runs to its end, under a minute`, () => {
    const file = join(cwd, `snippet-${b.line}.mts`);
    writeFileSync(file, snippetModule(b.text));
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ["--import", TSX, file], { cwd, encoding: "utf8", timeout: LIMIT_MS });
    assert.is(r.status, 0, r.stderr.slice(-2000));
    assert.match(r.stdout, /snippet done/);
    assert.ok(Date.now() - t0 < LIMIT_MS);
  });
}

test("the README's run header example has the keys of a real run's header", () => {
  const b = blocks.find((x) => x.lang === "json" && x.text.includes('"rrmRun"'))!;
  const shape = (v: unknown): unknown => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)])) : typeof v);
  const doc = JSON.parse(b.text);
  const r = sh(`${RRM} compare -m ${JSON.stringify(model)} --votes 8 --thinking-budget ${BUDGET} -i pairs.jsonl --no-progress | head -1`);
  const real = JSON.parse(r.stdout);
  // The example has no thinking budget (null); the run here has one (a number).
  real.rrmRun.settings.judge.thinkingBudget = null;
  assert.equal(shape(doc), shape(real));
});

test("something ran", () => {
  assert.ok(ran.length >= 12, `${ran.length} commands ran`);
  assert.ok(readFileSync(join(cwd, "items.jsonl"), "utf8").startsWith('{"rrmRun"'));
});

test.run();
