// gpuLayers "auto" and contextSize "auto" from a device's memory: a small device (lavapipe's
// 2 GiB heap, an integrated GPU) must still get the layers that fit.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { NativeSystemInfo } from "../../bindings/index.js";
import type { GgufHeader } from "../../lib/gguf/reader.js";
import { autoContextSize } from "../../lib/kv-budget.js";
import { GPU_RESERVE, layersThatFit } from "../../lib/model.js";

const GiB = 2 ** 30, MiB = 2 ** 20;
const header = { kv: new Map<string, { value: unknown }>([["general.architecture", { value: "qwen2" }], ["qwen2.block_count", { value: 24 }]]) } as unknown as GgufHeader;
const system = (...free: number[]): NativeSystemInfo => ({
  devices: [
    { name: "CPU", description: "cpu", type: "cpu", memoryFree: 20 * GiB, memoryTotal: 24 * GiB },
    ...free.map((f, i) => ({ name: `GPU${i}`, description: "test", type: "gpu" as const, memoryFree: f, memoryTotal: f })),
  ],
} as unknown as NativeSystemInfo);

test("no GPU: no layers", () => {
  assert.is(layersThatFit(header, 100 * MiB, system()), 0);
});

test("a 2 GiB device takes a small model whole (the fixed 2 GiB reserve used to leave it 0 layers)", () => {
  assert.is(layersThatFit(header, 60 * MiB, system(2 * GiB)), -1);
  assert.is(layersThatFit(header, 1.4 * GiB, system(2 * GiB)), -1);
});

test("a 2 GiB device gets the share of a larger model's layers that fits", () => {
  const usable = 2 * GiB * GPU_RESERVE.usable * (1 - GPU_RESERVE.maxShare);
  const n = layersThatFit(header, 3 * GiB, system(2 * GiB));
  assert.is(n, Math.floor((24 * usable) / (3 * GiB)));
  assert.ok(n > 0 && n < 24, `${n}`);
});

test("a large device keeps the full 2 GiB reserve", () => {
  // 80 GiB free: 76 usable, minus 2 GiB -> 74 GiB for weights.
  assert.is(layersThatFit(header, 74 * GiB, system(80 * GiB)), -1);
  assert.is(layersThatFit(header, 75 * GiB, system(80 * GiB)), 23);
});

test("contextSize auto on a 2 GiB device: half its free memory, at least the 16,384-cell floor", () => {
  const info = { layers: 2, heads: 4, kvHeads: 2, embeddingSize: 64 } as never;
  const b = autoContextSize(info, "f16", system(2 * GiB), true);
  assert.is(b.budgetBytes, GiB);
  assert.ok(b.source.includes("GPU0"), b.source);
  assert.is(b.cells, 131072); // 1 GiB / 256 bytes a cell, capped at 131,072
});

test.run();
