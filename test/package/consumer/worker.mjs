// A worker thread with its own model and engine: the addon loads in a second context.
import { parentPort, workerData } from "node:worker_threads";
import { createEngine, loadModel } from "rrm-engine";

const model = await loadModel(workerData.path);
const engine = createEngine(model, { contextSize: 512, maxSequences: 1, threads: 1 });
const r = await engine.generate({ prompt: model.tokenize("The judge reads"), n: 1, maxTokens: 8, temperature: 0, ignoreEos: true });
engine.dispose();
model.dispose();
parentPort.postMessage(r.completions[0].tokens.length);
