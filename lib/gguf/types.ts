// GGUF value types and ggml tensor types (block size in elements, block size in bytes), as in
// ggml/include/ggml.h and ggml/src/ggml.c of the pinned llama.cpp. Test: test/gguf.test.ts checks
// this table against the files llama.cpp accepts.
export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_DEFAULT_ALIGNMENT = 32;

export enum ValueType {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
}

export const VALUE_SIZE: Partial<Record<ValueType, number>> = {
  [ValueType.UINT8]: 1, [ValueType.INT8]: 1, [ValueType.UINT16]: 2, [ValueType.INT16]: 2,
  [ValueType.UINT32]: 4, [ValueType.INT32]: 4, [ValueType.FLOAT32]: 4, [ValueType.BOOL]: 1,
  [ValueType.UINT64]: 8, [ValueType.INT64]: 8, [ValueType.FLOAT64]: 8,
};

export enum GgmlType {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39, NVFP4 = 40, Q1_0 = 41, Q2_0 = 42,
}

/** [elements per block, bytes per block] for every type the pinned ggml knows. */
export const TYPE_TRAITS: Record<number, [number, number]> = {
  0: [1, 4], 1: [1, 2], 2: [32, 18], 3: [32, 20], 6: [32, 22], 7: [32, 24], 8: [32, 34], 9: [32, 36],
  10: [256, 84], 11: [256, 110], 12: [256, 144], 13: [256, 176], 14: [256, 210], 15: [256, 292],
  16: [256, 66], 17: [256, 74], 18: [256, 98], 19: [256, 50], 20: [32, 18], 21: [256, 110], 22: [256, 82],
  23: [256, 136], 24: [1, 1], 25: [1, 2], 26: [1, 4], 27: [1, 8], 28: [1, 8], 29: [256, 56], 30: [1, 2],
  34: [256, 54], 35: [256, 66], 39: [32, 17], 40: [64, 36], 41: [128, 18], 42: [64, 18],
};

export function typeName(t: number): string {
  return GgmlType[t] ?? `type ${t}`;
}

/** Bytes of a tensor with `dims` (ne[0] first), or an error string when the shape is invalid. */
export function tensorBytes(type: number, dims: readonly bigint[]): bigint | string {
  const traits = TYPE_TRAITS[type];
  if (!traits) return `unknown tensor type ${type}`;
  const [block, bytes] = traits;
  if (dims.length === 0) return "no dimensions";
  if (dims[0] % BigInt(block) !== 0n) return `first dimension ${dims[0]} is not a multiple of ${typeName(type)}'s block size ${block}`;
  let rows = 1n;
  for (const d of dims.slice(1)) rows *= d;
  return (dims[0] / BigInt(block)) * BigInt(bytes) * rows;
}
