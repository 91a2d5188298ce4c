#include "scheduler.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "log_capture.h"

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

struct Scheduler::Sample {
  int32_t index = 0;
  llama_seq_id seq = -1;
  std::unique_ptr<SampleChain> chain;
  std::vector<llama_token> tokens;
  std::string text;
  std::vector<llama_token> feed;  // decoded at the next step: the last sampled token (+ forced text)
  int32_t pos = 0;                // position of feed[0]
  int32_t out_row = -1;           // batch row holding this sample's logits after the step
  bool done = false, forcing = false, saw_end = false;
  // The prompt's cells are copied to this sample right before its first decode: split KV applies
  // copies lazily at the next decode, and a sample cancelled before that must not receive one.
  bool needs_copy = false;
  bool on_backend = false;  // its sampler chain runs inside the decode graph
  llama_token sampled = -1;
  std::vector<float> probe;
};

struct Scheduler::Request {
  uint64_t id = 0;
  RequestSpec spec;
  enum State { Waiting, Prefilling, Decoding } state = Waiting;
  CacheEntry * entry = nullptr;
  int32_t prefill_pos = 0;
  int32_t out_row = -1;
  std::vector<Sample> samples;
  int32_t live = 0;
  int32_t reserved = 0;
  int32_t forced_len = 0;
  bool finished = false, cancelled = false, stepped = false;
  // Computes a shared prefix as a cache entry for others (split KV); no samples, no events.
  bool internal = false;
  RequestStats stats;
  Clock::time_point t_submit, t_admit, t_prefilled;
};

static double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
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
}

Scheduler::~Scheduler() {
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
  if (spec.n < 1 || spec.n > config_.max_sequences) {
    throw std::invalid_argument("n must be between 1 and the engine's maxSequences (" + std::to_string(config_.max_sequences) + "), got " + std::to_string(spec.n));
  }
  if ((int32_t) spec.forced.tokens.size() + 1 > n_batch_) {
    // The forced text is decoded in one step together with the last sampled token.
    throw std::invalid_argument("the forced continuation has " + std::to_string(spec.forced.tokens.size()) + " tokens; at most " + std::to_string(n_batch_ - 1) + " fit in one step (batchSize)");
  }
  if (spec.max_tokens < 1) throw std::invalid_argument("maxTokens must be at least 1, got " + std::to_string(spec.max_tokens));
  const int32_t forced = spec.forced.budget >= 0 ? (int32_t) spec.forced.tokens.size() : 0;
  const int64_t per_sample = (int64_t) spec.max_tokens + forced;
  if (kv_mode_ == KvMode::Unified) {
    const int64_t need = P + (int64_t) spec.n * per_sample;
    if (need > n_ctx_ - 0) {
      throw std::invalid_argument("the request needs " + std::to_string(need) + " KV cells (prompt " + std::to_string(P) + " + n " + std::to_string(spec.n) + " x maxTokens " + std::to_string(per_sample) + ") but the engine's context holds " + std::to_string(n_ctx_));
    }
  } else if (P + per_sample > n_ctx_seq_) {
    throw std::invalid_argument("the request needs " + std::to_string(P + per_sample) + " KV cells per sequence (prompt " + std::to_string(P) + " + maxTokens " + std::to_string(per_sample) + ") but split KV gives each sequence " + std::to_string(n_ctx_seq_));
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

bool Scheduler::make_room(int32_t cells_needed, int32_t seqs_needed) {
  for (;;) {
    bool cells_ok = kv_mode_ == KvMode::Split || cache_.cells() + reserved_cells_ + cells_needed <= n_ctx_;
    if (cells_ok && seqs_free() >= seqs_needed) return true;
    CacheEntry * victim = cache_.lru_evictable();
    if (!victim) return false;
    release_entry(victim);
  }
}

bool Scheduler::try_admit(Request & r) {
  const auto & prompt = r.spec.prompt;
  const bool use_cache = prefix_cache_enabled_ && r.spec.prefix_cache;
  PrefixCache::Match match = use_cache ? cache_.best(prompt) : PrefixCache::Match{};
  // A prompt that shares much more with one still being prefilled waits for it: computing the
  // shared part twice costs more than one step of delay.
  if (use_cache && cache_.pending_overlap(prompt) >= match.length + config_.defer_prefix_min) return false;

  if (use_cache && kv_mode_ == KvMode::Split && !r.internal) {
    // Split KV copies whole sequences only. When this prompt shares much more with an entry than
    // any whole-prefix entry gives, compute that shared prefix once as an entry of its own and
    // wait for it: this and later prompts then copy it and compute only their own suffix.
    const int32_t shared = cache_.longest_shared(prompt);
    if (shared >= match.length + config_.defer_prefix_min) {
      auto prefix = std::make_unique<Request>();
      prefix->internal = true;
      prefix->spec.prompt.assign(prompt.begin(), prompt.begin() + shared);
      prefix->spec.n = 0;
      prefix->t_submit = Clock::now();
      if (try_admit(*prefix)) live_.push_back(std::move(prefix));
      return false;
    }
  }
  const int32_t P = (int32_t) prompt.size();
  const int32_t gen = r.spec.n * (r.spec.max_tokens + r.forced_len);
  const int32_t cells = (P - match.length) + gen;
  if (match.entry) match.entry->pins++;  // not evictable while we make room
  bool ok = make_room(cells, r.spec.n + 1);
  if (match.entry) match.entry->pins--;
  if (!ok) return false;

  // Prompts take ids from the top, samples from the bottom: live samples then sit on consecutive
  // ids, which split KV needs to decode a step in one pass over the weights (PERF.md).
  llama_seq_id entry_seq = take_seq(*free_seqs_.rbegin());
  if (match.length > 0) {
    if (kv_mode_ == KvMode::Split) llama_memory_seq_cp(mem_, match.entry->seq, entry_seq, -1, -1);
    else llama_memory_seq_cp(mem_, match.entry->seq, entry_seq, 0, match.length);
  }
  r.entry = cache_.add(entry_seq, prompt, match, use_cache, ++tick_);
  r.entry->pins++;
  r.prefill_pos = match.length;
  r.stats.prefix_reused = match.length;
  r.stats.prefill_computed = P - match.length;
  r.reserved = gen;
  reserved_cells_ += gen;
  // Consecutive ids for the samples: split KV cuts a step into several passes otherwise.
  r.samples.resize(r.spec.n);
  llama_seq_id prev = lowest_free_run(r.spec.n) - 1;
  for (int32_t i = 0; i < r.spec.n; ++i) {
    Sample & s = r.samples[i];
    s.index = i;
    s.seq = prev = take_seq(prev + 1);
    s.chain = std::make_unique<SampleChain>(r.spec.sampling, r.spec.sampling.seed + (uint32_t) i, config_.backend_sampling);
  }
  r.live = r.spec.n;
  r.state = Request::Prefilling;
  r.t_admit = Clock::now();
  r.stats.queued_ms = ms_between(r.t_submit, r.t_admit);
  if (!r.internal) stats_.prompt_tokens_submitted += P;
  stats_.prompt_tokens_computed += P - match.length;
  stats_.prompt_tokens_reused += match.length;
  return true;
}

void Scheduler::admit() {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (try_admit(**it)) {
      live_.push_back(std::move(*it));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
}

void Scheduler::finish_sample(Request & r, Sample & s, Finish f) {
  if (s.done) return;
  s.done = true;
  if (s.on_backend) {
    llama_set_sampler(ctx_, s.seq, nullptr);
    s.on_backend = false;
  }
  if (s.seq >= 0) {
    give_seq(s.seq);
    s.seq = -1;
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
  s.chain.reset();
  emit(std::move(e));
  if (r.live == 0) finish_request(r, "", r.cancelled);
}

void Scheduler::finish_request(Request & r, const std::string & error, bool cancelled) {
  if (r.finished) return;
  r.finished = true;
  for (Sample & s : r.samples) {
    if (s.on_backend) llama_set_sampler(ctx_, s.seq, nullptr);
    s.on_backend = false;
    if (!s.done && s.seq >= 0) give_seq(s.seq);
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
    for (Sample & s : r->samples) {
      if (!s.done) {
        s.done = true;
        if (s.on_backend) llama_set_sampler(ctx_, s.seq, nullptr);
        s.on_backend = false;
        if (s.seq >= 0) give_seq(s.seq);
        s.seq = -1;
      }
    }
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

void Scheduler::step() {
  const auto t0 = Clock::now();
  batch_.n_tokens = 0;
  auto add = [&](llama_token t, llama_pos pos, llama_seq_id seq, bool logits) {
    int32_t i = batch_.n_tokens++;
    batch_.token[i] = t;
    batch_.pos[i] = pos;
    batch_.n_seq_id[i] = 1;
    batch_.seq_id[i][0] = seq;
    batch_.logits[i] = logits;
    return i;
  };
  int32_t budget = n_batch_;
  std::vector<Request *> in_batch;

  // One token (or a forced run) for every live sample...
  for (auto & rp : live_) {
    Request & r = *rp;
    r.stepped = false;
    if (r.state != Request::Decoding || r.finished) continue;
    for (Sample & s : r.samples) {
      s.out_row = -1;
      if (s.done || s.feed.empty() || (int32_t) s.feed.size() > budget) continue;
      if (s.needs_copy) {
        if (kv_mode_ == KvMode::Split) llama_memory_seq_cp(mem_, r.entry->seq, s.seq, -1, -1);
        else llama_memory_seq_cp(mem_, r.entry->seq, s.seq, 0, (llama_pos) r.spec.prompt.size());
        s.needs_copy = false;
        if (config_.backend_sampling) s.on_backend = llama_set_sampler(ctx_, s.seq, s.chain->chain());
      }
      if (s.forcing && s.on_backend) {
        // The probe needs the logits row, which a backend-sampled sequence does not get.
        llama_set_sampler(ctx_, s.seq, nullptr);
        s.on_backend = false;
      }
      for (size_t k = 0; k < s.feed.size(); ++k) {
        s.out_row = add(s.feed[k], s.pos + (llama_pos) k, s.seq, k + 1 == s.feed.size());
      }
      s.pos += (llama_pos) s.feed.size();
      budget -= (int32_t) s.feed.size();
      s.feed.clear();
      r.stepped = true;
    }
    if (r.stepped) in_batch.push_back(&r);
  }
  // ...then prompt chunks with whatever room is left, oldest request first.
  for (auto & rp : live_) {
    Request & r = *rp;
    r.out_row = -1;
    if (r.state != Request::Prefilling || r.finished || budget == 0) continue;
    const int32_t P = (int32_t) r.spec.prompt.size();
    const int32_t k = std::min(budget, P - r.prefill_pos);
    for (int32_t i = r.prefill_pos; i < r.prefill_pos + k; ++i) {
      int32_t row = add(r.spec.prompt[i], i, r.entry->seq, i == P - 1);
      if (i == P - 1) r.out_row = row;
    }
    r.prefill_pos += k;
    budget -= k;
    r.stepped = true;
    in_batch.push_back(&r);
  }
  if (batch_.n_tokens == 0) return;

  clear_log_error();
  const int32_t ret = llama_decode(ctx_, batch_);
  const auto t1 = Clock::now();
  stats_.steps++;
  stats_.batch_tokens += batch_.n_tokens;
  stats_.decode_ms += ms_between(t0, t1);
  if (ret != 0) {
    std::string why = last_log_error();
    fail_requests(in_batch, "llama_decode failed with code " + std::to_string(ret) + (why.empty() ? "" : ": " + why));
    return;
  }

  // Gather every logits row on this thread, then sample in parallel.
  struct Job {
    Request * r;
    Sample * s;
    const float * logits;
  };
  std::vector<Job> jobs;
  for (Request * r : in_batch) {
    r->stats.steps++;
    if (r->state == Request::Prefilling && r->out_row >= 0) {
      // Prompt complete: every sample samples its first token from the same logits row and will
      // share the prompt's cells (unified KV: metadata only).
      r->entry->ready = true;
      r->state = Request::Decoding;
      r->t_prefilled = Clock::now();
      r->stats.prefill_ms = ms_between(r->t_admit, r->t_prefilled);
      const float * row = llama_get_logits_ith(ctx_, r->out_row);
      const int32_t P = (int32_t) r->spec.prompt.size();
      for (Sample & s : r->samples) {
        s.needs_copy = true;
        s.pos = P;
        jobs.push_back({r, &s, row});
      }
      if (r->samples.empty()) finish_request(*r, "", false);  // a prefix entry: its work is done
    } else if (r->state == Request::Decoding) {
      for (Sample & s : r->samples) {
        if (s.done || s.out_row < 0) continue;
        if (s.on_backend) {
          // Sampled in the graph: reading it accepts it into the chain (no logits copied).
          s.sampled = llama_sampler_sample(s.chain->chain(), ctx_, s.out_row);
          jobs.push_back({r, &s, nullptr});
        } else {
          jobs.push_back({r, &s, llama_get_logits_ith(ctx_, s.out_row)});
        }
      }
    }
  }
  const auto t2 = Clock::now();
  pool_->run((int) jobs.size(), [&](int j, int worker) {
    Job & job = jobs[j];
    if (!job.logits) return;  // backend-sampled
    if (job.s->forcing) job.s->probe = probe_probabilities(job.logits, n_vocab_, job.r->spec.forced.probe);
    else job.s->sampled = job.s->chain->sample(job.logits, n_vocab_, scratch_[worker]);
  });
  stats_.sample_ms += ms_between(t2, Clock::now());

  const llama_vocab * vocab = llama_model_get_vocab(model_);
  for (Job & job : jobs) {
    Request & r = *job.r;
    Sample & s = *job.s;
    if (s.done) continue;
    if (s.forcing) {
      finish_sample(r, s, Finish::Forced);
      continue;
    }
    const llama_token t = s.sampled;
    const RequestSpec & spec = r.spec;
    if (!spec.ignore_eos && llama_vocab_is_eog(vocab, t)) {
      finish_sample(r, s, Finish::Eos);
      continue;
    }
    s.tokens.push_back(t);
    r.stats.generated++;
    stats_.generated_tokens++;
    const size_t before = s.text.size();
    s.text += tok_->piece(t, true);
    if (t == spec.forced.end_token) s.saw_end = true;
    bool stopped = false;
    for (const std::string & stop : spec.stop) {
      // Only the new tail can complete a stop string.
      size_t from = before >= stop.size() ? before - stop.size() + 1 : 0;
      size_t at = s.text.find(stop, from);
      if (at != std::string::npos) {
        s.text.resize(at);
        stopped = true;
        break;
      }
    }
    if (stopped) {
      finish_sample(r, s, Finish::Stop);
    } else if ((int32_t) s.tokens.size() >= spec.max_tokens) {
      finish_sample(r, s, Finish::Length);
    } else if (spec.forced.budget >= 0 && !s.saw_end && (int32_t) s.tokens.size() >= spec.forced.budget) {
      s.feed.push_back(t);
      s.feed.insert(s.feed.end(), spec.forced.tokens.begin(), spec.forced.tokens.end());
      s.text += tok_->detokenize(spec.forced.tokens, true);
      s.forcing = true;
    } else {
      s.feed.push_back(t);
    }
  }

  for (auto & rp : live_) {
    Request & r = *rp;
    if (r.finished || !r.spec.want_progress || !r.stepped) continue;
    Event e;
    e.type = Event::Progress;
    e.request_id = r.id;
    e.generated = r.stats.generated;
    e.prefilled = r.prefill_pos;
    emit(std::move(e));
  }
  stats_.busy_ms += ms_between(t0, Clock::now());
}

void Scheduler::publish_stats() {
  int32_t live_seqs = 0, live_reqs = 0;
  for (auto & r : live_) {
    live_seqs += r->live;
    live_reqs += (r->finished || r->internal) ? 0 : 1;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  shared_stats_ = stats_;
  shared_stats_.live_sequences = live_seqs;
  shared_stats_.live_requests = live_reqs;
  shared_stats_.waiting_requests = (int32_t) (waiting_.size() + incoming_.size());
  shared_stats_.cache_entries = cache_.size();
  shared_stats_.cells_used = cache_.cells();
  shared_stats_.cells_reserved = reserved_cells_;
}

void Scheduler::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !incoming_.empty() || !cancel_ids_.empty() || !live_.empty() || !waiting_.empty(); });
      if (stopping_) break;
      while (!incoming_.empty()) {
        waiting_.push_back(std::move(incoming_.front()));
        incoming_.pop_front();
        stats_.requests_submitted++;
      }
    }
    process_cancellations();
    admit();
    step();
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
