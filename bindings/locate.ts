// Where the native addon comes from, in the order it is looked for:
//   1. RRM_ADDON_PATH (one .node file; benchmarks compare builds with it),
//   2. build/bin/rrm-engine.node: a source build in this package (`npm run build:native`),
//   3. prebuilds/<platform>-<arch>[-<libc>]/rrm-engine.node inside this package (`npm run prebuild`),
//   4. the platform package, e.g. @rrm-engine/linux-x64-gnu, installed as an optional dependency.
// Each prebuilt folder carries a manifest.json (what it was built for, the glibc it needs), read
// before loading so that an old glibc is an error that names both versions, not a dlopen failure.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

export type Libc = "gnu" | "musl" | "msvc" | null;

export interface PrebuildManifest {
  name: string;
  platform: string;
  arch: string;
  libc: Libc;
  /** Highest GLIBC_x.y symbol version the libraries import (Linux, glibc). */
  glibc?: string;
  glibcxx?: string;
  cpuVariants?: string[];
  gpu?: string[];
  llamaCpp?: string;
  builtAt?: string;
}

export interface AddonLocation {
  path: string;
  /** "env" | "build" | "prebuilds" | "package" */
  source: "env" | "build" | "prebuilds" | "package";
  /** The platform package's name when source is "package". */
  packageName?: string;
  manifest?: PrebuildManifest;
}

/** glibc of this process (null on musl, macOS, Windows). */
export function runtimeGlibc(): string | null {
  if (process.platform !== "linux") return null;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ?? null;
}

export function currentLibc(): Libc {
  if (process.platform === "win32") return "msvc";
  if (process.platform !== "linux") return null;
  return runtimeGlibc() ? "gnu" : "musl";
}

/** napi-rs style names: @rrm-engine/linux-x64-gnu, @rrm-engine/darwin-arm64, @rrm-engine/win32-x64-msvc. */
export function platformTag(platform = process.platform, arch = process.arch, libc = currentLibc()): string {
  return libc ? `${platform}-${arch}-${libc}` : `${platform}-${arch}`;
}

export function platformPackageName(gpu?: string, tag = platformTag()): string {
  return `@rrm-engine/${tag}${gpu ? `-${gpu}` : ""}`;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number), pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function readManifest(dir: string): PrebuildManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as PrebuildManifest;
  } catch {
    return undefined;
  }
}

/** The folder of an installed package (or undefined), resolved from this package. */
export function resolvePackageDir(name: string, from: string): string | undefined {
  try {
    return dirname(createRequire(join(from, "package.json")).resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

export function addonCandidates(root: string): AddonLocation[] {
  const out: AddonLocation[] = [];
  if (process.env.RRM_ADDON_PATH) out.push({ path: resolve(process.env.RRM_ADDON_PATH), source: "env" });
  out.push({ path: join(root, "build", "bin", "rrm-engine.node"), source: "build" });
  for (const tag of new Set([platformTag(), `${process.platform}-${process.arch}`])) {
    out.push({ path: join(root, "prebuilds", tag, "rrm-engine.node"), source: "prebuilds" });
  }
  const pkg = platformPackageName();
  const dir = resolvePackageDir(pkg, root);
  out.push({ path: join(dir ?? join(root, "node_modules", pkg), "rrm-engine.node"), source: "package", packageName: pkg });
  return out;
}

export class AddonNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AddonNotFoundError";
  }
}

/** The first candidate present, with its manifest, or an error naming everything looked for. */
export function locateAddon(root: string): AddonLocation {
  const candidates = addonCandidates(root);
  const found = candidates.find((c) => existsSync(c.path));
  if (!found) {
    const glibc = runtimeGlibc();
    throw new AddonNotFoundError(
      `rrm-engine: no native binary for ${process.platform} ${process.arch}` +
        `${process.platform === "linux" ? ` (${glibc ? `glibc ${glibc}` : "musl libc"})` : ""}.\n` +
        `  Looked for:\n${candidates.map((c) => `    ${c.path}${c.packageName ? `  (package ${c.packageName})` : ""}`).join("\n")}\n` +
        `  Ways out:\n` +
        `    - install the platform package: npm install ${platformPackageName()}` +
        ` (npm skips it when --omit=optional or --no-optional is set, or when a lockfile from another platform pins the set)\n` +
        `    - build from source in the package folder: npm install --no-save cmake-js@8.0.0 node-addon-api@8.9.2 && npm run build:native` +
        ` (needs cmake, a C++17 compiler and git; add -- --cuda or -- --vulkan for a GPU)\n` +
        `    - point RRM_ADDON_PATH at a rrm-engine.node you built`,
    );
  }
  if (found.source !== "env") found.manifest = readManifest(dirname(found.path));
  checkGlibc(found);
  return found;
}

/** An old glibc fails here, before dlopen, with both versions named. */
export function checkGlibc(loc: AddonLocation, runtime = runtimeGlibc()): void {
  const needed = loc.manifest?.glibc;
  if (!needed || !runtime) return;
  if (compareVersions(runtime, needed) < 0) {
    throw new AddonNotFoundError(
      `rrm-engine: this system's glibc is ${runtime}; the prebuilt binary in ${dirname(loc.path)} needs glibc ${needed} or newer.\n` +
        `  Ways out: a newer distribution (e.g. Debian 12, Ubuntu 22.04, RHEL 9), or build from source on this machine:\n` +
        `    npm install --no-save cmake-js@8.0.0 node-addon-api@8.9.2 && npm run build:native   (in the rrm-engine package folder)`,
    );
  }
}
