// Puts the llama.cpp source that node-llama-cpp@3.21.1 ships (llama/gitRelease.bundle) at
// deps/llama.cpp. Only the package tarball is fetched (`npm pack`, ~35 MB), never its
// dependencies: node-llama-cpp's optional prebuilt binaries weigh ~700 MB and we build our own.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const NODE_LLAMA_CPP_VERSION = "3.21.1";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const llamaDir = process.env.RRM_LLAMA_CPP_DIR
  ? resolve(process.env.RRM_LLAMA_CPP_DIR)
  : join(root, "deps", "llama.cpp");
const stamp = join(llamaDir, ".rrm-source");
const wanted = `node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`;

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: ["ignore", "pipe", "inherit"], ...opts }).toString();
}

/** A folder holding `llama/gitRelease.bundle`: an installed node-llama-cpp, or the npm tarball. */
function packageFolder() {
  for (const dir of [join(root, "node_modules", "node-llama-cpp"), join(root, "bench", "peer", "node_modules", "node-llama-cpp")]) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (pkg.version === NODE_LLAMA_CPP_VERSION && existsSync(join(dir, "llama", "gitRelease.bundle"))) return dir;
    } catch {}
  }
  const cache = process.env.RRM_CACHE_DIR ?? join(homedir(), ".cache", "rrm-engine");
  const unpacked = join(cache, wanted);
  if (!existsSync(join(unpacked, "llama", "gitRelease.bundle"))) {
    mkdirSync(cache, { recursive: true });
    console.log(`[rrm-engine] fetching the llama.cpp source bundle from npm (${wanted})`);
    const tgz = run("npm", ["pack", wanted, "--silent", "--pack-destination", cache], { cwd: cache }).trim().split("\n").pop();
    mkdirSync(unpacked, { recursive: true });
    run("tar", ["xzf", join(cache, tgz), "-C", unpacked, "--strip-components=1", "package/llama/gitRelease.bundle", "package/llama/llama.cpp.info.json", "package/package.json"]);
    rmSync(join(cache, tgz));
  }
  return unpacked;
}

export function ensureLlamaSource() {
  if (existsSync(stamp) && readFileSync(stamp, "utf8").trim() === wanted) return llamaDir;
  if (process.env.RRM_LLAMA_CPP_DIR) {
    if (!existsSync(join(llamaDir, "include", "llama.h"))) throw new Error(`RRM_LLAMA_CPP_DIR=${llamaDir} has no include/llama.h`);
    return llamaDir;
  }
  const pkg = packageFolder();
  const info = JSON.parse(readFileSync(join(pkg, "llama", "llama.cpp.info.json"), "utf8"));
  rmSync(llamaDir, { recursive: true, force: true });
  mkdirSync(dirname(llamaDir), { recursive: true });
  console.log(`[rrm-engine] cloning llama.cpp ${info.tag} from ${wanted}'s bundle into ${llamaDir}`);
  run("git", ["-c", "advice.detachedHead=false", "clone", "--quiet", join(pkg, "llama", "gitRelease.bundle"), llamaDir]);
  writeFileSync(stamp, wanted + "\n");
  return llamaDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensureLlamaSource());
