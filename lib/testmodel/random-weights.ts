// Seeded random tensor data written straight in each storage format: no float weights are ever
// materialised, so writing a 4 GB Q4_K model takes seconds. Values are zero-centred with a
// standard deviation of about 0.02, like a freshly initialised transformer.
import { GgmlType } from "../gguf/types.js";

const TARGET_STD = 0.02;

/** xorshift128: fast, seedable, good enough for noise weights. */
export class Rng {
  private s0: number; private s1: number; private s2: number; private s3: number;
  constructor(seed: number) {
    this.s0 = seed | 0 || 1; this.s1 = 0x9e3779b9; this.s2 = 0x243f6a88; this.s3 = 0xb7e15162;
    for (let i = 0; i < 16; i++) this.next();
  }
  next(): number {
    let t = this.s3;
    const s = this.s0;
    this.s3 = this.s2; this.s2 = this.s1; this.s1 = s;
    t ^= t << 11; t ^= t >>> 8;
    this.s0 = t ^ s ^ (s >>> 19);
    return this.s0 >>> 0;
  }
  fill(out: Buffer) {
    const words = Math.floor(out.length / 4);
    const u32 = new Uint32Array(out.buffer, out.byteOffset, words);
    if (out.byteOffset % 4 === 0) for (let i = 0; i < words; i++) u32[i] = this.next();
    else for (let i = 0; i < words; i++) out.writeUInt32LE(this.next(), i * 4);
    for (let i = words * 4; i < out.length; i++) out[i] = this.next() & 0xff;
  }
}

export function f32ToF16(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  let exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = (x >>> 13) & 0x3ff;
  if (exp <= 0) { mant = 0; exp = 0; }
  if (exp >= 31) { exp = 31; mant = 0; }
  return sign | (exp << 10) | mant;
}

// 4096 f16 values uniform in [-a, a] with std TARGET_STD; random 12-bit indexes pick from them.
const F16_TABLE = (() => {
  const a = TARGET_STD * Math.sqrt(3);
  const t = new Uint16Array(4096);
  for (let i = 0; i < 4096; i++) t[i] = f32ToF16(-a + (2 * a * (i + 0.5)) / 4096);
  return t;
})();

// Q8_0 block: f16 scale d, 32 int8. Uniform int8 has std ~73.9, so d = 0.02 / 73.9.
const Q8_0_D = f32ToF16(TARGET_STD / 73.9);
// Q4_K block: f16 d, f16 dmin, 12 bytes of packed 6-bit scales and mins, 128 bytes of nibbles.
// All scales and mins are 32 (packed as below) and dmin = 7.5 d, so x = 32 d (q - 7.5), and
// uniform q in 0..15 has std 4.61: d = 0.02 / (32 * 4.61).
const Q4_K_D = TARGET_STD / (32 * 4.61);
const Q4_K_HEAD = (() => {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(f32ToF16(Q4_K_D), 0);
  b.writeUInt16LE(f32ToF16(7.5 * Q4_K_D), 2);
  // get_scale_min_k4: sub-blocks 0-3 read the low 6 bits of bytes 0-3 (scale) and 4-7 (min); 4-7
  // read nibbles of bytes 8-11 plus the top 2 bits of bytes 0-7. 160 = 32 | (2 << 6).
  for (let j = 0; j < 8; j++) b[4 + j] = 160;
  return b;
})();

/** F32 values uniform in [-a, a] with std TARGET_STD: a fresh matrix to train (lib/train). */
export function fillUniformF32(rng: Rng, out: Buffer) {
  const a = TARGET_STD * Math.sqrt(3);
  for (let i = 0; i + 3 < out.length; i += 4) out.writeFloatLE(-a + (2 * a * rng.next()) / 4294967296, i);
}

/** Fills `out` with the bytes of a tensor of `type` starting `byteOffset` bytes into it. */
export function fillRandom(rng: Rng, type: GgmlType, out: Buffer, byteOffset: number) {
  switch (type) {
    case GgmlType.F32: {
      for (let i = 0; i < out.length; i += 4) out.writeFloatLE(1, i); // norms: ones
      return;
    }
    case GgmlType.F16: {
      for (let i = 0; i + 1 < out.length; i += 2) out.writeUInt16LE(F16_TABLE[rng.next() & 4095], i);
      return;
    }
    case GgmlType.Q8_0: {
      if (byteOffset % 34 !== 0 || out.length % 34 !== 0) throw new Error("Q8_0 chunks must hold whole blocks");
      rng.fill(out);
      for (let i = 0; i < out.length; i += 34) out.writeUInt16LE(Q8_0_D, i);
      return;
    }
    case GgmlType.Q4_K: {
      if (byteOffset % 144 !== 0 || out.length % 144 !== 0) throw new Error("Q4_K chunks must hold whole blocks");
      rng.fill(out);
      for (let i = 0; i < out.length; i += 144) Q4_K_HEAD.copy(out, i);
      return;
    }
    default:
      throw new Error(`cannot write random data of type ${GgmlType[type]}`);
  }
}
