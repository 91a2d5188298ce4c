// How many KV cells an engine gets when the caller does not say: sized from free memory, so a
// default engine holds as many live judgments as the machine allows (admission is by use, so
// every cell is worth a token of some sample, not a worst-case reservation).
import { freemem } from "node:os";
import { gpuDevices, type NativeModelInfo, type NativeSystemInfo } from "../bindings/index.js";

export type KvType = "f16" | "q8_0" | "q4_0";

/** ggml_type ids (ggml.h) and storage per element: Q8_0 and Q4_0 store 32 values in 34 / 18 bytes. */
export const KV_TYPES: Record<KvType, { ggmlType: number; bytesPerElement: number }> = {
  f16: { ggmlType: 1, bytesPerElement: 2 },
  q8_0: { ggmlType: 8, bytesPerElement: 34 / 32 },
  q4_0: { ggmlType: 2, bytesPerElement: 18 / 32 },
};

/** Bytes one KV cell (one token of one sequence) takes: K and V rows of every layer. */
export function kvBytesPerCell(info: Pick<NativeModelInfo, "layers" | "heads" | "kvHeads" | "embeddingSize">, kvType: KvType): number {
  const headDim = info.embeddingSize / Math.max(1, info.heads);
  return Math.ceil(info.layers * 2 * info.kvHeads * headDim * KV_TYPES[kvType].bytesPerElement);
}

/**
 * The stated policy: on the CPU, 20% of free RAM but at most 2 GiB; on a GPU, half of the free
 * memory of the emptiest GPU device (the model is already loaded, so its weights are not free).
 * Then at least 16,384 cells (two 8,192-token judgments with their prompts) and at most 131,072.
 */
export const AUTO_CONTEXT = { cpuShare: 0.2, cpuCapBytes: 2 * 1024 ** 3, gpuShare: 0.5, minCells: 16384, maxCells: 131072 } as const;

export interface ContextBudget {
  cells: number;
  bytesPerCell: number;
  budgetBytes: number;
  source: string;
}

export function autoContextSize(info: NativeModelInfo, kvType: KvType, system: NativeSystemInfo, onGpu: boolean): ContextBudget {
  const bytesPerCell = kvBytesPerCell(info, kvType);
  let budgetBytes: number;
  let source: string;
  const gpus = gpuDevices(system);
  if (onGpu && gpus.length > 0) {
    const free = Math.min(...gpus.map((d) => d.memoryFree));
    budgetBytes = free * AUTO_CONTEXT.gpuShare;
    source = `${Math.round(AUTO_CONTEXT.gpuShare * 100)}% of ${(free / 1024 ** 3).toFixed(1)} GiB free on ${gpus[0].name}`;
  } else {
    const free = freemem();
    budgetBytes = Math.min(free * AUTO_CONTEXT.cpuShare, AUTO_CONTEXT.cpuCapBytes);
    source = `min(${Math.round(AUTO_CONTEXT.cpuShare * 100)}% of ${(free / 1024 ** 3).toFixed(1)} GiB free RAM, 2 GiB)`;
  }
  const raw = Math.floor(budgetBytes / bytesPerCell / 256) * 256;
  const cells = Math.max(AUTO_CONTEXT.minCells, Math.min(AUTO_CONTEXT.maxCells, raw));
  return { cells, bytesPerCell, budgetBytes, source };
}
