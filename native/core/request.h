#pragma once
// What a caller asks of the scheduler and what it gets back. Plain structs: the addon copies JS
// options into them once, and the scheduler thread alone touches them afterwards.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "llama.h"

namespace rrm {

enum class KvMode { Unified, Split };

// How the scheduler admits work into a unified KV cache.
//   ByUse:     on the cells a request uses now plus a headroom per sample; samples that outgrow the
//              cache are preempted (their own cells saved to host memory) and resumed later.
//   WorstCase: on prompt + n x (maxTokens + forced) cells, reserved up front; never preempts.
//              Kept as the baseline the workload benchmark measures against.
enum class Admission { ByUse, WorstCase };

struct SamplingParams {
  float temperature = 0.8f;  // <= 0: greedy
  float top_p = 1.0f;
  int32_t top_k = 0;         // 0: off
  float min_p = 0.0f;
  uint32_t seed = 0;         // sample i uses seed + i
};

// The thinking budget: once a sample has generated `budget` tokens without producing
// `end_token` (`</think>`), `tokens` (the closing text up to "Assistant ") are appended and the
// next-token probabilities of `probe` ("1", "2") are read instead of sampling.
struct ForcedVerdict {
  int32_t budget = -1;  // -1: off
  llama_token end_token = -1;
  std::vector<llama_token> tokens;
  std::vector<llama_token> probe;
};

struct RequestSpec {
  std::vector<llama_token> prompt;
  int32_t n = 1;
  int32_t max_tokens = 16;
  SamplingParams sampling;
  bool ignore_eos = false;
  std::vector<std::string> stop;
  ForcedVerdict forced;
  bool prefix_cache = true;  // look up and keep the prompt in the cross-request prefix cache
  bool want_progress = false;
  // Higher runs first: admission order, and the last to be preempted. Ties: first come first served.
  int32_t priority = 0;
  // Optional per-sample token limits (each <= max_tokens): benchmarks draw judgment lengths the
  // scheduler cannot see in advance. Empty: every sample has max_tokens.
  std::vector<int32_t> sample_max_tokens;
  // Streaming: each step's progress event carries the text, tokens (and log probabilities) every
  // running sample added, held back where a stop string may still cut it or a UTF-8 character
  // is not complete; the rest arrives with the sample's end.
  bool stream = false;
  // Log probabilities of each generated token under the model's distribution (before temperature
  // and truncation), with this many most likely alternatives (0..20); -1: none.
  int32_t logprobs = -1;
};

// One generated token's log probability and the most likely tokens at its position, best first.
struct TokenLogprob {
  llama_token token = -1;
  float logprob = 0.0f;
  std::vector<std::pair<llama_token, float>> top;
};

// What one running sample added since the last progress event (RequestSpec::stream).
struct SampleDelta {
  int32_t index = 0;
  std::string text;
  std::vector<llama_token> tokens;
  std::vector<TokenLogprob> logprobs;
};

enum class Finish { Eos, Length, Stop, Forced, Cancelled, Error };
const char * finish_name(Finish f);

struct SampleOutput {
  int32_t index = 0;
  std::vector<llama_token> tokens;  // generated tokens (forced tokens not included)
  std::string text;                 // generated text, forced text appended when forced
  Finish finish = Finish::Length;
  std::vector<float> probe_probs;   // with Finish::Forced: softmax probability of each probe token
  std::vector<TokenLogprob> logprobs;  // RequestSpec::logprobs >= 0: one per generated token
};

struct RequestStats {
  int32_t prompt_tokens = 0;
  int32_t prefill_computed = 0;  // prompt tokens this request decoded itself
  int32_t prefix_reused = 0;     // prompt tokens taken from the prefix cache
  int32_t generated = 0;
  int32_t steps = 0;
  int32_t preemptions = 0;       // times one of its samples was swapped out to make room
  double queued_ms = 0, prefill_ms = 0, decode_ms = 0, total_ms = 0;
};

struct Event {
  enum Type { Progress, SampleDone, RequestDone } type = Progress;
  uint64_t request_id = 0;
  int32_t generated = 0;  // Progress: tokens generated so far, all samples
  int32_t prefilled = 0;  // Progress: prompt tokens in the cache so far
  std::vector<SampleDelta> deltas;  // Progress of a streamed request: what each sample added
  SampleOutput sample;    // SampleDone
  RequestStats stats;     // RequestDone
  bool cancelled = false; // RequestDone
  std::string error;      // RequestDone: non-empty when the request failed
};

struct EngineStats {
  int64_t requests_submitted = 0, requests_done = 0;
  int64_t prompt_tokens_submitted = 0, prompt_tokens_computed = 0, prompt_tokens_reused = 0;
  int64_t generated_tokens = 0, steps = 0, batch_tokens = 0;
  double decode_ms = 0, sample_ms = 0, busy_ms = 0;
  int32_t live_sequences = 0, live_requests = 0, waiting_requests = 0;
  int32_t cache_entries = 0, cells_used = 0, cells_reserved = 0, n_ctx = 0, n_seq_max = 0;
  // Admission by use: samples swapped out to host memory and back.
  int64_t preemptions = 0, resumes = 0, swap_bytes = 0, edge_finishes = 0;
  // Batch-invariant engines: times the cache was packed because ordered placement found no cell.
  int64_t relocations = 0;
  double swap_ms = 0;
  int32_t swapped_sequences = 0, peak_live_sequences = 0, generated_cells = 0, peak_cells = 0;
};

}  // namespace rrm
