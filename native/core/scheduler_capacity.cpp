// The KV budget: who gets cells, who waits, who is preempted.
//
// Capacity (unified KV): cells in use = the prefix cache's entries (every admitted prompt is one,
// counted whole from admission) + the cells live samples generated into (admission by use), or
// + the worst case reserved per request (worst-case admission). Prompts are admitted with a
// headroom per sample; before each step the scheduler makes sure the step's tokens fit, evicting
// unused cache entries first, then preempting.
//
// Policy: requests wait in priority order (first come first served among equals); one that
// waits at the head may be overtaken a bounded number of times. Preemption takes the latest
// admitted work of the lowest priority first (vLLM's rule): the oldest requests keep running and
// finish, so preemption cannot livelock, and the cost falls on work that has done the least.
// A preempted sample's own K/V bytes go to host memory and come back bit for bit when room frees
// (swap); preempted samples resume, oldest first, before any new request is admitted.
#include <algorithm>
#include <string>

#include "scheduler_state.h"

namespace rrm {

int32_t Scheduler::samples_running() const {
  int32_t n = 0;
  for (const auto & r : live_) {
    if (r->finished) continue;
    for (const Sample & s : r->samples) n += s.live() ? 1 : 0;
  }
  return n;
}

int32_t Scheduler::cells_used() const {
  if (kv_mode_ == KvMode::Split) return 0;
  return cache_.cells() + (config_.admission == Admission::WorstCase ? reserved_cells_ : generated_cells_);
}

bool Scheduler::make_room(int32_t cells_needed, int32_t seqs_needed) {
  for (;;) {
    const bool cells_ok = kv_mode_ == KvMode::Split || cells_used() + cells_needed <= n_ctx_;
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
  // maxSequences caps the samples decoding at once (the prefix cache's ids are not for samples).
  // A request with more samples than that starts as many as fit; the rest wait as if preempted
  // (nothing saved yet) and start as sequences free, before any new request is admitted.
  const int32_t running = samples_running();
  const int32_t start_now = r.spec.n <= config_.max_sequences ? r.spec.n : config_.max_sequences - running;
  // (A split-KV shared-prefix entry has no samples at all: n = 0.)
  if ((r.spec.n > 0 && start_now < 1) || running + start_now > config_.max_sequences) return false;
  const int32_t P = (int32_t) prompt.size();
  const int32_t per_sample = r.spec.max_tokens + r.forced_len;
  const bool worst_case = config_.admission == Admission::WorstCase;
  const int32_t headroom = relax_headroom_ ? 0 : std::min(config_.sample_headroom, per_sample);
  const int32_t gen = worst_case ? r.spec.n * per_sample : start_now * headroom;
  if (match.entry) match.entry->pins++;  // not evictable while we make room
  bool ok = make_room((P - match.length) + gen, start_now + 1);
  if (match.entry) match.entry->pins--;
  if (!ok && match.entry && match.entry->pins == 0 && match.entry->children == 0) {
    // The entry we would copy from is itself what is in the way: compute the whole prompt.
    match = PrefixCache::Match{};
    ok = make_room(P + gen, start_now + 1);
  }
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
  r.admitted = tick_;
  r.prefill_pos = match.length;
  r.stats.prefix_reused = match.length;
  r.stats.prefill_computed = P - match.length;
  if (worst_case) {
    r.reserved = gen;
    reserved_cells_ += gen;
  }
  // Consecutive ids for the samples: split KV cuts a step into several passes otherwise.
  r.samples.resize(r.spec.n);
  llama_seq_id prev = lowest_free_run(start_now) - 1;
  for (int32_t i = 0; i < r.spec.n; ++i) {
    Sample & s = r.samples[i];
    s.index = i;
    if (i < start_now) {
      s.seq = prev = take_seq(prev + 1);
    } else {
      s.swapped = true;  // its first token is sampled with the others; it decodes once resumed
      swapped_++;
    }
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
  // Preempted samples go first: admitting new work now would only preempt them again.
  if (swapped_ > 0) return;
  Request * head = nullptr;  // the first request that could not be admitted in this pass
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (try_admit(**it)) {
      if (head) head->overtaken++;
      live_.push_back(std::move(*it));
      it = waiting_.erase(it);
      continue;
    }
    if (!head) {
      head = it->get();
      // Starvation guard: a request passed over often enough stops the queue until it fits.
      if (head->overtaken >= config_.max_overtakes) return;
    }
    ++it;
  }
}

// Sends a request that is still prefilling back to the queue: its partial prompt is freed and
// recomputed when it is admitted again (it has generated nothing, so nothing else is lost).
void Scheduler::unadmit(Request & r) {
  for (Sample & s : r.samples) {
    free_sample_seq(s);
    if (s.swapped) swapped_--;
  }
  r.samples.clear();
  r.live = 0;
  r.entry->pins--;
  r.entry->shared = false;
  if (r.entry->pins == 0 && r.entry->children == 0) release_entry(r.entry);
  r.entry = nullptr;
  if (!r.internal) stats_.prompt_tokens_submitted -= r.stats.prompt_tokens;
  stats_.prompt_tokens_computed -= r.stats.prefill_computed;
  stats_.prompt_tokens_reused -= r.stats.prefix_reused;
  r.stats.prefill_computed = r.stats.prefix_reused = 0;
  r.state = Request::Waiting;
  r.prefill_pos = 0;
  r.stats.preemptions++;
  stats_.preemptions++;
  auto it = std::find_if(live_.begin(), live_.end(), [&](const std::unique_ptr<Request> & p) { return p.get() == &r; });
  std::unique_ptr<Request> owned = std::move(*it);
  live_.erase(it);
  if (owned->internal) return;  // a split-KV shared prefix: recreated on demand
  // Ahead of its equals (it was admitted before them), behind higher priorities.
  auto at = std::find_if(waiting_.begin(), waiting_.end(), [&](const std::unique_ptr<Request> & w) { return w->spec.priority <= owned->spec.priority; });
  waiting_.insert(at, std::move(owned));
}

Scheduler::Request * Scheduler::pick_victim() {
  Request * victim = nullptr;
  for (auto & rp : live_) {
    Request & r = *rp;
    if (r.finished) continue;
    bool has_live = r.state == Request::Prefilling;
    for (const Sample & s : r.samples) has_live = has_live || s.live();
    if (!has_live) continue;
    // Lowest priority first, then the latest admitted.
    if (!victim || r.spec.priority < victim->spec.priority || (r.spec.priority == victim->spec.priority && r.admitted > victim->admitted)) victim = &r;
  }
  return victim;
}

void Scheduler::make_room_for_step() {
  if (kv_mode_ != KvMode::Unified || config_.admission != Admission::ByUse) return;
  int32_t need = 0, running = 0;
  for (auto & rp : live_) {
    if (rp->finished) continue;
    if (rp->state == Request::Prefilling) running++;
    if (rp->state != Request::Decoding) continue;
    for (const Sample & s : rp->samples) {
      if (!s.live()) continue;
      need += (int32_t) s.feed.size();
      running++;
    }
  }
  while (cells_used() + need > n_ctx_) {
    if (CacheEntry * e = cache_.lru_evictable()) {
      release_entry(e);
      continue;
    }
    Request * v = pick_victim();
    if (!v) return;
    if (v->state == Request::Prefilling) {
      unadmit(*v);
      running--;
      continue;
    }
    Sample * s = nullptr;
    for (Sample & c : v->samples) if (c.live()) s = &c;  // its highest-index live sample
    need -= (int32_t) s->feed.size();
    if (running == 1) {
      // Alone and still out of room: this sample has reached the edge of the context.
      stats_.edge_finishes++;
      finish_sample(*v, *s, Finish::Length);
    } else {
      swap_out(*v, *s);
    }
    running--;
  }
}

void Scheduler::swap_out(Request & r, Sample & s, bool relocation) {
  const auto t0 = Clock::now();
  s.swap_cells = s.own_cells;
  if (s.own_cells > 0) {
    if (ordered_unified()) {
      // Saved with its prompt: it comes back as one run of cells in position order (ordered
      // placement), with a private copy of the prompt's K/V, the same bytes.
      s.swap_cells += (int32_t) r.spec.prompt.size();
    } else {
      // Drop only this sample's tag on the shared prompt (its entry keeps those cells), so the
      // saved state holds exactly the cells this sample computed.
      llama_memory_seq_rm(mem_, s.seq, 0, (llama_pos) r.spec.prompt.size());
    }
    const size_t n = llama_state_seq_get_size(ctx_, s.seq);
    s.swap.resize(n);
    llama_state_seq_get_data(ctx_, s.swap.data(), n, s.seq);
    stats_.swap_bytes += (int64_t) n;
  } else {
    s.needs_copy = true;  // nothing decoded yet: it takes the prompt's cells again on resume
  }
  free_sample_seq(s);
  s.swapped = true;
  swapped_++;
  s.preempted = !relocation;
  if (!relocation) {
    r.stats.preemptions++;
    stats_.preemptions++;
  }
  stats_.swap_ms += ms_between(t0, Clock::now());
}

bool Scheduler::swap_in(Request & r, Sample & s) {
  const int32_t left = std::max(1, sample_limit(r, s) + r.forced_len - (int32_t) s.tokens.size());
  const int32_t headroom = relax_headroom_ ? 1 : std::min(config_.sample_headroom, left);
  if (samples_running() >= config_.max_sequences) return false;
  if (!make_room(s.swap_cells + headroom, 1)) return false;
  const auto t0 = Clock::now();
  s.seq = take_seq();
  if (!s.swap.empty()) {
    const bool with_prompt = ordered_unified();
    if (llama_state_seq_set_data(ctx_, s.swap.data(), s.swap.size(), s.seq) == 0) {
      if (with_prompt) {
        // Ordered placement wants one free run of cells for the whole sample and none is free
        // yet: it waits, swapped out, until work finishes.
        give_seq(s.seq);
        s.seq = -1;
        return false;
      }
      finish_request(r, "could not restore a preempted sample's KV cells", false);
      return true;
    }
    if (!with_prompt) llama_memory_seq_cp(mem_, r.entry->seq, s.seq, 0, (llama_pos) r.spec.prompt.size());
    if (config_.backend_sampling && !s.forcing) s.on_backend = llama_set_sampler(ctx_, s.seq, s.chain->chain());
  }
  s.own_cells = s.swap_cells;
  generated_cells_ += s.own_cells;
  std::vector<uint8_t>().swap(s.swap);
  s.swapped = false;
  swapped_--;
  // resumes count preempted samples coming back, as preemptions count them leaving; a batch-
  // invariant engine's relocation (relocate_for_order) moves samples without preempting them
  if (s.preempted) stats_.resumes++;
  s.preempted = false;
  stats_.swap_ms += ms_between(t0, Clock::now());
  return true;
}

void Scheduler::resume_swapped() {
  if (swapped_ == 0) return;
  std::vector<Request *> order;
  for (auto & rp : live_) if (!rp->finished) order.push_back(rp.get());
  std::stable_sort(order.begin(), order.end(), [](const Request * a, const Request * b) { return a->spec.priority > b->spec.priority; });
  for (Request * r : order) {
    for (Sample & s : r->samples) {
      if (!s.swapped || s.done) continue;
      if (!swap_in(*r, s)) return;  // oldest first: younger work waits behind
      if (r->finished) break;
    }
  }
}

// Nothing could run this step although work is queued: relax the headroom once, and if a
// preempted sample still cannot come back (other requests' prompts fill the context), end it at
// the edge rather than wait forever.
void Scheduler::end_stalled_work() {
  for (auto & rp : live_) {
    if (rp->finished) continue;
    if (rp->state == Request::Prefilling) return;
    for (const Sample & s : rp->samples) if (s.live()) return;
  }
  if (swapped_ == 0 && waiting_.empty()) return;
  relax_headroom_ = true;
  const int32_t swapped_before = swapped_;
  const size_t live_before = live_.size();
  resume_swapped();
  if (swapped_ == 0) admit();
  relax_headroom_ = false;
  if (swapped_ < swapped_before || live_.size() > live_before) return;
  for (auto & rp : live_) {
    for (Sample & s : rp->samples) {
      if (!s.swapped || s.done) continue;
      stats_.edge_finishes++;
      finish_sample(*rp, s, Finish::Length);
      return;
    }
  }
  // Nothing runs, nothing is swapped out, and the head of the queue does not fit an empty cache:
  // it never will. Say so rather than wait forever.
  if (swapped_ == 0 && !waiting_.empty()) {
    std::unique_ptr<Request> r = std::move(waiting_.front());
    waiting_.pop_front();
    finish_request(*r, "the request does not fit the engine's KV cache (" + std::to_string(n_ctx_) + " cells) even with nothing else running", false);
  }
}

}  // namespace rrm
