// Byte positions of a GGUF file's regions and length fields, for the fuzz test's targeted damage.
import { closeSync, openSync, readSync } from "node:fs";

export interface GgufLayout {
  metadataStart: number;
  tensorInfoStart: number;
  dataStart: number;
  /** Positions of u64 length/count fields (string lengths, array counts) and tensor dims/offsets. */
  sizeFields: number[];
  /** Positions of u32 dimension counts and type fields. */
  smallFields: number[];
}

export function ggufLayout(path: string): GgufLayout {
  const fd = openSync(path, "r");
  const buf = Buffer.alloc(16 << 20);
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  let p = 24;
  const sizeFields: number[] = [8, 16];
  const smallFields: number[] = [];
  const nTensors = Number(buf.readBigUInt64LE(8));
  const nKv = Number(buf.readBigUInt64LE(16));
  const str = () => {
    sizeFields.push(p);
    const len = Number(buf.readBigUInt64LE(p));
    p += 8 + len;
  };
  const sizes: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const value = (t: number) => {
    if (t === 8) return str();
    if (t === 9) {
      const it = buf.readUInt32LE(p);
      smallFields.push(p);
      p += 4;
      sizeFields.push(p);
      const cnt = Number(buf.readBigUInt64LE(p));
      p += 8;
      if (it === 8) for (let i = 0; i < cnt; i++) {
        // Only the first few string lengths of a long array are worth recording.
        if (i < 8) str();
        else p += 8 + Number(buf.readBigUInt64LE(p));
      }
      else p += cnt * sizes[it];
      return;
    }
    p += sizes[t];
  };
  for (let i = 0; i < nKv; i++) {
    str();
    const t = buf.readUInt32LE(p);
    smallFields.push(p);
    p += 4;
    value(t);
  }
  const tensorInfoStart = p;
  for (let i = 0; i < nTensors; i++) {
    str();
    const nd = buf.readUInt32LE(p);
    smallFields.push(p);
    p += 4;
    for (let d = 0; d < nd; d++) {
      sizeFields.push(p);
      p += 8;
    }
    smallFields.push(p); // type
    p += 4;
    sizeFields.push(p); // offset
    p += 8;
  }
  if (p > n) throw new Error("header larger than the read buffer");
  return { metadataStart: 24, tensorInfoStart, dataStart: Math.ceil(p / 32) * 32, sizeFields, smallFields };
}
