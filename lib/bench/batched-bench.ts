// Runs llama.cpp's llama-batched-bench (same source, built by `npm run build:tools`) and reads its
// table: | PP | TG | B | N_KV | T_PP s | S_PP t/s | T_TG s | S_TG t/s | T s | S t/s |.
import { execFileSync } from "node:child_process";
import { addonLoadInfo, gpuDevices, loadAddon, toolPath } from "../../bindings/index.js";
import { existsSync } from "node:fs";
import { dirname } from "node:path";

export interface BatchedBenchRow { pp: number; tg: number; b: number; tPp: number; sPp: number; tTg: number; sTg: number; t: number; s: number }

/** The GPU devices our engine offloads to, by name (-dev): the tool may see others (a CUDA library beside it). */
function deviceArgs(): string[] {
  const names = gpuDevices(loadAddon().systemInfo()).map((d) => d.name);
  return names.length ? ["-dev", names.join(",")] : [];
}

export function batchedBench(o: { model: string; prompt: number; gen: number; parallel: number[]; threads: number; shared: boolean; unified: boolean; ctx: number; batch?: number; gpuLayers?: number; bin?: string }): { rows: BatchedBenchRow[]; command: string } {
  const args = [
    "-m", o.model, "-c", String(o.ctx), "-b", String(o.batch ?? 512), "-ub", String(o.batch ?? 512),
    "-npp", String(o.prompt), "-ntg", String(o.gen), "-npl", o.parallel.join(","),
    "-t", String(o.threads), "-tb", String(o.threads), "-fa", "auto",
    ...(o.shared ? ["-pps"] : []), ...(o.unified ? ["-kvu"] : []),
    // Ours: -1 is every layer (llama.cpp's -1 is "auto"), and 0 is no GPU device at all.
    ...(o.gpuLayers === undefined ? [] : o.gpuLayers === 0 ? ["-ngl", "0", "-dev", "none"] : ["-ngl", o.gpuLayers < 0 ? "all" : String(o.gpuLayers), ...deviceArgs()]),
  ];
  const bin = o.bin ?? toolPath("llama-batched-bench");
  if (!existsSync(bin)) throw new Error(`llama-batched-bench not found at ${bin} (npm run build:tools builds it)`);
  // The GPU library our engine loaded (a GPU package, build-vulkan/, RRM_BACKEND_DIR) may not sit
  // beside the tool, which loads backends from its own folder: name it, so both run on one device.
  const gpuLib = addonLoadInfo().backends.gpu.find((g) => g.loaded)?.path;
  // (One beside the tool is loaded by it already; naming it again would register the device twice.)
  const env = gpuLib && (o.gpuLayers ?? 0) !== 0 && dirname(gpuLib) !== dirname(bin) ? { ...process.env, GGML_BACKEND_PATH: gpuLib } : process.env;
  const out = execFileSync(bin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20, env });
  const rows: BatchedBenchRow[] = [];
  for (const line of out.split("\n")) {
    const cells = line.split("|").map((c) => c.trim()).filter(Boolean);
    if (cells.length !== 10 || !/^\d+$/.test(cells[0])) continue;
    const [pp, tg, b, , tPp, sPp, tTg, sTg, t, s] = cells.map(Number);
    rows.push({ pp, tg, b, tPp, sPp, tTg, sTg, t, s });
  }
  if (!rows.length) throw new Error(`no result rows from llama-batched-bench:\n${out}`);
  return { rows, command: `llama-batched-bench ${args.join(" ")}` };
}
