// Run inside a project that installed the packed tarballs, under the runtime being tested:
// a compare with votes, an abort, a worker thread, and require() of the package; one JSON line out.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { createEngine, createJudge, loadModel, makeTestModel } from "rrm-engine";

const path = makeTestModel({ shape: "tiny", type: "q8_0", vocabulary: "rrm" });
const model = await loadModel(path);
const engine = createEngine(model, { contextSize: 4096, maxSequences: 8, threads: 2 });
const judge = createJudge(engine);
const out = {};

const r = await judge.compare({ query: "2+2?", a: "4", b: "5" }, { votes: 4, thinkingBudget: 8, maxTokens: 24, seed: 7, swap: "alternate" });
out.votes = r.votes.a + r.votes.b + r.votes.invalid;
out.samples = r.samples.length;

const ac = new AbortController();
const pending = judge.compare({ query: "Long?", a: "x", b: "y" }, { votes: 2, maxTokens: 4000, signal: ac.signal });
setTimeout(() => ac.abort(), 200);
out.abort = await pending.then(() => "finished", (e) => e.name);
out.liveAfterAbort = engine.stats().liveSequences;

out.worker = await new Promise((resolve, reject) => {
  const w = new Worker(new URL("./worker.mjs", import.meta.url), { workerData: { path } });
  w.once("message", resolve);
  w.once("error", reject);
});

engine.dispose();
model.dispose();

// require() of the ESM package: Node >= 20.19 / 22.12 and Bun load it synchronously.
try {
  out.require = typeof createRequire(import.meta.url)("rrm-engine").loadModel;
} catch (e) {
  out.require = `error: ${e.code ?? ""} ${e.message.split("\n")[0]}`;
}
console.log(JSON.stringify(out));
