// The portable binary against a build tuned for this CPU, on the votes workload (PERF.md: one pair,
// a 1024-token prompt, 8 samples x 64 tokens, the 0.5B-shaped Q8_0 model), side by side in one
// run: each repetition runs every build in its own process (RRM_ADDON_PATH picks the addon),
// alternating, so drift in the machine's speed hits all of them alike.
//   npm run build:native -- --static --out build-static      (the tuned reference, once)
//   npx tsx bench/portable.ts [--reps 5] [--threads 2] [--static build-static/bin/rrm-engine.node]
// Rows: the static build (-march=native, OpenMP), the portable build with the CPU library it picks,
// and the portable build forced to the x86-64-v2 library (sse42), which is what a CPU without AVX gets.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { machineLine, median, table } from "./lib/machine.js";

const { values } = parseArgs({ options: { reps: { type: "string", default: "5" }, threads: { type: "string", default: "2" }, static: { type: "string", default: "build-static/bin/rrm-engine.node" }, child: { type: "boolean" } } });
const threads = Number(values.threads);

async function child(): Promise<void> {
  const { createEngine } = await import("../lib/engine.js");
  const { loadModel } = await import("../lib/model.js");
  const { makeTestModel } = await import("../lib/testmodel/make-model.js");
  const { addonLoadInfo } = await import("../bindings/index.js");
  const model = await loadModel(makeTestModel({ shape: "0.5b", type: "q8_0" }));
  const prompt = Array.from({ length: 1024 }, (_, i) => 1000 + ((i * 7919) % 50000));
  const engine = createEngine(model, { contextSize: 1024 + 8 * 64 + 256, maxSequences: 8, threads, kvMode: "unified" });
  await engine.generate({ prompt: prompt.slice(0, 16), n: 1, maxTokens: 2, ignoreEos: true, prefixCache: false });
  const t0 = performance.now();
  const r = await engine.generate({ prompt, n: 8, maxTokens: 64, temperature: 0.6, seed: 1, ignoreEos: true, prefixCache: false });
  const ms = performance.now() - t0;
  const info = addonLoadInfo();
  process.stdout.write(JSON.stringify({ ms, tokens: r.stats.generatedTokens, cpu: info.backends.cpu?.variant ?? "static" }) + "\n");
  engine.dispose();
  model.dispose();
}

function run(env: Record<string, string>): { ms: number; cpu: string } {
  const out = execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", "--threads", String(threads)], { env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return JSON.parse(out.trim().split("\n").pop()!);
}

async function main(): Promise<void> {
  const builds: { name: string; env: Record<string, string> }[] = [];
  if (existsSync(values.static!)) builds.push({ name: "static (-march=native, OpenMP)", env: { RRM_ADDON_PATH: values.static! } });
  else console.error(`(no ${values.static}: build it with \`npm run build:native -- --static --out build-static\` to compare)`);
  builds.push({ name: "portable (best CPU library)", env: { RRM_ADDON_PATH: "", RRM_CPU_VARIANT: "" } });
  builds.push({ name: "portable forced to sse42 (x86-64-v2)", env: { RRM_ADDON_PATH: "", RRM_CPU_VARIANT: "sse42" } });
  const times: number[][] = builds.map(() => []);
  const variant: string[] = builds.map(() => "");
  for (let rep = 0; rep < Number(values.reps); rep++) {
    builds.forEach((b, i) => {
      const r = run(b.env);
      times[i].push(r.ms);
      variant[i] = r.cpu;
    });
    console.error(`rep ${rep + 1}: ${times.map((t) => t[rep].toFixed(0)).join(" / ")} ms`);
  }
  const base = median(times[0]);
  console.log(machineLine());
  console.log(table(["build", "CPU library", "median ms", "sampled tokens / wall s", `vs ${builds[0].name.split(" ")[0]}`], builds.map((b, i) => [b.name, variant[i], median(times[i]).toFixed(0), (512 / (median(times[i]) / 1000)).toFixed(1), (base / median(times[i])).toFixed(3) + "x"])));
}

if (values.child) await child();
else await main();
