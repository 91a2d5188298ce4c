// Child of fuzz.test.ts: loads one model file, prints one JSON line, exits 0 on a JS error.
import { loadModel } from "../../lib/model.js";

const path = process.argv[2];
try {
  const m = await loadModel(path);
  const n = m.tokenize("hello world").length;
  m.dispose();
  console.log(JSON.stringify({ ok: true, tokens: n }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, name: (e as Error).name, error: (e as Error).message }));
}
