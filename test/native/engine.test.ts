import { execFileSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toolPath } from "../../bindings/index.js";
import { createEngine, type Engine } from "../../lib/engine.js";
import { loadModel, type Model } from "../../lib/model.js";
import { tinyModel } from "../helpers/models.js";

let model: Model;
let engine: Engine;
test.before(async () => {
  model = await loadModel(tinyModel());
  engine = createEngine(model, { contextSize: 4096, maxSequences: 16, threads: 2 });
});
test.after(() => {
  engine.dispose();
  model.dispose();
});

const PROMPT = "The history of the printing press begins in";

// Random-weight models soon repeat one token under greedy decoding; the f16 model's second prompt
// changes token midway ("/apis" then "iras"), which makes the comparison sharper.
const GREEDY_CASES = [
  { type: "q8_0", prompt: PROMPT },
  { type: "f16", prompt: "Once upon a time" },
] as const;

function llamaSimple(path: string, prompt: string, nPredict: number): string {
  return execFileSync(toolPath("llama-simple"), ["-m", path, "-n", String(nPredict), prompt], { encoding: "latin1", stdio: ["ignore", "pipe", "ignore"] });
}

test("greedy n=1 and each of n=4 samples give exactly llama-simple's tokens (same source, same model)", async () => {
  const nPredict = 24;
  for (const c of GREEDY_CASES) {
    const m = c.type === "q8_0" ? model : await loadModel(tinyModel({ type: c.type }));
    const e = m === model ? engine : createEngine(m, { contextSize: 1024, maxSequences: 4, threads: 2 });
    const expected = llamaSimple(m.info.path, c.prompt, nPredict);
    const promptText = m.detokenize(m.tokenize(c.prompt));
    for (const n of [1, 4]) {
      const r = await e.generate({ prompt: c.prompt, n, maxTokens: nPredict, temperature: 0, ignoreEos: true, prefixCache: false });
      for (const sample of r.completions) {
        // llama-simple prints the prompt's pieces, each generated piece, then a newline: compare bytes.
        const ours = Buffer.from(promptText + m.detokenize(sample.tokens), "utf8").toString("latin1");
        assert.is(ours + "\n", expected, `${c.type}, n=${n}`);
        assert.is(sample.tokens.length, nPredict);
      }
    }
    if (m !== model) {
      e.dispose();
      m.dispose();
    }
  }
});

test("the prompt is computed once for n = 8 samples", async () => {
  const prompt = model.tokenize("A shared prompt that all eight samples will continue from, decoded exactly once. ".repeat(4));
  const r = await engine.generate({ prompt, n: 8, maxTokens: 8, temperature: 0.8, seed: 7, ignoreEos: true, prefixCache: false });
  assert.is(r.stats.promptTokens, prompt.length);
  assert.is(r.stats.prefillTokensComputed, prompt.length);
  assert.is(r.stats.generatedTokens, 64);
  assert.is(r.completions.length, 8);
  assert.ok(new Set(r.completions.map((c) => c.tokens.join(","))).size > 1, "samples differ");
});

test("the same seed gives the same result; another seed does not", async () => {
  const req = { prompt: PROMPT, n: 3, maxTokens: 12, temperature: 0.9, topP: 0.95, topK: 50, minP: 0.01, ignoreEos: true };
  const a = await engine.generate({ ...req, seed: 123 });
  const b = await engine.generate({ ...req, seed: 123 });
  const c = await engine.generate({ ...req, seed: 124 });
  assert.equal(a.completions.map((x) => x.tokens), b.completions.map((x) => x.tokens));
  assert.not.equal(a.completions.map((x) => x.tokens), c.completions.map((x) => x.tokens));
});

test("parallel sampling and backend sampling: the same seed gives the same tokens", async () => {
  const req = { prompt: PROMPT, n: 6, maxTokens: 10, temperature: 0.6, seed: 77, ignoreEos: true, prefixCache: false };
  const run = async (o: object) => {
    const e = createEngine(model, { contextSize: 1024, maxSequences: 8, threads: 2, ...o });
    const r = await e.generate(req);
    e.dispose();
    return r.completions.map((c) => c.tokens);
  };
  const serial = await run({ samplingThreads: 1 });
  assert.equal(await run({ samplingThreads: 2 }), serial);
  assert.equal(await run({ samplingThreads: 4 }), serial);
  // In-graph sampling draws from the same distribution with its own RNG: reproducible, in range.
  const backend = await run({ backendSampling: true });
  assert.equal(await run({ backendSampling: true }), backend);
  for (const toks of backend) assert.ok(toks.length === 10 && toks.every((t) => t >= 0 && t < model.info.vocabularySize));
});

test("concurrent generate() calls share the batch and all complete", async () => {
  const before = engine.stats().steps;
  const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => engine.generate({ prompt: `Request number ${i} says`, n: 2, maxTokens: 10, ignoreEos: true, seed: i })));
  for (const r of rs) assert.is(r.stats.generatedTokens, 20);
  const steps = engine.stats().steps - before;
  assert.ok(steps < 6 * 10, `steps ${steps} should be well under one request after another (60)`);
});

test("stop strings and progress", async () => {
  const req = { prompt: PROMPT, n: 1, maxTokens: 12, temperature: 1, seed: 5, ignoreEos: true };
  const first = await engine.generate(req);
  const text = first.completions[0].text;
  const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 3);
  let calls = 0;
  const r = await engine.generate({ ...req, stop: [stop], onProgress: () => calls++ });
  assert.is(r.completions[0].finishReason, "stop");
  assert.is(r.completions[0].text, text.slice(0, text.indexOf(stop)));
  assert.ok(calls > 0);
});

test("bad input is a clear error and the engine keeps serving", async () => {
  const bad = async (req: any, pattern: RegExp) => {
    try {
      await engine.generate(req);
    } catch (e) {
      assert.match((e as Error).message, pattern);
      return;
    }
    assert.unreachable(`expected ${pattern}`);
  };
  const running = engine.generate({ prompt: PROMPT, n: 2, maxTokens: 16, ignoreEos: true });
  await bad({ prompt: PROMPT, n: 0 }, /request\.n.*got 0/);
  await bad({ prompt: PROMPT, n: 1025 }, /request\.n/);
  await bad({ prompt: PROMPT, maxTokens: 0 }, /request\.maxTokens/);
  await bad({ prompt: PROMPT, maxTokens: 1.5 }, /request\.maxTokens/);
  await bad({ prompt: "" }, /non-empty prompt/);
  await bad({ prompt: [1, 2, -4] }, /request\.prompt\[2\]/);
  await bad({ prompt: new Array(5000).fill(11) }, /5000 tokens.*context holds 4096/);
  await bad({ prompt: PROMPT, temperature: -1 }, /request\.temperature/);
  await bad({ prompt: PROMPT, topP: 2 }, /request\.topP/);
  await bad({ prompt: PROMPT, stop: "x" }, /request\.stop/);
  await bad({ prompt: PROMPT, maxToken: 3 }, /Unknown option request\.maxToken/);
  const r = await running;
  assert.is(r.stats.generatedTokens, 32);
});

test("abort rejects with AbortError and frees the sequences", async () => {
  const ac = new AbortController();
  const p = engine.generate({ prompt: PROMPT, n: 4, maxTokens: 900, ignoreEos: true, signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  try {
    await p;
    assert.unreachable("should reject");
  } catch (e) {
    assert.is((e as Error).name, "AbortError");
  }
  const s = engine.stats();
  assert.is(s.liveSequences, 0);
  assert.is(s.liveRequests, 0);
  const after = await engine.generate({ prompt: PROMPT, n: 1, maxTokens: 4, ignoreEos: true });
  assert.is(after.completions[0].tokens.length, 4);
});

test("use after dispose is an error", async () => {
  const e2 = createEngine(model, { contextSize: 1024, maxSequences: 2 });
  const inflight = e2.generate({ prompt: PROMPT, maxTokens: 500, ignoreEos: true });
  e2.dispose();
  try {
    await inflight;
    assert.unreachable("in-flight work must reject");
  } catch (e) {
    assert.match((e as Error).message, /disposed/);
  }
  try {
    await e2.generate({ prompt: PROMPT });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /disposed/);
  }
});

test.run();
