#include "sampling.h"

#include "fast_exp.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace rrm {

namespace {
constexpr int kLanes = 8;    // independent accumulators: lets the compiler use vector registers
constexpr int kBlock = 256;  // weights are summed per block so the final scan skips whole blocks

}  // namespace

// Exact sampling from softmax(logits / T) in three vectorizable passes over the vocabulary:
// max, weights with per-block sums, then a scan over blocks and within one block.
llama_token SampleChain::sample_temperature(const float * logits, int32_t n_vocab) {
  thread_local std::vector<float> weights;
  thread_local std::vector<float> block_sums;
  weights.resize(n_vocab);
  const int32_t n_blocks = (n_vocab + kBlock - 1) / kBlock;
  block_sums.resize(n_blocks);
  const float max = max_of(logits, n_vocab);
  float * w = weights.data();
  exp_shifted(logits, w, n_vocab, max, 1.0f / temperature_);
  double total = 0.0;
  for (int32_t b = 0; b < n_blocks; ++b) {
    const int32_t lo = b * kBlock, hi = std::min(n_vocab, lo + kBlock);
    float acc[kLanes] = {0};
    int32_t t = lo;
    for (; t + kLanes <= hi; t += kLanes)
      for (int k = 0; k < kLanes; ++k) acc[k] += w[t + k];
    float sum = 0.0f;
    for (int k = 0; k < kLanes; ++k) sum += acc[k];
    for (; t < hi; ++t) sum += w[t];
    block_sums[b] = sum;
    total += sum;
  }
  if (!(total > 0.0) || !std::isfinite(total)) {
    // Non-finite logits (a broken model): fall back to the first maximum rather than to noise.
    return (llama_token) (std::max_element(logits, logits + n_vocab) - logits);
  }
  double target = std::uniform_real_distribution<double>(0.0, 1.0)(rng_) * total;
  int32_t b = 0;
  for (; b < n_blocks - 1 && target >= block_sums[b]; ++b) target -= block_sums[b];
  const int32_t lo = b * kBlock, hi = std::min(n_vocab, lo + kBlock);
  double acc = 0.0;
  for (int32_t t = lo; t < hi; ++t) {
    acc += w[t];
    if (acc > target && w[t] > 0.0f) return t;
  }
  // Rounding left the target just past the block: the last token with any weight.
  for (int32_t t = hi - 1; t >= 0; --t) if (w[t] > 0.0f) return t;
  return 0;
}

TokenLogprob token_logprob(const float * logits, int32_t n_vocab, llama_token token, int32_t top_n) {
  thread_local std::vector<float> weights;
  weights.resize(n_vocab);
  const float max = max_of(logits, n_vocab);
  exp_shifted(logits, weights.data(), n_vocab, max, 1.0f);
  double total = 0.0;
  for (int32_t t = 0; t < n_vocab; ++t) total += weights[t];
  const float log_total = (float) std::log(total) + max;
  TokenLogprob out;
  out.token = token;
  out.logprob = logits[token] - log_total;
  // The top_n largest logits, best first: one pass with a small sorted list.
  auto & top = out.top;
  top.reserve(top_n + 1);
  for (int32_t t = 0; t < n_vocab && top_n > 0; ++t) {
    const float l = logits[t];
    if ((int32_t) top.size() == top_n && l <= top.back().second) continue;
    auto at = std::find_if(top.begin(), top.end(), [l](const std::pair<llama_token, float> & e) { return l > e.second; });
    top.insert(at, {t, l});
    if ((int32_t) top.size() > top_n) top.pop_back();
  }
  for (auto & e : top) e.second -= log_total;
  return out;
}

SampleChain::SampleChain(const SamplingParams & p, uint32_t seed, bool llama_chain) : temperature_(p.temperature), rng_(seed) {
  if (p.temperature <= 0.0f && !llama_chain) return;  // greedy: argmax, no chain
  if (p.temperature <= 0.0f) {
    mode_ = Mode::Chain;
    chain_ = llama_sampler_chain_init(llama_sampler_chain_default_params());
    llama_sampler_chain_add(chain_, llama_sampler_init_greedy());
    return;
  }
  if (!llama_chain && p.top_k <= 0 && p.top_p >= 1.0f && p.min_p <= 0.0f) {
    // The RRM setting (temperature 0.6, top-p 1): one pass over the logits, no candidate array,
    // no sort. llama.cpp's chain would copy and normalise 152k entries per sample per step.
    mode_ = Mode::Temperature;
    return;
  }
  mode_ = Mode::Chain;
  chain_ = llama_sampler_chain_init(llama_sampler_chain_default_params());
  if (p.top_k > 0) llama_sampler_chain_add(chain_, llama_sampler_init_top_k(p.top_k));
  if (p.top_p < 1.0f) llama_sampler_chain_add(chain_, llama_sampler_init_top_p(p.top_p, 1));
  if (p.min_p > 0.0f) llama_sampler_chain_add(chain_, llama_sampler_init_min_p(p.min_p, 1));
  llama_sampler_chain_add(chain_, llama_sampler_init_temp(p.temperature));
  llama_sampler_chain_add(chain_, llama_sampler_init_dist(seed));
}

SampleChain::~SampleChain() {
  if (chain_) llama_sampler_free(chain_);
}

llama_token SampleChain::sample(const float * logits, int32_t n_vocab, std::vector<llama_token_data> & scratch) {
  if (mode_ == Mode::Greedy) {
    // Same rule as llama_sampler_init_greedy: first maximum wins.
    return (llama_token) (std::max_element(logits, logits + n_vocab) - logits);
  }
  if (mode_ == Mode::Temperature) {
    return sample_temperature(logits, n_vocab);
  }
  scratch.resize(n_vocab);
  for (int32_t t = 0; t < n_vocab; ++t) scratch[t] = llama_token_data{t, logits[t], 0.0f};
  llama_token_data_array arr{scratch.data(), (size_t) n_vocab, -1, false};
  llama_sampler_apply(chain_, &arr);
  llama_token token = arr.data[arr.selected].id;
  llama_sampler_accept(chain_, token);
  return token;
}

std::vector<float> probe_probabilities(const float * logits, int32_t n_vocab, const std::vector<llama_token> & tokens) {
  float max_logit = *std::max_element(logits, logits + n_vocab);
  double sum = 0.0;
  for (int32_t t = 0; t < n_vocab; ++t) sum += std::exp((double) logits[t] - max_logit);
  std::vector<float> out;
  for (llama_token t : tokens) out.push_back((float) (std::exp((double) logits[t] - max_logit) / sum));
  return out;
}

ParallelFor::ParallelFor(int threads) {
  for (int i = 1; i < threads; ++i) threads_.emplace_back([this, i] { loop(i); });
}

ParallelFor::~ParallelFor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto & t : threads_) t.join();
}

void ParallelFor::run(int n, const std::function<void(int, int)> & fn) {
  if (n <= 0) return;
  if (threads_.empty() || n == 1) {
    for (int i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = &fn;
    n_ = n;
    next_ = 0;
    active_ = (int) threads_.size();
    ++generation_;
  }
  start_cv_.notify_all();
  // The calling thread works too, as worker 0.
  for (;;) {
    int job;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (next_ >= n_) break;
      job = next_++;
    }
    fn(job, 0);
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [&] { return active_ == 0; });
  fn_ = nullptr;
}

void ParallelFor::loop(int worker) {
  uint64_t seen = 0;
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    while (next_ < n_) {
      int job = next_++;
      lock.unlock();
      (*fn_)(job, worker);
      lock.lock();
    }
    if (--active_ == 0) done_cv_.notify_all();
  }
}

}  // namespace rrm
