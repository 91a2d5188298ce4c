#pragma once
// The scheduler's private records of a request and of each of its samples, shared by the files
// that implement Scheduler. Only the scheduler thread touches them.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "scheduler.h"

namespace rrm {

struct Scheduler::Sample {
  int32_t index = 0;
  llama_seq_id seq = -1;          // -1 while swapped out or done
  std::unique_ptr<SampleChain> chain;
  std::vector<llama_token> tokens;
  std::string text;
  std::vector<llama_token> feed;  // decoded at the next step: the last sampled token (+ forced text)
  int32_t pos = 0;                // position of feed[0]
  int32_t own_cells = 0;          // cells holding this sample's own tokens (positions P..pos-1)
  int32_t out_row = -1;           // batch row holding this sample's logits after the step
  bool done = false, forcing = false, saw_end = false;
  // The prompt's cells are copied to this sample right before its first decode: split KV applies
  // copies lazily at the next decode, and a sample cancelled before that must not receive one.
  bool needs_copy = false;
  bool on_backend = false;  // its sampler chain runs inside the decode graph
  // Preempted: its own cells' K/V bytes (llama_state_seq format), restored bit for bit on resume,
  // so it continues with exactly the keys and values it had. Its sampler chain stays as it was.
  bool swapped = false;
  bool preempted = false;  // swapped out to make room (not only moved by relocate_for_order)
  std::vector<uint8_t> swap;
  int32_t swap_cells = 0;
  llama_token sampled = -1;
  std::vector<float> probe;
  TokenLogprob sampled_logprob;         // of `sampled`, when the request asks for log probabilities
  std::vector<TokenLogprob> logprobs;   // one per token in `tokens`
  size_t streamed_text = 0;             // bytes of `text` sent in progress events (RequestSpec::stream)
  size_t streamed_tokens = 0;
  bool live() const { return !done && !swapped; }
};

struct Scheduler::Request {
  uint64_t id = 0;
  RequestSpec spec;
  enum State { Waiting, Prefilling, Decoding } state = Waiting;
  CacheEntry * entry = nullptr;
  int32_t prefill_pos = 0;
  int32_t out_row = -1;
  std::vector<Sample> samples;
  int32_t live = 0;        // samples not done (running or swapped out)
  int32_t reserved = 0;    // WorstCase admission: generated cells reserved
  int32_t forced_len = 0;
  int32_t overtaken = 0;   // times a later request was admitted while this one waited at the head
  uint64_t admitted = 0;   // admission tick: the latest admitted is preempted first
  bool finished = false, cancelled = false, stepped = false;
  // Computes a shared prefix as a cache entry for others (split KV); no samples, no events.
  bool internal = false;
  RequestStats stats;
  std::chrono::steady_clock::time_point t_submit, t_admit, t_prefilled;
};

inline double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace rrm
