import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GgufError, readGgufHeader } from "../../lib/gguf/reader.js";
import { GgmlType, ValueType, tensorBytes } from "../../lib/gguf/types.js";
import { validateModelFile } from "../../lib/gguf/validate-model.js";
import { writeGguf } from "../../lib/gguf/writer.js";
import { tinyModel } from "../helpers/models.js";

const dir = mkdtempSync(join(tmpdir(), "rrm-gguf-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test("writer and reader round-trip metadata and tensor infos", () => {
  const p = join(dir, "rt.gguf");
  writeGguf(p, [
    { key: "general.architecture", type: ValueType.STRING, value: "qwen2" },
    { key: "a.u32", type: ValueType.UINT32, value: 7 },
    { key: "a.f32", type: ValueType.FLOAT32, value: 0.5 },
    { key: "a.bool", type: ValueType.BOOL, value: true },
    { key: "a.arr", type: ValueType.ARRAY, value: { type: ValueType.STRING, items: ["x", "yz"] } },
  ], [
    { name: "t0", dims: [32, 2], type: GgmlType.Q8_0, fill: (b) => b.fill(1) },
    { name: "t1", dims: [3], type: GgmlType.F32, fill: (b) => b.fill(0) },
  ]);
  const h = readGgufHeader(p);
  assert.is(h.version, 3);
  assert.is(h.kv.get("a.u32")!.value, 7);
  assert.is(h.kv.get("a.f32")!.value, 0.5);
  assert.is(h.kv.get("a.bool")!.value, true);
  assert.equal((h.kv.get("a.arr")!.value as any).items, ["x", "yz"]);
  assert.equal(h.tensors.map((t) => [t.name, t.size]), [["t0", 68n], ["t1", 12n]]);
  assert.is(h.tensors[1].offset, 96n); // 68 rounded up to the 32-byte alignment
});

test("tensor sizes follow ggml block sizes", () => {
  assert.is(tensorBytes(GgmlType.Q4_K, [256n, 4n]), 576n);
  assert.is(tensorBytes(GgmlType.F16, [10n, 3n]), 60n);
  assert.type(tensorBytes(GgmlType.Q4_K, [896n]), "string"); // not a multiple of 256
  assert.type(tensorBytes(9999, [32n]), "string");
});

function expectGgufError(path: string, pattern: RegExp) {
  try {
    validateModelFile(path);
  } catch (e) {
    assert.instance(e, GgufError);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a GgufError matching ${pattern}`);
}

test("the generated tiny model validates", () => {
  const h = validateModelFile(tinyModel());
  assert.is(h.kv.get("general.architecture")!.value, "qwen2");
  assert.ok(h.tensors.length > 10);
});

test("damaged files are rejected with what and where", () => {
  const src = tinyModel();
  const bytes = readFileSync(src);
  expectGgufError(join(dir, "missing.gguf"), /no such file/);
  writeFileSync(join(dir, "text.gguf"), "hello world, definitely not a model file");
  expectGgufError(join(dir, "text.gguf"), /bad magic/);
  writeFileSync(join(dir, "short.gguf"), bytes.subarray(0, 10));
  expectGgufError(join(dir, "short.gguf"), /too short/);
  const trunc = join(dir, "trunc.gguf");
  copyFileSync(src, trunc);
  truncateSync(trunc, bytes.length - 1000);
  expectGgufError(trunc, /truncated|past the end|data section/);
  const header = join(dir, "header.gguf");
  writeFileSync(header, bytes.subarray(0, 5000));
  expectGgufError(header, /runs past the end|claims/);
  const huge = Buffer.from(bytes.subarray(0, 4096));
  huge.writeBigUInt64LE(1n << 60n, 16); // metadata count
  writeFileSync(join(dir, "huge.gguf"), huge);
  expectGgufError(join(dir, "huge.gguf"), /metadata records/);
  const ver = Buffer.from(bytes.subarray(0, 4096));
  ver.writeUInt32LE(99, 4);
  writeFileSync(join(dir, "ver.gguf"), ver);
  expectGgufError(join(dir, "ver.gguf"), /version 99/);
});

test.run();
