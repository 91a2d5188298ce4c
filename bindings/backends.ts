// Which ggml backends the portable addon loads, and why.
// - CPU: the library for the best instruction set this CPU runs, from the addon's own folder
//   (RRM_CPU_VARIANT=haswell etc. forces one, e.g. to compare variants).
// - GPU: libggml-cuda / libggml-vulkan found beside the addon (a source build with --cuda) or in an
//   installed GPU package (@rrm-engine/linux-x64-gnu-cuda). Each is first loaded in a child
//   process: a missing or broken driver can abort the process that loads it, and that must not be
//   the user's process. Only what passed is loaded here; what failed is one line on stderr.
//   RRM_GPU=off skips them, RRM_GPU=vulkan (cuda, a comma list) loads only those kinds;
//   RRM_BACKEND_DIR adds folders (separated like PATH) to search.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { platformPackageName, resolvePackageDir } from "./locate.js";

export interface CpuBackendInfo {
  variant: string;
  path: string;
  score: number;
  features: Record<string, string>;
  candidates: { variant: string; score: number; error?: string }[];
  forced: boolean;
}

export interface GpuBackendInfo {
  kind: string;
  path: string;
  loaded: boolean;
  /** Why it was or was not loaded. */
  reason: string;
}

export interface BackendLoadInfo {
  dynamic: boolean;
  cpu?: CpuBackendInfo;
  gpu: GpuBackendInfo[];
}

interface DynamicAddon {
  loadCpuBackend(dir: string, variant?: string): { dynamic: boolean } & Partial<CpuBackendInfo>;
  loadBackend(path: string): { name: string; devices: number };
}

const GPU_KINDS = ["cuda", "vulkan", "metal", "hip"];
const LIB_PREFIX = process.platform === "win32" ? "ggml-" : "libggml-";
const LIB_EXT = process.platform === "win32" ? ".dll" : process.platform === "darwin" ? ".dylib" : ".so";

/** GPU backend libraries in the given folders, one per kind (the first found wins). */
export function findGpuLibraries(dirs: string[]): { kind: string; path: string }[] {
  const out = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      for (const kind of GPU_KINDS) {
        if (name === `${LIB_PREFIX}${kind}${LIB_EXT}` && !out.has(kind)) out.set(kind, join(dir, name));
      }
    }
  }
  return [...out].map(([kind, path]) => ({ kind, path }));
}

function gpuSearchDirs(addonDir: string, packageRoot: string): string[] {
  const dirs = [addonDir];
  for (const kind of GPU_KINDS) {
    const d = resolvePackageDir(platformPackageName(kind), packageRoot);
    if (d) dirs.push(d);
  }
  for (const d of (process.env.RRM_BACKEND_DIR ?? "").split(delimiter).filter(Boolean)) dirs.push(d);
  return dirs;
}

// Runs in the child: load the CPU library and the GPU one, count the GPU's devices.
const PROBE = `
const a = require(process.argv[1]);
a.loadCpuBackend(process.argv[2]);
const r = a.loadBackend(process.argv[3]);
process.stdout.write(JSON.stringify(r));
`;

/** Loads the GPU library in a child process; "" when it works and has a device, else the reason. */
export function probeGpuLibrary(addonPath: string, libPath: string, timeoutMs = 120_000): string {
  const r = spawnSync(process.execPath, ["-e", PROBE, addonPath, dirname(addonPath), libPath], {
    encoding: "utf8",
    timeout: timeoutMs,
    // Electron's binary acts as Node only when asked.
    env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (r.error) return `the test load failed to run: ${r.error.message}`;
  if (r.signal) return `the test load was killed by ${r.signal}`;
  if (r.status !== 0) {
    const line = (r.stderr ?? "").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("at ")).slice(-1)[0];
    return `the test load exited with code ${r.status}${line ? `: ${line.slice(0, 300)}` : ""}`;
  }
  try {
    const res = JSON.parse(r.stdout) as { name: string; devices: number };
    return res.devices > 0 ? "" : `${res.name} found no device`;
  } catch {
    return "the test load printed no result";
  }
}

export function loadBackends(addon: DynamicAddon, addonPath: string, packageRoot: string, warn: (line: string) => void): BackendLoadInfo {
  const forced = process.env.RRM_CPU_VARIANT || undefined;
  const dir = dirname(addonPath);
  // A static build (or an older addon) has its backends linked in.
  if (typeof addon.loadCpuBackend !== "function") return { dynamic: false, gpu: [] };
  const cpu = addon.loadCpuBackend(dir, forced);
  if (!cpu.dynamic) return { dynamic: false, gpu: [] };
  const info: BackendLoadInfo = { dynamic: true, cpu: { ...(cpu as CpuBackendInfo), forced: !!forced }, gpu: [] };
  const choice = (process.env.RRM_GPU ?? "").trim().toLowerCase();
  const off = /^(off|0|false|cpu|none)$/.test(choice);
  // RRM_GPU=vulkan (or cuda, or a comma list): only those kinds, e.g. to measure one backend on a
  // machine where two would drive the same GPU.
  const only = GPU_KINDS.some((k) => choice.split(",").includes(k)) ? choice.split(",") : null;
  for (const lib of findGpuLibraries(gpuSearchDirs(dir, packageRoot))) {
    if (off || (only && !only.includes(lib.kind))) {
      info.gpu.push({ ...lib, loaded: false, reason: `RRM_GPU=${process.env.RRM_GPU}` });
      continue;
    }
    const failure = probeGpuLibrary(addonPath, lib.path);
    if (failure) {
      warn(`rrm-engine: the ${lib.kind.toUpperCase()} backend (${lib.path}) did not load: ${failure}; running on the CPU`);
      info.gpu.push({ ...lib, loaded: false, reason: failure });
      continue;
    }
    try {
      const r = addon.loadBackend(lib.path);
      info.gpu.push({ ...lib, loaded: true, reason: `test load passed (${r.devices} device${r.devices === 1 ? "" : "s"})` });
    } catch (e) {
      warn(`rrm-engine: the ${lib.kind.toUpperCase()} backend (${lib.path}) did not load: ${(e as Error).message}; running on the CPU`);
      info.gpu.push({ ...lib, loaded: false, reason: (e as Error).message });
    }
  }
  return info;
}
