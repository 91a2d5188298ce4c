#include "sampling.h"

#include <algorithm>
#include <cmath>

namespace rrm {

SampleChain::SampleChain(const SamplingParams & p, uint32_t seed) : temperature_(p.temperature), rng_(seed) {
  if (p.temperature <= 0.0f) return;  // greedy: argmax, no chain
  if (p.top_k <= 0 && p.top_p >= 1.0f && p.min_p <= 0.0f) {
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
    thread_local std::vector<float> weights;
    weights.resize(n_vocab);
    const float max_logit = *std::max_element(logits, logits + n_vocab);
    const float inv_t = 1.0f / temperature_;
    double sum = 0.0;
    for (int32_t t = 0; t < n_vocab; ++t) sum += (weights[t] = std::exp((logits[t] - max_logit) * inv_t));
    const double target = std::uniform_real_distribution<double>(0.0, 1.0)(rng_) * sum;
    double acc = 0.0;
    for (int32_t t = 0; t < n_vocab; ++t) {
      acc += weights[t];
      if (acc >= target) return t;
    }
    return n_vocab - 1;
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
