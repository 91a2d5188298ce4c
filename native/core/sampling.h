#pragma once
// Per-sequence sampling off the llama_context: the scheduler fetches every logits row on its own
// thread (llama_get_logits_ith synchronizes and must not race), then samples rows in parallel.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "llama.h"
#include "request.h"

namespace rrm {

// One sample's sampler chain (top-k, top-p, min-p, temperature, seeded dist), or greedy.
class SampleChain {
 public:
  // `llama_chain`: always build a llama.cpp sampler chain (backend sampling runs that chain in
  // the graph; the one-pass CPU path has none).
  SampleChain(const SamplingParams & p, uint32_t seed, bool llama_chain = false);
  ~SampleChain();
  SampleChain(const SampleChain &) = delete;
  SampleChain & operator=(const SampleChain &) = delete;
  // `scratch` is the worker's reusable candidate array (n_vocab entries).
  llama_token sample(const float * logits, int32_t n_vocab, std::vector<llama_token_data> & scratch);
  llama_sampler * chain() const { return chain_; }

 private:
  llama_token sample_temperature(const float * logits, int32_t n_vocab);

  enum class Mode { Greedy, Temperature, Chain } mode_ = Mode::Greedy;
  float temperature_ = 1.0f;
  std::mt19937 rng_;
  llama_sampler * chain_ = nullptr;  // Mode::Chain only
};

// Softmax probabilities of `tokens` under the full distribution of one logits row.
std::vector<float> probe_probabilities(const float * logits, int32_t n_vocab, const std::vector<llama_token> & tokens);

// The log probability of `token` under softmax(logits) and the `top_n` most likely tokens.
TokenLogprob token_logprob(const float * logits, int32_t n_vocab, llama_token token, int32_t top_n);

// A fixed pool that runs `fn(job, worker)` for job in [0, n) and returns when all are done.
class ParallelFor {
 public:
  explicit ParallelFor(int threads);
  ~ParallelFor();
  int workers() const { return (int) threads_.size() + 1; }
  void run(int n, const std::function<void(int job, int worker)> & fn);

 private:
  void loop(int worker);
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int, int)> * fn_ = nullptr;
  int n_ = 0, next_ = 0, active_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace rrm
