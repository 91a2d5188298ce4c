// `rrm bench`: batched decoding on this machine, from the installed package (lib/bench/).
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { loadAddon } from "../../bindings/index.js";
import { batchedBench } from "../bench/batched-bench.js";
import { deviceKey, saveCalibration, shapeKey } from "../bench/calibration.js";
import { throughputSvg } from "../bench/svg.js";
import { configs, runConfig, type BenchConfig, type BenchRow, type KvChoice, type SamplingChoice } from "../bench/sweep.js";
import { loadModel, type Model } from "../model.js";
import { makeTestModel } from "../testmodel/make-model.js";
import { SHAPES, WEIGHT_TYPES } from "../testmodel/shapes.js";
import { intFlag, parse, UsageError } from "./options.js";

export const BENCH_HELP = `rrm bench [--model FILE | --shape tiny|0.5b|1.5b|7b|14b --type f16|q8_0|q4_k] [sweep] [output]
  Measures batched decoding on this machine, in llama-batched-bench's terms. Without --model it
  writes a random-weight Qwen2 model of that shape (cached), so any GPU can be measured without
  downloading weights (default: --shape tiny --type q8_0).
  Sweep (comma lists; every combination runs):
    --prompt 512          prompt tokens (PP)
    --gen 128             generated tokens per sample (TG), EOS ignored, real sampling (temperature 0.8)
    --batch 1,8,32        samples decoding together (B)
    --kv unified          KV mode: unified,split
    --sampling cpu        cpu (our parallel sampler) or backend (in the decode graph)
    --shared-prompt yes   yes: one prompt shared by the B samples; no: B prompts of their own
  Output:
    a table on stdout (PP TG B N_KV T_PP S_PP T_TG S_TG T S, then the sampling share of step time,
    prompt tokens computed/submitted, KV bytes, peak RSS, GPU memory in use); --json for machines;
    --svg FILE draws S_TG against B per KV mode and sampling; --save-json FILE keeps the JSON too.
  --compare-llama PATH    also run llama-batched-bench (PATH to the binary, or "auto" for the one
                          \`npm run build:tools\` built) with the same settings; adds its S_TG and T and
                          the ratios (its rows never sample)
  --calibrate             measure where split KV overtakes unified on this device for this model
                          shape (B = 8..128, shared prompt) and save it; kvMode "auto" then uses it
  -t, --threads N  --batch-size N (tokens per decode step)  --gpu-layers N  --no-progress`;

const list = (raw: unknown, name: string, fallback: string) => String(raw ?? fallback).split(",").map((x) => x.trim()).filter(Boolean).map((x) => {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} expects a comma list of positive integers, got ${JSON.stringify(raw)}`);
  return n;
});
function choices<T extends string>(raw: unknown, name: string, fallback: string, allowed: readonly T[]): T[] {
  const xs = String(raw ?? fallback).split(",").map((x) => x.trim()).filter(Boolean);
  for (const x of xs) if (!allowed.includes(x as T)) throw new UsageError(`--${name} accepts ${allowed.join(", ")}, got ${JSON.stringify(x)}`);
  return xs as T[];
}

const MiB = (b: number | undefined) => (b === undefined ? "-" : (b / 2 ** 20).toFixed(0));
const f = (x: number | undefined, d = 2) => (x === undefined ? "-" : x.toFixed(d));

export function benchTable(rows: BenchRow[]): string {
  const llama = rows.some((r) => r.llamaSTg !== undefined);
  const head = ["PP", "TG", "B", "N_KV", "T_PP s", "S_PP t/s", "T_TG s", "S_TG t/s", "T s", "S t/s", "KV", "sampling", "shared", "sample %", "prompt computed/submitted", "KV MiB", "peak RSS MiB", "VRAM used MiB",
    ...(llama ? ["llama S_TG", "S_TG ratio", "llama T s", "T ratio"] : [])];
  const body = rows.map((r) => [r.pp, r.tg, r.b, r.nKv, f(r.tPp, 3), f(r.sPp), f(r.tTg, 3), f(r.sTg), f(r.t, 3), f(r.s), r.kv, r.sampling, r.shared ? "yes" : "no",
    f(r.samplingShare * 100, 1), `${r.promptComputed}/${r.promptSubmitted}`, MiB(r.kvBytes), MiB(r.peakRssBytes), MiB(r.vramUsedBytes),
    ...(llama ? [f(r.llamaSTg), r.llamaSTg ? f(r.sTg / r.llamaSTg) + "x" : "-", f(r.llamaT, 3), r.llamaT ? f(r.llamaT / r.t) + "x" : "-"] : [])].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padStart(widths[i])).join(" | ") + " |";
  return [line(head), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...body.map(line)].join("\n");
}

class SweepProgress {
  #t0 = Date.now();
  constructor(readonly total: number, readonly enabled: boolean) {}
  show(done: number, c?: BenchConfig) {
    if (!this.enabled) return;
    const w = 24, frac = done / this.total;
    const what = c ? ` PP ${c.pp} TG ${c.tg} B ${c.b} ${c.kv} ${c.sampling}${c.shared ? "" : " own prompts"}` : "";
    const line = `bench [${"#".repeat(Math.round(frac * w)).padEnd(w, "-")}] ${done}/${this.total}${what} | ${((Date.now() - this.#t0) / 1000).toFixed(0)}s`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K` : line + "\n");
  }
  end() {
    if (this.enabled && process.stderr.isTTY) process.stderr.write("\n");
  }
}

async function openModel(values: Record<string, any>): Promise<{ model: Model; path: string }> {
  let path = values.model as string | undefined;
  if (!path) {
    const shape = values.shape ?? "tiny", type = values.type ?? "q8_0";
    if (!(shape in SHAPES)) throw new UsageError(`--shape accepts ${Object.keys(SHAPES).join(", ")}, got ${JSON.stringify(shape)}`);
    if (!WEIGHT_TYPES.includes(type)) throw new UsageError(`--type accepts ${WEIGHT_TYPES.join(", ")}, got ${JSON.stringify(type)}`);
    path = makeTestModel({ shape, type });
  }
  const gpu = values["gpu-layers"];
  return { model: await loadModel(path, { gpuLayers: gpu === undefined || gpu === "auto" ? "auto" : intFlag(values, "gpu-layers") }), path };
}

export async function benchCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    model: { type: "string", short: "m" }, shape: { type: "string" }, type: { type: "string" },
    prompt: { type: "string" }, gen: { type: "string" }, batch: { type: "string" }, kv: { type: "string" },
    sampling: { type: "string" }, "shared-prompt": { type: "string" }, json: { type: "boolean" }, svg: { type: "string" }, "save-json": { type: "string" },
    "compare-llama": { type: "string" }, calibrate: { type: "boolean" }, threads: { type: "string", short: "t" },
    "batch-size": { type: "string" }, "gpu-layers": { type: "string" }, "no-progress": { type: "boolean" }, help: { type: "boolean", short: "h" },
  });
  if (values.help) return console.log(BENCH_HELP), 0;
  const calibrate = Boolean(values.calibrate);
  // Every flag is checked before the model is written or loaded.
  const plan = configs({
    prompts: list(values.prompt, "prompt", calibrate ? "512" : "512"),
    gens: list(values.gen, "gen", calibrate ? "64" : "128"),
    batches: list(values.batch, "batch", calibrate ? "8,16,32,64,128" : "1,8,32"),
    kvs: choices<KvChoice>(values.kv, "kv", calibrate ? "unified,split" : "unified", ["unified", "split"]),
    samplings: choices<SamplingChoice>(values.sampling, "sampling", "cpu", ["cpu", "backend"]),
    shared: choices(values["shared-prompt"], "shared-prompt", "yes", ["yes", "no"] as const).map((x) => x === "yes"),
  });
  const threads = intFlag(values, "threads");
  const batchSize = intFlag(values, "batch-size");
  const llamaBin = values["compare-llama"] === "auto" ? undefined : values["compare-llama"];

  const { model, path } = await openModel(values);
  const rows: BenchRow[] = [];
  const progress = new SweepProgress(plan.length, !values["no-progress"]);
  const print = () => {
    if (values.json) console.log(JSON.stringify({ model: path, rows }, null, 2));
    else console.log(benchTable(rows));
  };
  // Ctrl-C: the rows finished so far, then exit.
  const onInt = () => {
    progress.end();
    console.error(`\nrrm bench: interrupted after ${rows.length} of ${plan.length} rows`);
    print();
    process.exit(130);
  };
  process.once("SIGINT", onInt);
  try {
    for (const c of plan) {
      progress.show(rows.length, c);
      rows.push(await runConfig(model, c, { threads, batchSize }));
    }
    progress.show(rows.length);
    progress.end();
    if (values["compare-llama"] !== undefined) {
      // One llama-batched-bench run per (PP, TG, KV, shared) with all batch sizes, as it is used.
      const groups = new Map<string, BenchRow[]>();
      for (const r of rows) {
        if (r.sampling !== "cpu") continue;
        const key = `${r.pp}/${r.tg}/${r.kv}/${r.shared}`;
        groups.set(key, [...(groups.get(key) ?? []), r]);
      }
      for (const g of groups.values()) {
        const r0 = g[0];
        const maxB = Math.max(...g.map((r) => r.b));
        // Split KV gives each sequence ctx / B cells, and each must hold the whole prompt.
        const ctx = r0.shared && r0.kv === "unified" ? r0.pp + maxB * r0.tg + 256 : maxB * (r0.pp + r0.tg) + 256;
        let bb: ReturnType<typeof batchedBench>;
        try {
          bb = batchedBench({
            model: path, prompt: r0.pp, gen: r0.tg, parallel: g.map((r) => r.b), threads: threads ?? availableParallelism(), shared: r0.shared, unified: r0.kv === "unified",
            ctx, batch: batchSize, gpuLayers: model.gpuLayers, bin: llamaBin,
          });
        } catch (e) {
          // Our rows stand on their own: say what failed and go on.
          console.error(`compare: llama-batched-bench failed for PP ${r0.pp} TG ${r0.tg} ${r0.kv}: ${(e as Error).message.split("\n")[0]}`);
          continue;
        }
        for (const r of g) {
          const m = bb.rows.find((x) => x.b === r.b);
          if (m) Object.assign(r, { llamaSTg: m.sTg, llamaT: m.t });
        }
      }
    }
  } finally {
    process.removeListener("SIGINT", onInt);
  }
  if (values.svg) {
    writeFileSync(values.svg, throughputSvg(rows, `rrm bench: ${model.info.name || path}`));
    console.error(`wrote ${values.svg}`);
  }
  print();
  if (values["save-json"]) writeFileSync(values["save-json"], JSON.stringify({ model: path, rows }, null, 2) + "\n");
  if (calibrate) {
    const batches = [...new Set(rows.map((r) => r.b))].sort((a, b) => a - b);
    const at = (b: number, kv: KvChoice) => rows.find((r) => r.b === b && r.kv === kv && r.sampling === "cpu")?.sTg ?? 0;
    const crossover = batches.find((b) => at(b, "split") > at(b, "unified")) ?? null;
    const system = loadAddon().systemInfo();
    const file = saveCalibration({ device: deviceKey(system, model.offloaded), shape: shapeKey(model.info), crossover, measured: new Date().toISOString(), batches });
    console.error(`calibration: split KV ${crossover === null ? "never overtook unified" : `overtakes unified from B = ${crossover}`}; saved to ${file} (kvMode "auto" uses it)`);
  }
  model.dispose();
  return 0;
}
