// A Python standard-library client (test/clients/genrm_client.py: urllib + a thread pool, what
// verl's genrm_remote recipe does) sends 16 concurrent chat requests to `rrm serve` as its own
// process, with an API key, and parses each answer for its verdict. Skipped, counted, without python3.
import { execFile } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tinyRrmModel } from "../helpers/models.js";
import { startRrm, until } from "../helpers/rrm-process.js";
import { findTool, PYTHON3, testNeeding } from "../helpers/system-tools.js";

const client = new URL("../clients/genrm_client.py", import.meta.url).pathname;
const t = testNeeding(test, PYTHON3);
// Asynchronous, so the server's log keeps flowing into this process while Python runs.
const python = (args: string[], timeout: number) => new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
  execFile(findTool(PYTHON3)!, [client, ...args], { encoding: "utf8", timeout }, (err, stdout, stderr) => resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
});

t("16 concurrent chat requests from Python threads: all answered, each parsed, prompts shared", async () => {
  const serve = startRrm(["serve", "--model", tinyRrmModel(), "--port", "0", "--threads", "2", "--api-key", "py-key", "--max-tokens", "16"]);
  try {
    await until(() => /listening on http:\/\/\S+/.test(serve.stderr()), 60_000, "rrm serve to listen");
    const url = /listening on (http:\/\/\S+)/.exec(serve.stderr())![1];
    await until(() => /ready:/.test(serve.stderr()), 120_000, "the model to load");
    const run = await python(["--base-url", url, "--api-key", "py-key", "--requests", "16", "--workers", "16"], 240_000);
    assert.is(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim().split("\n").pop()!);
    assert.is(out.answered, 16);
    // Random weights: no verdict in the noise, but every answer went through the parser.
    assert.is(out.verdicts["1"] + out.verdicts["2"] + out.verdicts["None"], 16);
    assert.equal(out.finish_reasons, ["length"]);
    assert.is(out.completion_tokens, 16 * 16);
    assert.ok(out.reasoning_chars > 0, "R1-Distill's template opens <think>: the text came back as reasoning_content");
    await until(() => (serve.stderr().match(/POST \/v1\/chat\/completions 200/g) ?? []).length === 16, 5000, "16 logged answers");
    // The requests share the template and the start of the prompt: the prefix cache served it.
    const metrics = await (await fetch(url + "/metrics", { headers: { authorization: "Bearer py-key" } })).text();
    assert.ok(Number(/^rrm_prompt_tokens_reused_total (\d+)/m.exec(metrics)?.[1]) > 0, metrics);
    // A wrong key is refused in OpenAI's shape.
    const wrong = await python(["--base-url", url, "--api-key", "nope", "--requests", "1"], 60_000);
    assert.ok(wrong.status !== 0 && /401/.test(wrong.stderr), wrong.stderr);
  } finally {
    serve.child.kill("SIGTERM");
    await serve.exited;
  }
});

t.run();
