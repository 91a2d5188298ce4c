// Identical evals on different machines: a portable build carries one CPU library per instruction
// set (sse42, haswell, skylakex, zen4, ...) and each machine loads the best it can run; libraries
// with other vector widths or without FMA round differently, so two machines can write other
// records for the same seeded run. RRM_CPU_VARIANT pins one library. The same pinned library gives
// the same bytes on another CPU: here the sse42 library natively and under qemu-user emulating a
// CPU without AVX (-cpu Nehalem, where sse42 is the best library anyway), and the haswell library
// natively and under -cpu Haswell (AVX2 without AVX-512). The control: the sse42 library and this
// CPU's best one write different records, so the check could fail.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { addonLoadInfo } from "../../bindings/index.js";
import { tinyRrmModel } from "../helpers/models.js";
import { OBJDUMP, QEMU_USER, findTool, testNeeding } from "../helpers/system-tools.js";

const entry = new URL("../../lib/cli/entry.ts", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "rrm-cpu-variants-"));
const input = join(dir, "pairs.jsonl");
writeFileSync(input, Array.from({ length: 2 }, (_, i) => JSON.stringify({ query: `Question ${i}: which answer is better?`, a: `A short right answer ${i}`, b: `A long wrong answer ${i}` })).join("\n") + "\n");
const backends = addonLoadInfo().backends;
const runnable = (v: string) => backends.dynamic && (backends.cpu?.candidates.some((c) => c.variant === v && c.score > 0) ?? false);

/** A seeded compare at temperature 0.8 with the CPU library `variant`, natively or under qemu-x86_64 -cpu `cpu`; the output file's text. */
function compare(variant: string | undefined, name: string, cpu?: string, threads = 2): { text: string; stderr: string; status: number | null } {
  const out = join(dir, `${name}.jsonl`);
  const argv = ["--import", "tsx", entry, "compare", "--model", tinyRrmModel(), "--votes", "2", "--temperature", "0.8", "--seed", "3", "--thinking-budget", "12", "--max-tokens", "16", "--no-early-stop", "--threads", String(threads), "--no-progress", "-i", input, "-o", out];
  const env = { ...process.env, RRM_CPU_VARIANT: variant ?? "" };
  const r = cpu ? spawnSync(findTool(QEMU_USER)!, ["-cpu", cpu, process.execPath, ...argv], { encoding: "utf8", env, timeout: 600_000 })
    : spawnSync(process.execPath, argv, { encoding: "utf8", env, timeout: 300_000 });
  // A qemu older than 7.2 does not emulate AVX2: the library is refused, and the caller says so.
  if (cpu && /needs instructions this CPU lacks/.test(r.stderr)) return { text: "", stderr: r.stderr, status: r.status };
  assert.is(r.status, 0, `${variant ?? "best"}${cpu ? ` under qemu -cpu ${cpu}` : ""}: ${r.stderr}`);
  return { text: readFileSync(out, "utf8"), stderr: r.stderr, status: r.status };
}
const header = (text: string) => JSON.parse(text.split("\n")[0]).rrmRun;

let sse42 = "";
test("the run header records the CPU library; the thread count changes nothing; RRM_CPU_VARIANT=sse42 and this CPU's best library write different records (the control)", () => {
  if (!backends.dynamic) return; // a static build has one CPU backend, linked in
  sse42 = compare("sse42", "sse42-native").text;
  assert.is(header(sse42).settings.engine.cpuVariant, "sse42");
  const best = backends.cpu!.variant;
  if (best === "sse42") return; // a CPU without AVX: nothing else to compare with
  const b = compare(undefined, "best").text;
  assert.is(header(b).settings.engine.cpuVariant, best);
  // Machines differ in cores too: one thread or three (on this machine's 2 cores) give the same bytes.
  assert.is(compare(undefined, "best-1-thread", undefined, 1).text, b);
  assert.is(compare(undefined, "best-3-threads", undefined, 3).text, b);
  const records = (t: string) => t.split("\n").slice(1).join("\n");
  assert.is.not(records(b), records(sse42), `${best} and sse42 wrote the same records: the check below could not fail`);
});

testNeeding(test, QEMU_USER)("RRM_CPU_VARIANT=sse42: natively and under qemu-x86_64 -cpu Nehalem (no AVX), the same bytes", () => {
  if (!backends.dynamic) return;
  const emulated = compare("sse42", "sse42-nehalem", "Nehalem").text;
  assert.is(emulated, sse42);
});

testNeeding(test, QEMU_USER)("RRM_CPU_VARIANT=haswell: natively and under qemu-x86_64 -cpu Haswell (AVX2, no AVX-512), the same bytes", () => {
  if (!runnable("haswell")) return; // this CPU lacks AVX2, or a static build
  const native = compare("haswell", "haswell-native").text;
  assert.is(header(native).settings.engine.cpuVariant, "haswell");
  const emulated = compare("haswell", "haswell-emulated", "Haswell");
  if (emulated.status !== 0) return void console.log(`# note: this qemu-x86_64 does not emulate AVX2 (7.2 and later do): ${emulated.stderr.trim().split("\n").pop()}`);
  assert.is(emulated.text, native);
});

// The addon's own vector code must not depend on the CPU either: the sampler's exp over the
// vocabulary has AVX-512, AVX2 and SSE2 clones picked by the CPU it runs on (not by
// RRM_CPU_VARIANT). Compiled with fast-math, the AVX-512 clone fused its polynomial into FMAs and
// one weight in six came out 1 ulp off the others'; unfused (CMakeLists.txt), they agree bit for bit.
testNeeding(test, OBJDUMP)("the sampler's exp clones in the addon fuse no multiply-add (the same bits on every CPU)", () => {
  const addon = addonLoadInfo().path;
  const r = spawnSync(findTool(OBJDUMP)!, ["-d", "--no-show-raw-insn", addon], { encoding: "utf8", maxBuffer: 256 << 20 });
  assert.is(r.status, 0, r.stderr);
  const clones = r.stdout.split("\n\n").filter((f) => /<_ZN3rrm11exp_shifted\w*\.(avx512f|avx2|default)>:/.test(f));
  if (!clones.length) return; // not the portable Linux layout: one build for one CPU, no clones
  assert.is(clones.length, 3, "exp_shifted's avx512f, avx2 and default clones");
  for (const c of clones) assert.not.match(c, /\tv?f(n)?m(add|sub)/, `${c.split("\n")[0]} fuses multiply-adds: ${addon} was built before CMakeLists.txt compiled fast_exp.cpp with -ffp-contract=off (npm run build:native)`);
});

test.run();
