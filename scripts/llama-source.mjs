// Puts the llama.cpp source that node-llama-cpp@3.21.1 ships (llama/gitRelease.bundle) at
// deps/llama.cpp. Only the package tarball is fetched (`npm pack`, ~35 MB), never its
// dependencies: node-llama-cpp's optional prebuilt binaries weigh ~700 MB and we build our own.
// Then applies patches/*.patch with git am; the stamp (.rrm-source) names the source and the
// patch set's hash, so a changed patch set is re-applied (in place) on the next build.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const NODE_LLAMA_CPP_VERSION = "3.21.1";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const llamaDir = process.env.RRM_LLAMA_CPP_DIR
  ? resolve(process.env.RRM_LLAMA_CPP_DIR)
  : join(root, "deps", "llama.cpp");
const stamp = join(llamaDir, ".rrm-source");
// Our changes to llama.cpp (patches/README.md), applied with git am right after the clone.
export const patchDir = join(root, "patches");
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

/** patches/*.patch in order, and one hash over their names and bytes (it goes in the stamp). */
export function patchSet() {
  const files = existsSync(patchDir) ? readdirSync(patchDir).filter((n) => /^\d{4}-.+\.patch$/.test(n)).sort() : [];
  const h = createHash("sha256");
  for (const f of files) h.update(f + "\0").update(readFileSync(join(patchDir, f))).update("\0");
  return { files, hash: h.digest("hex").slice(0, 16) };
}

const git = (args, opts = {}) => run("git", ["-C", llamaDir, ...args], opts);
// git am records a committer; CI machines and fresh containers have no git identity.
const amIdentity = ["-c", "user.name=rrm-engine", "-c", "user.email=rrm-engine@localhost", "-c", "commit.gpgsign=false"];

/** Applies the patch set on top of `base` (the bundle's commit), in place: files the patches do
 * not touch keep their mtimes, so a changed patch rebuilds only what it changes. Fails loudly. */
function applyPatches(base, files) {
  git(["checkout", "--quiet", "--force", "--detach", base]);
  for (const f of files) {
    try {
      execFileSync("git", ["-C", llamaDir, ...amIdentity, "am", "--quiet", "--keep-cr", join(patchDir, f)], { stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      try { git(["am", "--abort"]); } catch {}
      // The tree is the bare base now: the stamp says so, and the next build applies the set again.
      writeFileSync(stamp, JSON.stringify({ source: wanted, base, patches: "not applied" }, null, 2) + "\n");
      const why = `${e.stdout ?? ""}${e.stderr ?? ""}`.trim();
      throw new Error(`[rrm-engine] patches/${f} does not apply to llama.cpp ${base.slice(0, 12)} (node-llama-cpp@${NODE_LLAMA_CPP_VERSION}'s bundle); rebase it (patches/README.md):\n${why}`);
    }
  }
}

/** What the stamp says: source, base commit, patch-set hash (undefined: no usable clone). */
function readStamp() {
  let text;
  try { text = readFileSync(stamp, "utf8").trim(); } catch { return undefined; }
  // Before the patch set, the stamp was the source's name alone, over an unpatched clone.
  if (text === wanted) {
    try { return { source: wanted, base: git(["rev-parse", "HEAD"]).trim(), patches: "none" }; } catch { return undefined; }
  }
  try { return JSON.parse(text); } catch { return undefined; }
}

/** One line naming the source and its patches, for manifests: "node-llama-cpp@3.21.1 (b1234) + 2 patches (hash)". */
export function describeLlamaSource() {
  const s = readStamp();
  if (!s) return wanted;
  return `${s.source}${s.tag ? ` (${s.tag})` : ""}${s.applied?.length ? ` + ${s.applied.length} patch${s.applied.length > 1 ? "es" : ""} (${s.patches})` : ""}`;
}

/** Whether deps/llama.cpp holds this source with this patch set applied (a build from it is current). */
export function llamaSourceCurrent() {
  if (process.env.RRM_LLAMA_CPP_DIR) return true;
  const have = readStamp();
  return have?.source === wanted && have.patches === patchSet().hash;
}

export function ensureLlamaSource() {
  const patches = patchSet();
  if (process.env.RRM_LLAMA_CPP_DIR) {
    if (!existsSync(join(llamaDir, "include", "llama.h"))) throw new Error(`RRM_LLAMA_CPP_DIR=${llamaDir} has no include/llama.h`);
    // A tree of the user's own: not modified here, but it must carry the patches (the engine
    // relies on what they add): a commit with each patch's subject, as `git am` makes. (Reverse-
    // applying each patch cannot tell: a later patch that changes the same lines makes an earlier
    // one's reverse fail.)
    let subjects;
    try {
      subjects = new Set(execFileSync("git", ["-C", llamaDir, "log", "--format=%s", "-n", "2000"], { encoding: "utf8" }).split("\n"));
    } catch {
      throw new Error(`RRM_LLAMA_CPP_DIR=${llamaDir} is not a git checkout: clone llama.cpp there and apply the patch set (git am ${join(patchDir, "*.patch")})`);
    }
    for (const f of patches.files) {
      const subject = /^Subject: (?:\[PATCH[^\]]*\] )?(.*(?:\n [^\n]*)*)/m.exec(readFileSync(join(patchDir, f), "utf8"))?.[1].replace(/\n /g, " ");
      if (!subject || !subjects.has(subject)) {
        throw new Error(`RRM_LLAMA_CPP_DIR=${llamaDir} lacks patches/${f}: apply the patch set there first (git am ${join(patchDir, "*.patch")})`);
      }
    }
    return llamaDir;
  }
  const have = readStamp();
  if (have?.source === wanted && have.patches === patches.hash) return llamaDir;
  if (have?.source === wanted && have.base && existsSync(join(llamaDir, ".git"))) {
    console.log(`[rrm-engine] applying ${patches.files.length} llama.cpp patch(es) in ${llamaDir}`);
    applyPatches(have.base, patches.files);
    writeFileSync(stamp, JSON.stringify({ source: wanted, base: have.base, patches: patches.hash, applied: patches.files }, null, 2) + "\n");
    return llamaDir;
  }
  const pkg = packageFolder();
  const info = JSON.parse(readFileSync(join(pkg, "llama", "llama.cpp.info.json"), "utf8"));
  rmSync(llamaDir, { recursive: true, force: true });
  mkdirSync(dirname(llamaDir), { recursive: true });
  console.log(`[rrm-engine] cloning llama.cpp ${info.tag} from ${wanted}'s bundle into ${llamaDir}`);
  run("git", ["-c", "advice.detachedHead=false", "clone", "--quiet", join(pkg, "llama", "gitRelease.bundle"), llamaDir]);
  const base = git(["rev-parse", "HEAD"]).trim();
  if (patches.files.length) console.log(`[rrm-engine] applying ${patches.files.length} llama.cpp patch(es): ${patches.files.join(", ")}`);
  applyPatches(base, patches.files);
  writeFileSync(stamp, JSON.stringify({ source: wanted, tag: info.tag, base, patches: patches.hash, applied: patches.files }, null, 2) + "\n");
  return llamaDir;
}

/** ensureLlamaSource for scripts: a failure is its message and exit code 1, not a stack trace. */
export function ensureLlamaSourceOrExit() {
  try {
    return ensureLlamaSource();
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensureLlamaSourceOrExit());
