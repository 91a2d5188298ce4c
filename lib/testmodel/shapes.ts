// Qwen2 shapes worth having (DESIGN.md): tiny for unit tests, Qwen2.5-0.5B for CPU benchmarks,
// Qwen2-7B for GPU benchmarks; Qwen2.5-1.5B and -14B for `rrm bench` sweeps.
export interface ModelShape {
  embedding: number;
  layers: number;
  heads: number;
  kvHeads: number;
  feedForward: number;
  tiedEmbeddings: boolean;
}

export const SHAPES = {
  tiny: { embedding: 256, layers: 4, heads: 4, kvHeads: 2, feedForward: 512, tiedEmbeddings: true },
  "0.5b": { embedding: 896, layers: 24, heads: 14, kvHeads: 2, feedForward: 4864, tiedEmbeddings: true },
  "1.5b": { embedding: 1536, layers: 28, heads: 12, kvHeads: 2, feedForward: 8960, tiedEmbeddings: true },
  "7b": { embedding: 3584, layers: 28, heads: 28, kvHeads: 4, feedForward: 18944, tiedEmbeddings: false },
  "14b": { embedding: 5120, layers: 48, heads: 40, kvHeads: 8, feedForward: 13824, tiedEmbeddings: false },
} satisfies Record<string, ModelShape>;

export type ShapeName = keyof typeof SHAPES;
export const WEIGHT_TYPES = ["f16", "q8_0", "q4_k"] as const;
/** f32 is for training only (lib/train): llama.cpp's optimizer updates F32 weights in place. */
export type WeightType = (typeof WEIGHT_TYPES)[number] | "f32";
