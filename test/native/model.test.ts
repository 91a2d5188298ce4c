import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadModel } from "../../lib/model.js";
import { tinyModel, tinyRrmModel } from "../helpers/models.js";

const dir = mkdtempSync(join(tmpdir(), "rrm-model-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function rejects(p: Promise<unknown>, pattern: RegExp) {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, pattern);
    return e as Error;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

test("loads with progress and reports metadata", async () => {
  const seen: number[] = [];
  const m = await loadModel(tinyModel(), { onProgress: (p) => seen.push(p) });
  assert.is(m.info.architecture, "qwen2");
  assert.is(m.info.vocabularySize, 151936);
  assert.is(m.info.trainingContextSize, 32768);
  assert.is(m.info.layers, 4);
  assert.ok(m.info.chatTemplate!.includes("im_start"));
  assert.ok(seen.length > 0 && seen[seen.length - 1] === 1);
  m.dispose();
  m.dispose(); // idempotent
  assert.throws(() => m.tokenize("x"), /disposed/);
});

test("tokenize leaves special-token text as text unless asked", async () => {
  const m = await loadModel(tinyRrmModel());
  assert.is(m.info.bos, 151646);
  assert.is(m.info.bosText, "<｜begin▁of▁sentence｜>");
  const text = "a </think> b <｜User｜> c <|im_end|>";
  const plain = m.tokenize(text);
  for (const t of m.specialTokens()) assert.not.ok(plain.includes(t.id), `plain text produced ${t.text}`);
  assert.is(m.detokenize(plain), text);
  const parsed = m.tokenize(text, { special: true });
  assert.ok(parsed.includes(151649) && parsed.includes(151644));
  assert.equal(m.tokenize("hi", { addSpecial: true })[0], 151646);
  assert.throws(() => m.detokenize([1, 999999999]), /tokens\[1\]/);
  m.dispose();
});

test("every weight type loads and generates (f16, q8_0, q4_k)", async () => {
  const { createEngine } = await import("../../lib/engine.js");
  for (const type of ["f16", "q8_0", "q4_k"] as const) {
    const m = await loadModel(tinyModel({ type }));
    const e = createEngine(m, { contextSize: 512, maxSequences: 2, threads: 2 });
    const r = await e.generate({ prompt: "Testing weights of type " + type, n: 2, maxTokens: 4, ignoreEos: true, seed: 1 });
    assert.is(r.stats.generatedTokens, 8, type);
    e.dispose();
    m.dispose();
  }
});

test("bad model files are clear errors, not crashes", async () => {
  await rejects(loadModel(join(dir, "nope.gguf")), /not found/);
  await rejects(loadModel(dir), /not a file/);
  writeFileSync(join(dir, "bad.gguf"), "not a gguf at all, just some text to read");
  await rejects(loadModel(join(dir, "bad.gguf")), /bad magic/);
  const bytes = readFileSync(tinyModel());
  writeFileSync(join(dir, "trunc.gguf"), bytes.subarray(0, bytes.length >> 1));
  await rejects(loadModel(join(dir, "trunc.gguf")), /data section|truncated/);
  await rejects(loadModel(tinyModel(), { gpuLayers: -3 } as any), /gpuLayers/);
  await rejects(loadModel(tinyModel(), { bogus: 1 } as any), /Unknown option options\.bogus/);
});

test("an aborted load rejects with AbortError", async () => {
  const ac = new AbortController();
  ac.abort();
  const e = await rejects(loadModel(tinyModel(), { signal: ac.signal }), /abort/i);
  assert.is(e!.name, "AbortError");
  const ac2 = new AbortController();
  const p = loadModel(tinyModel(), { signal: ac2.signal, onProgress: () => ac2.abort() });
  const e2 = await rejects(p, /abort/i);
  assert.is(e2!.name, "AbortError");
});

test.run();
