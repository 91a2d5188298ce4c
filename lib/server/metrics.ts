// Prometheus text exposition of the server's counters and the engine's stats.
import type { EngineStats } from "../engine.js";
import type { ProcessMemory } from "./process-memory.js";

export class ServerMetrics {
  #requests = new Map<string, number>();  // `${route}|${status}` -> count
  judgmentsDone = 0;

  count(route: string, status: number) {
    const key = `${route}|${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
  }

  render(queueJudgments: number, queueRequests: number, engine: EngineStats | undefined, memory?: ProcessMemory): string {
    const lines: string[] = [];
    const metric = (name: string, type: "counter" | "gauge", help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric("rrm_http_requests_total", "counter", "HTTP requests by route and status.",
      [...this.#requests].map(([k, v]) => {
        const [route, status] = k.split("|");
        return [`{route="${route}",status="${status}"}`, v];
      }));
    metric("rrm_queue_judgments", "gauge", "Judgments admitted and not finished (the bound is --max-queue).", [["", queueJudgments]]);
    metric("rrm_queue_requests", "gauge", "HTTP requests being judged.", [["", queueRequests]]);
    metric("rrm_judgments_total", "counter", "Judgments (votes) finished.", [["", this.judgmentsDone]]);
    if (engine) {
      metric("rrm_live_samples", "gauge", "Samples decoding now.", [["", engine.liveSequences]]);
      metric("rrm_swapped_samples", "gauge", "Samples preempted to host memory.", [["", engine.swappedSequences]]);
      metric("rrm_waiting_requests", "gauge", "Engine requests waiting for admission.", [["", engine.waitingRequests]]);
      metric("rrm_prompt_tokens_submitted_total", "counter", "Prompt tokens submitted.", [["", engine.promptTokensSubmitted]]);
      metric("rrm_prompt_tokens_computed_total", "counter", "Prompt tokens computed.", [["", engine.promptTokensComputed]]);
      metric("rrm_prompt_tokens_reused_total", "counter", "Prompt tokens reused from the prefix cache.", [["", engine.promptTokensReused]]);
      metric("rrm_generated_tokens_total", "counter", "Tokens generated.", [["", engine.generatedTokens]]);
      metric("rrm_preemptions_total", "counter", "Samples preempted to make room in the KV cache.", [["", engine.preemptions]]);
      metric("rrm_kv_cells_used", "gauge", "KV cells held by prompts and live samples.", [["", engine.prefixCacheCells + engine.generatedCells]]);
    }
    if (memory) {
      // The names prom-client's default metrics use, where there is one.
      metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [["", memory.residentBytes]]);
      if (memory.openFds !== undefined) metric("process_open_fds", "gauge", "Number of open file descriptors.", [["", memory.openFds]]);
      metric("nodejs_heap_size_total_bytes", "gauge", "V8 heap size in bytes.", [["", memory.v8HeapTotalBytes]]);
      metric("nodejs_heap_size_used_bytes", "gauge", "V8 heap used in bytes.", [["", memory.v8HeapUsedBytes]]);
      metric("nodejs_external_memory_bytes", "gauge", "Memory V8 tracks outside its heap (Buffers), in bytes.", [["", memory.externalBytes]]);
      const h = memory.nativeHeap;
      if (h) metric("rrm_native_heap_bytes", "gauge", "glibc malloc: arenas' memory allocated and free (kept by malloc), and blocks in mappings of their own.",
        [['{state="in_use"}', h.heapInUse], ['{state="free"}', h.heapFree], ['{state="mapped"}', h.mapped]]);
    }
    return lines.join("\n") + "\n";
  }
}
