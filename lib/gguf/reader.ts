// Reads and validates the header of a GGUF file (metadata and tensor infos) without trusting any
// of it: every count, length, offset and size is checked against the file before use, so a
// damaged file is a GgufError that says what is wrong and where, never a crash in native code.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, TYPE_TRAITS, ValueType, VALUE_SIZE, tensorBytes, typeName } from "./types.js";

export type GgufValue = number | bigint | boolean | string | GgufArray;
export interface GgufArray { type: ValueType; items: GgufValue[] }
export interface GgufKv { key: string; type: ValueType; value: GgufValue }
export interface GgufTensorInfo { name: string; dims: bigint[]; type: number; offset: bigint; size: bigint }
export interface GgufHeader {
  version: number;
  kv: Map<string, GgufKv>;
  tensors: GgufTensorInfo[];
  alignment: number;
  dataOffset: number;
  fileSize: number;
}

export class GgufError extends Error {
  constructor(readonly path: string, readonly at: number, message: string) {
    super(`Invalid GGUF file ${path}: ${message} (at byte ${at})`);
    this.name = "GgufError";
  }
}

// Limits that no real model reaches; a larger value means a damaged or hostile file.
const MAX_STRING = 64 * 1024 * 1024;
const MAX_ARRAY = 64 * 1024 * 1024;
const MAX_DIMS = 4;

/** Reads positional chunks of a file on demand. */
class Cursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(private fd: number, readonly size: number, readonly path: string) {}

  fail(message: string, at = this.pos): never {
    throw new GgufError(this.path, at, message);
  }

  private ensure(n: number, what: string) {
    if (this.pos + n > this.size) this.fail(`${what} runs past the end of the file (needs ${n} bytes, ${this.size - this.pos} left)`);
    const end = this.pos + n;
    if (this.pos >= this.bufStart && end <= this.bufStart + this.buf.length) return;
    const len = Math.min(Math.max(n, 1 << 20), this.size - this.pos);
    this.buf = Buffer.alloc(len);
    readSync(this.fd, this.buf, 0, len, this.pos);
    this.bufStart = this.pos;
  }
  bytes(n: number, what: string): Buffer {
    this.ensure(n, what);
    const off = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(off, off + n);
  }
  u32(what: string) { return this.bytes(4, what).readUInt32LE(0); }
  u64(what: string) { return this.bytes(8, what).readBigUInt64LE(0); }
  string(what: string): string {
    const at = this.pos;
    const len = this.u64(`${what} length`);
    if (len > BigInt(MAX_STRING)) this.fail(`${what} claims a length of ${len} bytes`, at);
    return this.bytes(Number(len), what).toString("utf8");
  }
}

function readValue(c: Cursor, type: number, what: string, depth = 0): GgufValue {
  switch (type) {
    case ValueType.UINT8: return c.bytes(1, what).readUInt8(0);
    case ValueType.INT8: return c.bytes(1, what).readInt8(0);
    case ValueType.UINT16: return c.bytes(2, what).readUInt16LE(0);
    case ValueType.INT16: return c.bytes(2, what).readInt16LE(0);
    case ValueType.UINT32: return c.bytes(4, what).readUInt32LE(0);
    case ValueType.INT32: return c.bytes(4, what).readInt32LE(0);
    case ValueType.FLOAT32: return c.bytes(4, what).readFloatLE(0);
    case ValueType.BOOL: {
      const b = c.bytes(1, what).readUInt8(0);
      if (b > 1) c.fail(`${what} is a bool with value ${b}`, c.pos - 1);
      return b === 1;
    }
    case ValueType.STRING: return c.string(what);
    case ValueType.UINT64: return c.bytes(8, what).readBigUInt64LE(0);
    case ValueType.INT64: return c.bytes(8, what).readBigInt64LE(0);
    case ValueType.FLOAT64: return c.bytes(8, what).readDoubleLE(0);
    case ValueType.ARRAY: {
      if (depth > 0) c.fail(`${what} is a nested array`);
      const at = c.pos;
      const itemType = c.u32(`${what} item type`);
      const n = c.u64(`${what} item count`);
      if (n > BigInt(MAX_ARRAY)) c.fail(`${what} claims ${n} items`, at);
      const size = VALUE_SIZE[itemType as ValueType];
      if (itemType > ValueType.FLOAT64) c.fail(`${what} has unknown item type ${itemType}`, at);
      if (size !== undefined && BigInt(c.pos) + n * BigInt(size) > BigInt(c.size)) {
        c.fail(`${what} claims ${n} items of ${size} bytes, more than the file holds`, at);
      }
      const items: GgufValue[] = new Array(Number(n));
      for (let i = 0; i < items.length; i++) items[i] = readValue(c, itemType, `${what}[${i}]`, depth + 1);
      return { type: itemType, items };
    }
    default:
      return c.fail(`${what} has unknown value type ${type}`, c.pos - 4);
  }
}

/** Parses and checks the whole header; tensor data is bounds-checked, not read. */
export function readGgufHeader(path: string): GgufHeader {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new GgufError(path, 0, err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "it is a directory" : err.message);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new GgufError(path, 0, "not a regular file");
    const c = new Cursor(fd, st.size, path);
    if (st.size < 24) c.fail(`the file has only ${st.size} bytes, too short for a GGUF header`, 0);
    const magic = c.u32("magic");
    if (magic !== GGUF_MAGIC) c.fail(`bad magic 0x${magic.toString(16).padStart(8, "0")}: not a GGUF file`, 0);
    const version = c.u32("version");
    if (version !== 2 && version !== 3) c.fail(`unsupported GGUF version ${version} (llama.cpp reads 2 and 3)`, 4);
    const nTensors = c.u64("tensor count");
    const nKv = c.u64("metadata count");
    // Each record takes at least 8 (key length) + 4 (type) bytes; each tensor info at least 8+4+8+4+8.
    if (nKv * 12n > BigInt(st.size)) c.fail(`claims ${nKv} metadata records, more than the file could hold`, 16);
    if (nTensors * 32n > BigInt(st.size)) c.fail(`claims ${nTensors} tensors, more than the file could hold`, 8);

    const kv = new Map<string, GgufKv>();
    for (let i = 0; i < Number(nKv); i++) {
      const at = c.pos;
      const key = c.string(`metadata key #${i}`);
      if (key.length === 0) c.fail(`metadata key #${i} is empty`, at);
      if (kv.has(key)) c.fail(`metadata key '${key}' appears twice`, at);
      const type = c.u32(`type of '${key}'`);
      kv.set(key, { key, type, value: readValue(c, type, `value of '${key}'`) });
    }

    let alignment = GGUF_DEFAULT_ALIGNMENT;
    const al = kv.get("general.alignment");
    if (al) {
      if (al.type !== ValueType.UINT32 || typeof al.value !== "number" || al.value === 0 || (al.value & (al.value - 1)) !== 0) {
        c.fail(`general.alignment must be a power-of-two uint32, got ${String(al.value)}`);
      }
      alignment = al.value as number;
    }

    const tensors: GgufTensorInfo[] = [];
    const names = new Set<string>();
    for (let i = 0; i < Number(nTensors); i++) {
      const at = c.pos;
      const name = c.string(`tensor #${i} name`);
      if (name.length === 0 || name.length >= 64) c.fail(`tensor #${i} name '${name.slice(0, 80)}' must have 1..63 bytes`, at);
      if (names.has(name)) c.fail(`tensor '${name}' appears twice`, at);
      names.add(name);
      const nDims = c.u32(`tensor '${name}' dimension count`);
      if (nDims < 1 || nDims > MAX_DIMS) c.fail(`tensor '${name}' has ${nDims} dimensions (1..${MAX_DIMS} allowed)`);
      const dims: bigint[] = [];
      for (let d = 0; d < nDims; d++) {
        const v = c.u64(`tensor '${name}' dimension ${d}`);
        if (v === 0n || v > 1n << 40n) c.fail(`tensor '${name}' dimension ${d} is ${v}`);
        dims.push(v);
      }
      let elements = 1n;
      for (const d of dims) elements *= d;
      if (elements > 1n << 45n) c.fail(`tensor '${name}' has ${elements} elements`);
      const type = c.u32(`tensor '${name}' type`);
      if (!TYPE_TRAITS[type]) c.fail(`tensor '${name}' has unknown type ${type}`);
      const offset = c.u64(`tensor '${name}' offset`);
      if (offset % BigInt(alignment) !== 0n) c.fail(`tensor '${name}' offset ${offset} is not aligned to ${alignment}`);
      const size = tensorBytes(type, dims);
      if (typeof size === "string") c.fail(`tensor '${name}' (${typeName(type)}): ${size}`);
      tensors.push({ name, dims, type, offset, size: size as bigint });
    }

    const dataOffset = Math.ceil(c.pos / alignment) * alignment;
    const dataSize = BigInt(st.size - dataOffset);
    if (tensors.length > 0 && dataOffset > st.size) c.fail(`the tensor data section would start at ${dataOffset}, past the end of the file`);
    // Tensors must lie inside the data section and not overlap.
    const sorted = [...tensors].sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    let end = 0n;
    for (const t of sorted) {
      if (t.offset < end) c.fail(`tensor '${t.name}' at data offset ${t.offset} overlaps the previous tensor (ends at ${end})`, dataOffset);
      end = t.offset + t.size;
      if (end > dataSize) {
        c.fail(`tensor '${t.name}' needs data bytes ${t.offset}..${end} but the data section has ${dataSize} bytes (file truncated?)`, dataOffset);
      }
    }
    return { version, kv, tensors, alignment, dataOffset, fileSize: st.size };
  } finally {
    closeSync(fd);
  }
}

export function kvString(h: GgufHeader, key: string): string | undefined {
  const v = h.kv.get(key)?.value;
  return typeof v === "string" ? v : undefined;
}

export function kvNumber(h: GgufHeader, key: string): number | undefined {
  const v = h.kv.get(key)?.value;
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : undefined;
}
