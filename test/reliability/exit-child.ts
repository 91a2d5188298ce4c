// Child of exit.test.ts. Modes: "dispose" disposes with work in flight; "finish" lets work
// finish and never disposes; "worker" runs the engine in a worker thread; "exit-mid-decode" calls
// process.exit(130) while decoding. The process must exit, with its own code.
import { Worker, isMainThread, workerData, parentPort } from "node:worker_threads";
import { createEngine } from "../../lib/engine.js";
import { loadModel } from "../../lib/model.js";

const [path, mode] = isMainThread ? [process.argv[2], process.argv[3]] : [workerData.path, workerData.mode];

async function run() {
  const model = await loadModel(path);
  const engine = createEngine(model, { contextSize: 2048, maxSequences: 4, threads: 2 });
  if (mode === "dispose") {
    const p = engine.generate({ prompt: "hello", n: 4, maxTokens: 400, ignoreEos: true });
    await new Promise((r) => setTimeout(r, 100));
    engine.dispose();
    model.dispose();
    try {
      await p;
      return "resolved?";
    } catch (e) {
      return `rejected: ${(e as Error).message}`;
    }
  }
  if (mode === "exit-mid-decode") {
    // process.exit() (a Ctrl-C handler's way out) while the scheduler thread computes.
    engine.generate({ prompt: "hello", n: 8, maxTokens: 400, ignoreEos: true }).catch(() => {});
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 300));
    process.exit(130);
  }
  const r = await engine.generate({ prompt: "hello", n: 2, maxTokens: 8, ignoreEos: true });
  return `finished ${r.stats.generatedTokens}`;
}

if (mode === "worker" && isMainThread) {
  const w = new Worker(new URL("./tsx-worker.mjs", import.meta.url), { workerData: { entry: import.meta.url, path, mode: "finish" } });
  w.on("message", (m) => console.log(`worker: ${m}`));
} else if (!isMainThread) {
  parentPort!.postMessage(await run());
} else {
  console.log(await run());
}
