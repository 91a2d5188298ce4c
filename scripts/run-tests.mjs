// Runs every test file in its own process (a native crash fails one file, not the run) and ends
// with the line CI reads: "N passed, N failed, N skipped". A test whose system tool is missing
// (test/helpers/system-tools.ts) is skipped on a fresh machine and listed with its reason at the
// end; under CI=true it fails instead.
//   node scripts/run-tests.mjs           all tiers: unit, native, reliability, browser, package, gpu
//   node scripts/run-tests.mjs --fast    unit tests only (no addon, no model files)
//   node scripts/run-tests.mjs FILTER    only files whose path contains FILTER
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const fast = args.includes("--fast");
const filters = args.filter((a) => !a.startsWith("--"));
// browser: reports in headless Chromium; package: pack, install without a toolchain, qemu;
// gpu: the Vulkan backend on Mesa's lavapipe (test/helpers/vulkan.ts).
const tiers = fast ? ["unit"] : ["unit", "native", "reliability", "browser", "package", "gpu"];

let passed = 0, failed = 0, skipped = 0;
const failures = [];
const skipReasons = new Map();
for (const tier of tiers) {
  const dir = join(root, "test", tier);
  let files = [];
  try { files = readdirSync(dir).filter((f) => f.endsWith(".test.ts")).sort(); } catch {}
  for (const f of files) {
    const file = join(dir, f);
    const name = relative(root, file);
    if (filters.length && !filters.some((x) => name.includes(x))) continue;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: root, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0" }, maxBuffer: 64 << 20 });
    const out = (r.stdout ?? "") + (r.stderr ?? "");
    const p = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
    // uvu's Total counts the tests that ran or failed; skipped ones are apart.
    const sk = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
    let fl = Math.max(0, total - p);
    // A file that crashed, or exited non-zero without uvu's summary, counts as one failure.
    if (r.status !== 0 && fl === 0) fl = 1;
    passed += p;
    failed += fl;
    skipped += sk;
    for (const m of out.matchAll(/^# skipped: (.*)$/gm)) skipReasons.set(m[1], [...(skipReasons.get(m[1]) ?? []), name]);
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`${fl ? "FAIL" : "ok  "} ${name}  (${p} passed, ${fl} failed${sk ? `, ${sk} skipped` : ""}, ${secs}s)`);
    if (fl) {
      failures.push(name);
      console.log(out.split("\n").map((l) => "    " + l).join("\n"));
    } else if (process.env.RRM_TEST_VERBOSE) {
      console.log(out);
    }
    if (r.signal) console.log(`    (killed by ${r.signal})`);
  }
}
if (failures.length) console.log(`\nFailed files:\n  ${failures.join("\n  ")}`);
if (skipReasons.size) {
  console.log("\nSkipped (set CI=true to require them):");
  for (const [why, files] of skipReasons) console.log(`  ${why}: ${files.join(", ")}`);
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
