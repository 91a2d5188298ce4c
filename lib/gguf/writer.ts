// Writes GGUF files: metadata first, then tensors streamed one by one, so a 4 GB model never has
// to sit in memory.
import { closeSync, openSync, writeSync } from "node:fs";
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, ValueType, tensorBytes } from "./types.js";
import type { GgufArray, GgufValue } from "./reader.js";

export interface KvToWrite { key: string; type: ValueType; value: GgufValue }
export interface TensorToWrite {
  name: string;
  dims: number[];
  type: number;
  /** Fills `out` (exactly the tensor's bytes, in order) chunk by chunk. */
  fill: (out: Buffer, byteOffset: number) => void;
}

class ByteSink {
  private parts: Buffer[] = [];
  length = 0;
  push(b: Buffer) { this.parts.push(b); this.length += b.length; }
  u32(v: number) { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.push(b); }
  u64(v: bigint | number) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
  string(s: string) { const b = Buffer.from(s, "utf8"); this.u64(b.length); this.push(b); }
  concat() { return Buffer.concat(this.parts, this.length); }
}

function writeValue(s: ByteSink, type: ValueType, v: GgufValue) {
  const b = Buffer.alloc(8);
  switch (type) {
    case ValueType.UINT8: b.writeUInt8(v as number); s.push(b.subarray(0, 1)); return;
    case ValueType.INT8: b.writeInt8(v as number); s.push(b.subarray(0, 1)); return;
    case ValueType.UINT16: b.writeUInt16LE(v as number); s.push(b.subarray(0, 2)); return;
    case ValueType.INT16: b.writeInt16LE(v as number); s.push(b.subarray(0, 2)); return;
    case ValueType.UINT32: b.writeUInt32LE(v as number); s.push(b.subarray(0, 4)); return;
    case ValueType.INT32: b.writeInt32LE(v as number); s.push(b.subarray(0, 4)); return;
    case ValueType.FLOAT32: b.writeFloatLE(v as number); s.push(b.subarray(0, 4)); return;
    case ValueType.BOOL: b.writeUInt8(v ? 1 : 0); s.push(b.subarray(0, 1)); return;
    case ValueType.STRING: s.string(v as string); return;
    case ValueType.UINT64: b.writeBigUInt64LE(BigInt(v as number)); s.push(b); return;
    case ValueType.INT64: b.writeBigInt64LE(BigInt(v as number)); s.push(b); return;
    case ValueType.FLOAT64: b.writeDoubleLE(v as number); s.push(b); return;
    case ValueType.ARRAY: {
      const a = v as GgufArray;
      s.u32(a.type);
      s.u64(a.items.length);
      for (const item of a.items) writeValue(s, a.type, item);
      return;
    }
  }
}

// ~8 MB, a multiple of every block size we write (Q8_0: 34 bytes, Q4_K: 144 bytes; lcm 2448).
const CHUNK = 2448 * 3400;

export function writeGguf(path: string, kvs: KvToWrite[], tensors: TensorToWrite[], alignment = GGUF_DEFAULT_ALIGNMENT): number {
  const head = new ByteSink();
  head.u32(GGUF_MAGIC);
  head.u32(3);
  head.u64(tensors.length);
  head.u64(kvs.length);
  for (const kv of kvs) {
    head.string(kv.key);
    head.u32(kv.type);
    writeValue(head, kv.type, kv.value);
  }
  const pad = (n: number) => Math.ceil(n / alignment) * alignment;
  let offset = 0;
  const sizes: number[] = [];
  for (const t of tensors) {
    const size = tensorBytes(t.type, t.dims.map(BigInt));
    if (typeof size === "string") throw new Error(`tensor ${t.name}: ${size}`);
    head.string(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(t.type);
    head.u64(offset);
    sizes.push(Number(size));
    offset = pad(offset + Number(size));
  }
  const header = head.concat();
  const fd = openSync(path, "w");
  try {
    let pos = 0;
    pos += writeSync(fd, header, 0, header.length, pos);
    const zeros = Buffer.alloc(alignment);
    pos += writeSync(fd, zeros, 0, pad(pos) - pos, pos);
    const chunk = Buffer.alloc(CHUNK);
    tensors.forEach((t, i) => {
      for (let done = 0; done < sizes[i]; ) {
        const n = Math.min(CHUNK, sizes[i] - done);
        const view = chunk.subarray(0, n);
        t.fill(view, done);
        pos += writeSync(fd, view, 0, n, pos);
        done += n;
      }
      const padded = pad(pos);
      if (i < tensors.length - 1 && padded > pos) pos += writeSync(fd, zeros, 0, padded - pos, pos);
    });
    return pos;
  } finally {
    closeSync(fd);
  }
}
