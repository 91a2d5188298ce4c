// One scheduler step: one token (or a forced run) for every live sample, then prompt chunks
// with the room left (the plan), one llama_decode, the plan committed, every logits row sampled
// in parallel, and the bookkeeping that ends samples (EOS, stop strings, limits) or starts a
// forced verdict.
#include <algorithm>
#include <string>

#include "log_capture.h"
#include "scheduler_state.h"

namespace rrm {

int32_t Scheduler::sample_limit(const Request & r, const Sample & s) const {
  return r.spec.sample_max_tokens.empty() ? r.spec.max_tokens : r.spec.sample_max_tokens[s.index];
}

bool Scheduler::step() {
  make_room_for_step();
  const auto t0 = Clock::now();
  StepPlan plan;
  plan_sample_tokens(plan);
  plan_prompt_chunks(plan);
  if (batch_.n_tokens == 0) return false;

  clear_log_error();
  const int32_t ret = llama_decode(ctx_, batch_);
  const auto t1 = Clock::now();
  stats_.steps++;
  stats_.batch_tokens += batch_.n_tokens;
  stats_.decode_ms += ms_between(t0, t1);
  if (ret != 0) {
    std::string why = last_log_error();
    // Ordered placement (batch-invariant engines) found no cell after some sequence's last one:
    // the cells are there, in the wrong places. Pack them and run the step again.
    if (ret == 1 && ordered_unified() && !relocated_last_step_) {
      relocate_for_order();
      relocated_last_step_ = true;
      return true;
    }
    fail_requests(plan.in_batch, "llama_decode failed with code " + std::to_string(ret) + (why.empty() ? "" : ": " + why));
    return true;
  }
  relocated_last_step_ = false;
  commit_plan(plan);
  std::vector<SampleJob> jobs = gather_rows(plan.in_batch);
  sample_rows(jobs);
  apply_sampled(jobs);
  emit_progress();
  stats_.busy_ms += ms_between(t0, Clock::now());
  return true;
}

int32_t Scheduler::add_to_batch(llama_token t, llama_pos pos, llama_seq_id seq, bool logits) {
  int32_t i = batch_.n_tokens++;
  batch_.token[i] = t;
  batch_.pos[i] = pos;
  batch_.n_seq_id[i] = 1;
  batch_.seq_id[i][0] = seq;
  batch_.logits[i] = logits;
  return i;
}

// One token (or a forced run) for every live sample. Nothing is counted as decoded until
// llama_decode succeeds (commit_plan): a step that fails for placement runs again unchanged.
void Scheduler::plan_sample_tokens(StepPlan & plan) {
  batch_.n_tokens = 0;
  plan.budget = n_batch_;
  for (auto & rp : live_) {
    Request & r = *rp;
    r.stepped = false;
    if (r.state != Request::Decoding || r.finished) continue;
    for (Sample & s : r.samples) {
      s.out_row = -1;
      if (!s.live() || s.feed.empty() || (int32_t) s.feed.size() > plan.budget) continue;
      if (kv_mode_ == KvMode::Split && s.pos + (int32_t) s.feed.size() > n_ctx_seq_) {
        // Its own stream is full: the sample ends at the edge of the context.
        stats_.edge_finishes++;
        finish_sample(r, s, Finish::Length);
        continue;
      }
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
        s.out_row = add_to_batch(s.feed[k], s.pos + (llama_pos) k, s.seq, k + 1 == s.feed.size());
      }
      plan.budget -= (int32_t) s.feed.size();
      plan.samples.push_back(&s);
      r.stepped = true;
    }
    if (r.stepped) plan.in_batch.push_back(&r);
  }
}

// Prompt chunks with whatever room is left, oldest request first.
void Scheduler::plan_prompt_chunks(StepPlan & plan) {
  for (auto & rp : live_) {
    Request & r = *rp;
    r.out_row = -1;
    if (r.state != Request::Prefilling || r.finished || plan.budget == 0) continue;
    const int32_t P = (int32_t) r.spec.prompt.size();
    const int32_t k = std::min(plan.budget, P - r.prefill_pos);
    for (int32_t i = r.prefill_pos; i < r.prefill_pos + k; ++i) {
      int32_t row = add_to_batch(r.spec.prompt[i], i, r.entry->seq, i == P - 1);
      if (i == P - 1) r.out_row = row;
    }
    plan.chunks.push_back({&r, k});
    plan.budget -= k;
    r.stepped = true;
    plan.in_batch.push_back(&r);
  }
}

void Scheduler::commit_plan(const StepPlan & plan) {
  for (Sample * s : plan.samples) {
    const int32_t n = (int32_t) s->feed.size();
    s->pos += n;
    s->own_cells += n;
    generated_cells_ += n;
    s->feed.clear();
  }
  for (const auto & [r, k] : plan.chunks) r->prefill_pos += k;
}

// Every decoding sample goes to host memory (swap_out) and comes back, oldest first, into one
// free run of cells each (swap_in): packed from the bottom, each sequence's cells in order. When
// only prompt chunks failed, the latest prefill starts over later.
void Scheduler::relocate_for_order() {
  stats_.relocations++;
  int32_t moved = 0;
  for (auto & rp : live_) {
    Request & r = *rp;
    if (r.finished || r.state != Request::Decoding) continue;
    for (Sample & s : r.samples) {
      if (!s.live()) continue;
      swap_out(r, s, /*relocation=*/true);
      moved++;
    }
  }
  if (moved > 0) return;
  Request * latest = nullptr;
  for (auto & rp : live_) {
    if (!rp->finished && rp->state == Request::Prefilling && (!latest || rp->admitted > latest->admitted)) latest = rp.get();
  }
  if (latest) unadmit(*latest);
}

// The logits row of every sample that decoded (a finished prompt's row serves all its samples).
std::vector<Scheduler::SampleJob> Scheduler::gather_rows(const std::vector<Request *> & in_batch) {
  std::vector<SampleJob> jobs;
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
        if (!s.live() || s.out_row < 0) continue;
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
  return jobs;
}

// Every row sampled (or probed) in parallel; each sample has its own chain and RNG.
void Scheduler::sample_rows(std::vector<SampleJob> & jobs) {
  const auto t2 = Clock::now();
  pool_->run((int) jobs.size(), [&](int j, int worker) {
    SampleJob & job = jobs[j];
    if (!job.logits) return;  // backend-sampled
    if (job.s->forcing) {
      job.s->probe = probe_probabilities(job.logits, n_vocab_, job.r->spec.forced.probe);
    } else {
      job.s->sampled = job.s->chain->sample(job.logits, n_vocab_, scratch_[worker]);
      if (job.r->spec.logprobs >= 0) job.s->sampled_logprob = token_logprob(job.logits, n_vocab_, job.s->sampled, job.r->spec.logprobs);
    }
  });
  stats_.sample_ms += ms_between(t2, Clock::now());
}

// The bookkeeping that ends samples (EOS, stop strings, limits) or starts a forced verdict.
void Scheduler::apply_sampled(std::vector<SampleJob> & jobs) {
  const llama_vocab * vocab = llama_model_get_vocab(model_);
  for (SampleJob & job : jobs) {
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
    if (spec.logprobs >= 0) s.logprobs.push_back(std::move(s.sampled_logprob));
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
    } else if ((int32_t) s.tokens.size() >= sample_limit(r, s)) {
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
}

namespace {
// The length of the longest prefix of text[0, upto) that ends on a whole UTF-8 character.
size_t whole_utf8(const std::string & text, size_t upto) {
  size_t lead = upto;
  for (int back = 0; back < 4 && lead > 0; ++back) {
    const unsigned char c = (unsigned char) text[lead - 1];
    if ((c & 0xC0) != 0x80) {  // an ASCII byte or the lead byte of the last character
      const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
      return lead - 1 + len <= upto ? upto : lead - 1;
    }
    --lead;
  }
  return upto;  // not UTF-8 here: send it as it is
}
}  // namespace

// Each live sample's new text since the last event, held back by the longest stop string less one
// byte (the tail a stop string could still claim and cut) and to a whole UTF-8 character.
void Scheduler::collect_deltas(Request & r, std::vector<SampleDelta> & out) {
  size_t hold = 0;
  for (const std::string & stop : r.spec.stop) hold = std::max(hold, stop.size() - 1);
  for (Sample & s : r.samples) {
    if (s.done) continue;  // its end event carries the rest
    SampleDelta d;
    d.index = s.index;
    const size_t safe = whole_utf8(s.text, s.text.size() > hold ? s.text.size() - hold : 0);
    if (safe > s.streamed_text) {
      d.text = s.text.substr(s.streamed_text, safe - s.streamed_text);
      s.streamed_text = safe;
    }
    if (s.tokens.size() > s.streamed_tokens) {
      d.tokens.assign(s.tokens.begin() + s.streamed_tokens, s.tokens.end());
      if (r.spec.logprobs >= 0) d.logprobs.assign(s.logprobs.begin() + s.streamed_tokens, s.logprobs.end());
      s.streamed_tokens = s.tokens.size();
    }
    if (!d.text.empty() || !d.tokens.empty()) out.push_back(std::move(d));
  }
}

void Scheduler::emit_progress() {
  for (auto & rp : live_) {
    Request & r = *rp;
    if (r.finished || !(r.spec.want_progress || r.spec.stream) || !r.stepped) continue;
    Event e;
    e.type = Event::Progress;
    e.request_id = r.id;
    e.generated = r.stats.generated;
    e.prefilled = r.prefill_pos;
    if (r.spec.stream) collect_deltas(r, e.deltas);
    emit(std::move(e));
  }
}

}  // namespace rrm
