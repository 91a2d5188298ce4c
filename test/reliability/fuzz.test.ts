// Damaged copies of the tiny model, each loaded in its own child process: no crash (no signal,
// no abort), every failure a JS error with a message. RRM_FUZZ_CASES / RRM_FUZZ_SEED override;
// RRM_FUZZ_KINDS=metadata,truncate keeps only those kinds of the same cases (a nightly finding rerun).
import { spawn } from "node:child_process";
import { closeSync, copyFileSync, mkdtempSync, openSync, readSync, rmSync, statSync, truncateSync, writeSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SeededRandom } from "../../lib/random.js";
import { readGgufHeader, type GgufArray } from "../../lib/gguf/reader.js";
import { validateModelFile } from "../../lib/gguf/validate-model.js";
import { ggufLayout } from "../helpers/gguf-fields.js";
import { tinyModel } from "../helpers/models.js";

const CASES = Number(process.env.RRM_FUZZ_CASES ?? 500);
const SEED = Number(process.env.RRM_FUZZ_SEED ?? 20261126);
const dir = mkdtempSync(join(tmpdir(), "rrm-fuzz-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

type Damage = { kind: string; apply: (path: string) => void };

function poke(path: string, at: number, bytes: Buffer) {
  const fd = openSync(path, "r+");
  writeSync(fd, bytes, 0, bytes.length, at);
  closeSync(fd);
}

/** XORs one byte of the file with `mask` (a case's "flip bit M at byte N"). */
function flipByte(path: string, at: number, mask: number) {
  const fd = openSync(path, "r+");
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] ^= mask;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

function damages(src: string, rng: SeededRandom): Damage[] {
  const size = statSync(src).size;
  const L = ggufLayout(src);
  const flip = (lo: number, hi: number, kind: string): Damage => {
    const at = lo + rng.int(hi - lo);
    const bit = 1 << rng.int(8);
    return { kind: `${kind}: flip bit ${bit} at byte ${at}`, apply: (p) => flipByte(p, at, bit) };
  };
  const out: Damage[] = [];
  for (let i = 0; i < CASES; i++) {
    const r = i % 10;
    if (r < 3) {
      // Truncation anywhere, biased towards the header where parsing happens.
      const at = rng.coin() ? rng.int(L.dataStart + 4096) : rng.int(size);
      out.push({ kind: `truncate at ${at}`, apply: (p) => truncateSync(p, at) });
    } else if (r === 3) out.push(flip(0, 24, "header"));
    else if (r < 6) out.push(flip(L.metadataStart, L.tensorInfoStart, "metadata"));
    else if (r < 8) out.push(flip(L.tensorInfoStart, L.dataStart, "tensor info"));
    else if (r === 8) {
      const at = L.sizeFields[rng.int(L.sizeFields.length)];
      const huge = [0xffffffffffffffffn, 1n << 62n, 1n << 40n, 0x7fffffffn, BigInt(size)][rng.int(5)];
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(huge);
      out.push({ kind: `size field at ${at} = ${huge}`, apply: (p) => poke(p, at, b) });
    } else {
      const at = L.smallFields[rng.int(L.smallFields.length)];
      const b = Buffer.alloc(4);
      b.writeUInt32LE([0xffffffff, 5, 9, 13, 64, 0][rng.int(6)]);
      out.push({ kind: `type/count field at ${at} = ${b.readUInt32LE()}`, apply: (p) => poke(p, at, b) });
    }
  }
  return out;
}

function loadInChild(path: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", new URL("./fuzz-child.ts", import.meta.url).pathname, path], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

test(`fuzz: ${CASES} damaged copies of the tiny model, zero crashes`, async () => {
  const src = tinyModel();
  const rng = new SeededRandom(SEED);
  const kinds = process.env.RRM_FUZZ_KINDS?.split(",").map((k) => k.trim()).filter(Boolean);
  const cases = damages(src, rng).filter((c) => !kinds || kinds.some((k) => c.kind.startsWith(k)));
  const workers = Math.max(1, Math.min(4, availableParallelism()));
  const tally = { loaded: 0, rejected: 0, crashed: 0 };
  const byKind = new Map<string, number>();
  const crashes: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    const path = join(dir, `case-${w}.gguf`);
    while (next < cases.length) {
      const c = cases[next++];
      copyFileSync(src, path);
      c.apply(path);
      const r = await loadInChild(path);
      const line = r.out.split("\n").find((l) => l.startsWith("{"));
      const res = line ? JSON.parse(line) : undefined;
      if (r.signal || r.code !== 0 || !res || (!res.ok && !res.error)) {
        tally.crashed++;
        crashes.push(`${c.kind}: code ${r.code} signal ${r.signal}\n${r.out.slice(-500)}`);
      } else if (res.ok) tally.loaded++;
      else {
        tally.rejected++;
        const key = String(res.error).replace(/\d+/g, "N").replace(/'[^']*'/g, "'…'").slice(0, 90);
        byKind.set(key, (byKind.get(key) ?? 0) + 1);
      }
    }
  }));
  console.log(`fuzz seed ${SEED}, ${cases.length} cases from ${src}: ${tally.rejected} rejected with a JS error, ${tally.loaded} still loaded, ${tally.crashed} crashed`);
  for (const [k, n] of [...byKind].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${n} x ${k}`);
  assert.is(tally.crashed, 0, crashes.slice(0, 10).join("\n---\n"));
  assert.is(tally.loaded + tally.rejected, cases.length);
});

// Found by the 10,000-file nightly run (seed 20261126): one bit flipped in a token's text made it
// another token's, and llama.cpp's vocabulary loader aborted the process (GGML_ASSERT
// id_to_token.size() == token_to_id.size()). The validator now refuses repeated token texts.
// [byte, mask]: the byte XOR the mask, as the cases' names say it ("flip bit 4 at byte 1964308").
const REPEATED_TOKEN_FLIPS = [[96788, 2], [1964308, 4], [2527815, 1]] as const;

test("regression: a bit flip that repeats a token's text is a JS error, not an abort", async () => {
  const src = tinyModel();
  for (const [at, mask] of REPEATED_TOKEN_FLIPS) {
    const path = join(dir, `repeated-${at}.gguf`);
    copyFileSync(src, path);
    flipByte(path, at, mask);
    const texts = (readGgufHeader(path).kv.get("tokenizer.ggml.tokens")!.value as GgufArray).items as string[];
    assert.ok(new Set(texts).size < texts.length, `byte ${at} XOR ${mask} no longer repeats a token (the tiny model changed: find new flips)`);
    assert.throws(() => validateModelFile(path), /tokenizer\.ggml\.tokens holds .* at ids \d+ and \d+/);
    const r = await loadInChild(path);
    assert.is(r.signal, null, r.out);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /"ok":false.*needs each token text once/);
  }
});

test.run();
