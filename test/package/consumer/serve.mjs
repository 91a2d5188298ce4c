// `rrm serve` started the way a process manager starts it (the runtime on the bin file, not npx),
// answering one compare, then SIGTERM: drained and exit 0. Prints one JSON line.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { makeTestModel } from "rrm-engine";

const bin = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "node_modules", "rrm-engine", "bin", "rrm.js");
const path = makeTestModel({ shape: "tiny", type: "q8_0", vocabulary: "rrm" });
const child = spawn(process.execPath, [bin, "serve", "--model", path, "--port", "0", "--threads", "2", "--context", "4096"], { stdio: ["ignore", "ignore", "pipe"] });
let log = "";
const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
const url = await new Promise((resolve, reject) => {
  child.stderr.on("data", (d) => { log += d; const m = /listening on (http:\/\/\S+)/.exec(log); if (m) resolve(m[1]); });
  exited.then((code) => reject(new Error(`serve exited with ${code}: ${log}`)));
});
for (let i = 0; i < 600; i++) {
  const h = await fetch(url + "/health").catch(() => undefined);
  if (h?.status === 200) break;
  await new Promise((r) => setTimeout(r, 50));
}
const res = await fetch(url + "/v1/compare", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "2+2?", a: "4", b: "5", votes: 2, thinkingBudget: 8, maxTokens: 24 }) });
const body = await res.json();
child.kill("SIGTERM");
console.log(JSON.stringify({ status: res.status, winner: body.winner ?? null, error: body.error ?? null, exit: await exited, stopped: /rrm serve: stopped/.test(log) }));
