#include "scheduler.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>

#include "llama-batch-invariant.h"
#include "log_capture.h"
#include "scheduler_state.h"

namespace rrm {

const char * finish_name(Finish f) {
  switch (f) {
    case Finish::Eos: return "eos";
    case Finish::Length: return "length";
    case Finish::Stop: return "stop";
    case Finish::Forced: return "forced";
    case Finish::Cancelled: return "cancelled";
    case Finish::Error: return "error";
  }
  return "error";
}

Scheduler::Scheduler(llama_model * model, const Tokenizer * tokenizer, const SchedulerConfig & config, EventSink sink)
    : model_(model), tok_(tokenizer), config_(config), sink_(std::move(sink)), kv_mode_(config.kv_mode),
      cache_(config.kv_mode == KvMode::Split) {
  n_seq_max_ = config_.max_sequences + config_.cache_slots;
  if (n_seq_max_ > 256) throw std::invalid_argument("maxSequences + prefix cache slots must be at most 256 (llama.cpp's LLAMA_MAX_SEQ), got " + std::to_string(n_seq_max_));
  int threads = config_.threads > 0 ? config_.threads : (int) std::max(1u, std::thread::hardware_concurrency());
  // Every live sample contributes a token per step; one pass over the weights needs them all in
  // one ubatch (PERF.md), so the batch is never smaller than the number of sequences.
  n_batch_ = std::max(config_.batch_size, config_.max_sequences * 2);

  llama_context_params cp = llama_context_default_params();
  cp.n_seq_max = n_seq_max_;
  cp.kv_unified = kv_mode_ == KvMode::Unified;
  cp.n_ctx = kv_mode_ == KvMode::Unified ? config_.context_size : config_.context_size * n_seq_max_;
  cp.n_batch = n_batch_;
  cp.n_ubatch = n_batch_;
  // At most one logits row per sample per step, plus one per prompt finishing its prefill; the
  // default (n_batch rows x n_vocab floats) would cost ~300 MB for a 152k vocabulary.
  cp.n_outputs_max = n_seq_max_ + 8;  // llama.cpp reserves at least n_seq_max rows
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  cp.flash_attn_type = config_.flash_attn ? LLAMA_FLASH_ATTN_TYPE_AUTO : LLAMA_FLASH_ATTN_TYPE_DISABLED;
  cp.no_perf = true;
  cp.type_k = (ggml_type) config_.kv_type;
  cp.type_v = (ggml_type) config_.kv_type;
  llama_sampler_seq_config placeholder{0, nullptr};
  if (config_.backend_sampling) {
    // llama.cpp wants at least one sampler at creation; samples set their own per sequence.
    placeholder_sampler_ = llama_sampler_chain_init(llama_sampler_chain_default_params());
    llama_sampler_chain_add(placeholder_sampler_, llama_sampler_init_greedy());
    placeholder.sampler = placeholder_sampler_;
    cp.samplers = &placeholder;
    cp.n_samplers = 1;
  }
  clear_log_error();
  ctx_ = llama_init_from_model(model_, cp);
  if (!ctx_) {
    std::string why = last_log_error();
    throw std::runtime_error("could not create the llama.cpp context (n_ctx " + std::to_string(cp.n_ctx) + ", " + std::to_string(n_seq_max_) + " sequences)" + (why.empty() ? "" : ": " + why));
  }
  if (config_.batch_invariant && !llama_set_batch_invariant(ctx_, true)) {
    llama_free(ctx_);
    ctx_ = nullptr;
    if (placeholder_sampler_) llama_sampler_free(placeholder_sampler_);
    throw std::runtime_error("this llama.cpp build cannot decode batch-invariantly (its CPU backend lacks use_ref or the model's memory is not a plain KV cache)");
  }
  mem_ = llama_get_memory(ctx_);
  if (config_.backend_sampling) llama_set_sampler(ctx_, 0, nullptr);  // sequence 0 starts as a prompt
  n_ctx_ = (int32_t) llama_n_ctx(ctx_);
  n_ctx_seq_ = (int32_t) llama_n_ctx_seq(ctx_);
  n_vocab_ = tok_->n_vocab();
  batch_ = llama_batch_init(n_batch_, 0, 1);
  for (llama_seq_id s = 0; s < n_seq_max_; ++s) free_seqs_.insert(s);
  int sampling_threads = config_.sampling_threads > 0 ? config_.sampling_threads : threads;
  pool_ = std::make_unique<ParallelFor>(sampling_threads);
  scratch_.resize(pool_->workers());
  stats_.n_ctx = n_ctx_;
  stats_.n_seq_max = n_seq_max_;
  shared_stats_ = stats_;
  thread_ = std::thread([this] { loop(); });
  track_for_exit(this, true);
}

// process.exit() runs exit handlers and static destructors while a scheduler thread may be inside
// llama_decode; tearing ggml down under it crashed now and then. Every live scheduler is stopped
// and joined from an atexit handler registered after the backends were loaded, so it runs before
// their destructors.
namespace {
std::mutex g_live_mutex;
std::set<Scheduler *> g_live;
std::once_flag g_atexit_once;
}  // namespace

void Scheduler::track_for_exit(Scheduler * s, bool live) {
  {
    std::lock_guard<std::mutex> lock(g_live_mutex);
    if (live) g_live.insert(s);
    else g_live.erase(s);
  }
  if (live) std::call_once(g_atexit_once, [] { std::atexit(Scheduler::shutdown_all); });
}

void Scheduler::shutdown_all() {
  std::set<Scheduler *> live;
  {
    std::lock_guard<std::mutex> lock(g_live_mutex);
    live = g_live;
  }
  for (Scheduler * s : live) s->shutdown();
}

Scheduler::~Scheduler() {
  track_for_exit(this, false);
  shutdown();
  llama_batch_free(batch_);
  if (ctx_) llama_free(ctx_);
  if (placeholder_sampler_) llama_sampler_free(placeholder_sampler_);
}

uint64_t Scheduler::submit(RequestSpec spec) {
  const int32_t P = (int32_t) spec.prompt.size();
  if (P == 0) throw std::invalid_argument("the prompt is empty");
  for (llama_token t : spec.prompt) {
    if (t < 0 || t >= n_vocab_) throw std::invalid_argument("prompt token " + std::to_string(t) + " is outside the vocabulary (0.." + std::to_string(n_vocab_ - 1) + ")");
  }
  for (llama_token t : spec.forced.tokens) {
    if (t < 0 || t >= n_vocab_) throw std::invalid_argument("forced token " + std::to_string(t) + " is outside the vocabulary");
  }
  for (llama_token t : spec.forced.probe) {
    if (t < 0 || t >= n_vocab_) throw std::invalid_argument("probe token " + std::to_string(t) + " is outside the vocabulary");
  }
  if (spec.n < 1 || spec.n > kMaxSamplesPerRequest) {
    throw std::invalid_argument("n must be between 1 and " + std::to_string(kMaxSamplesPerRequest) + ", got " + std::to_string(spec.n));
  }
  if ((int32_t) spec.forced.tokens.size() + 1 > n_batch_) {
    // The forced text is decoded in one step together with the last sampled token.
    throw std::invalid_argument("the forced continuation has " + std::to_string(spec.forced.tokens.size()) + " tokens; at most " + std::to_string(n_batch_ - 1) + " fit in one step (batchSize)");
  }
  if (spec.max_tokens < 1) throw std::invalid_argument("maxTokens must be at least 1, got " + std::to_string(spec.max_tokens));
  if (!spec.sample_max_tokens.empty()) {
    if ((int32_t) spec.sample_max_tokens.size() != spec.n) throw std::invalid_argument("sampleMaxTokens must have one entry per sample (" + std::to_string(spec.n) + "), got " + std::to_string(spec.sample_max_tokens.size()));
    for (int32_t m : spec.sample_max_tokens) {
      if (m < 1 || m > spec.max_tokens) throw std::invalid_argument("each sampleMaxTokens entry must be in 1..maxTokens (" + std::to_string(spec.max_tokens) + "), got " + std::to_string(m));
    }
  }
  const int32_t forced = spec.forced.budget >= 0 ? (int32_t) spec.forced.tokens.size() : 0;
  const int64_t per_sample = (int64_t) spec.max_tokens + forced;
  // Refuse only what can never run: a prompt that leaves no cell to generate into. A sample that
  // outgrows the context ends with "length" at the edge.
  const int32_t cells = kv_mode_ == KvMode::Unified ? n_ctx_ : n_ctx_seq_;
  if (P + 1 > cells) {
    throw std::invalid_argument("the prompt has " + std::to_string(P) + " tokens but the engine's context holds " + std::to_string(cells) + " cells" + (kv_mode_ == KvMode::Split ? " per sequence" : ""));
  }
  if (kv_mode_ == KvMode::Unified && config_.admission == Admission::WorstCase && P + spec.n * per_sample > n_ctx_) {
    throw std::invalid_argument("the request needs " + std::to_string(P + spec.n * per_sample) + " KV cells (prompt " + std::to_string(P) + " + n " + std::to_string(spec.n) + " x maxTokens " + std::to_string(per_sample) + ") but the engine's context holds " + std::to_string(n_ctx_) + " (worst-case admission)");
  }
  auto r = std::make_unique<Request>();
  r->spec = std::move(spec);
  r->forced_len = forced;
  r->t_submit = Clock::now();
  r->stats.prompt_tokens = P;
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) throw std::runtime_error("the engine has been disposed");
    id = r->id = next_id_++;
    incoming_.push_back(std::move(r));
  }
  cv_.notify_one();
  return id;
}

void Scheduler::hold() {
  std::lock_guard<std::mutex> lock(mutex_);
  holds_++;
}

void Scheduler::release() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (holds_ > 0) holds_--;
  }
  cv_.notify_one();
}

void Scheduler::cancel(uint64_t id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancel_ids_.insert(id);
  }
  cv_.notify_one();
}

void Scheduler::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (joined_) return;
    stopping_ = true;
    joined_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

EngineStats Scheduler::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  return shared_stats_;
}

void Scheduler::emit(Event && e) { sink_(std::move(e)); }

llama_seq_id Scheduler::take_seq(llama_seq_id prefer) {
  auto it = prefer >= 0 ? free_seqs_.find(prefer) : free_seqs_.end();
  if (it == free_seqs_.end()) it = free_seqs_.begin();
  llama_seq_id id = *it;
  free_seqs_.erase(it);
  return id;
}

llama_seq_id Scheduler::lowest_free_run(int32_t n) const {
  llama_seq_id start = -1, len = 0, last = -2;
  for (llama_seq_id id : free_seqs_) {
    if (id != last + 1) start = id, len = 0;
    last = id;
    if (++len == n) return start;
  }
  return free_seqs_.empty() ? 0 : *free_seqs_.begin();  // no run that long: lowest ids
}

void Scheduler::give_seq(llama_seq_id id) {
  llama_memory_seq_rm(mem_, id, -1, -1);
  free_seqs_.insert(id);
}

void Scheduler::release_entry(CacheEntry * e) {
  give_seq(e->seq);
  cache_.remove(e);
}

void Scheduler::free_sample_seq(Sample & s) {
  if (s.on_backend) llama_set_sampler(ctx_, s.seq, nullptr);
  s.on_backend = false;
  if (s.seq >= 0) give_seq(s.seq);
  s.seq = -1;
  generated_cells_ -= s.own_cells;
  s.own_cells = 0;
}

void Scheduler::finish_sample(Request & r, Sample & s, Finish f) {
  if (s.done) return;
  s.done = true;
  free_sample_seq(s);
  if (s.swapped) {
    s.swapped = false;
    swapped_--;
    std::vector<uint8_t>().swap(s.swap);
  }
  r.live--;
  Event e;
  e.type = Event::SampleDone;
  e.request_id = r.id;
  e.sample.index = s.index;
  e.sample.tokens = std::move(s.tokens);
  e.sample.text = std::move(s.text);
  e.sample.finish = f;
  e.sample.probe_probs = std::move(s.probe);
  e.sample.logprobs = std::move(s.logprobs);
  s.chain.reset();
  emit(std::move(e));
  if (r.live == 0) finish_request(r, "", r.cancelled);
}

void Scheduler::finish_request(Request & r, const std::string & error, bool cancelled) {
  if (r.finished) return;
  r.finished = true;
  for (Sample & s : r.samples) {
    if (s.done) continue;
    free_sample_seq(s);
    if (s.swapped) swapped_--;
    s.swapped = false;
    std::vector<uint8_t>().swap(s.swap);
    s.done = true;
  }
  if (r.entry) {
    r.entry->pins--;
    // A half-prefilled prompt is useless to others, a private one was never theirs.
    if ((!r.entry->ready || !r.entry->shared) && r.entry->pins == 0 && r.entry->children == 0) release_entry(r.entry);
    r.entry = nullptr;
  }
  reserved_cells_ -= r.reserved;
  r.reserved = 0;
  auto now = Clock::now();
  r.stats.total_ms = ms_between(r.t_submit, now);
  if (r.state == Request::Decoding) r.stats.decode_ms = ms_between(r.t_prefilled, now);
  if (r.internal) return;
  stats_.requests_done++;
  Event e;
  e.type = Event::RequestDone;
  e.request_id = r.id;
  e.stats = r.stats;
  e.cancelled = cancelled;
  e.error = error;
  done_events_.push_back(std::move(e));  // released by flush_done(), after the stats
}

void Scheduler::flush_done() {
  // Stats first: stats() read in JS when it hears a request ended must already agree.
  publish_stats();
  for (Event & e : done_events_) emit(std::move(e));
  done_events_.clear();
}

void Scheduler::fail_requests(const std::vector<Request *> & failed, const std::string & error) {
  for (Request * r : failed) {
    if (r->entry && !r->entry->ready) r->entry->shared = false;
    finish_request(*r, error, false);
  }
}

void Scheduler::process_cancellations() {
  std::set<uint64_t> ids;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ids.swap(cancel_ids_);
  }
  if (ids.empty()) return;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (ids.count((*it)->id)) {
      finish_request(**it, "", true);
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto & r : live_) {
    if (!ids.count(r->id) || r->finished) continue;
    r->cancelled = true;
    for (Sample & s : r->samples) finish_sample(*r, s, Finish::Cancelled);
  }
}

void Scheduler::publish_stats() {
  int32_t live_seqs = 0, live_reqs = 0;
  for (auto & r : live_) {
    for (const Sample & s : r->samples) live_seqs += s.live() ? 1 : 0;
    live_reqs += (r->finished || r->internal) ? 0 : 1;
  }
  stats_.peak_live_sequences = std::max(stats_.peak_live_sequences, live_seqs);
  stats_.peak_cells = std::max(stats_.peak_cells, cells_used());
  std::lock_guard<std::mutex> lock(mutex_);
  shared_stats_ = stats_;
  shared_stats_.live_sequences = live_seqs;
  shared_stats_.live_requests = live_reqs;
  shared_stats_.waiting_requests = (int32_t) (waiting_.size() + incoming_.size());
  shared_stats_.cache_entries = cache_.size();
  shared_stats_.cells_used = cache_.cells();
  shared_stats_.cells_reserved = reserved_cells_;
  shared_stats_.swapped_sequences = swapped_;
  shared_stats_.generated_cells = generated_cells_;
}

void Scheduler::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || (!incoming_.empty() && holds_ == 0) || !cancel_ids_.empty() || !live_.empty() || !waiting_.empty(); });
      if (stopping_) break;
      while (!incoming_.empty() && holds_ == 0) {
        // Highest priority first; first come first served among equals.
        auto & r = incoming_.front();
        auto at = std::find_if(waiting_.begin(), waiting_.end(), [&](const std::unique_ptr<Request> & w) { return w->spec.priority < r->spec.priority; });
        waiting_.insert(at, std::move(r));
        incoming_.pop_front();
        stats_.requests_submitted++;
      }
    }
    process_cancellations();
    resume_swapped();
    admit();
    if (!step()) end_stalled_work();
    live_.erase(std::remove_if(live_.begin(), live_.end(), [](const std::unique_ptr<Request> & r) { return r->finished; }), live_.end());
    flush_done();
  }
  // Disposed: everything still queued or running ends with an error, nothing is left hanging.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    while (!incoming_.empty()) {
      waiting_.push_back(std::move(incoming_.front()));
      incoming_.pop_front();
    }
  }
  const std::string why = "the engine was disposed before this request finished";
  for (auto & r : waiting_) finish_request(*r, why, true);
  std::vector<Request *> all;
  for (auto & r : live_) all.push_back(r.get());
  fail_requests(all, why);
  waiting_.clear();
  live_.clear();
  flush_done();
}

}  // namespace rrm
