#pragma once
// The decode loop. One thread owns the llama_context: every step it gathers one token for every
// live sample of every request plus a chunk of waiting prompts, runs one llama_decode, samples the
// outputs in parallel and reports through `on_event`. Callers only submit, cancel and read stats.
//
// The work is split by concern, one file each:
//   scheduler.cpp           lifecycle, submit/cancel, the loop, finishing requests, stats
//   scheduler_capacity.cpp  the KV budget: admission, preemption (victim policy), swap and resume
//   scheduler_step.cpp      one step: build the batch, decode, sample, bookkeeping
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "llama.h"
#include "prefix_cache.h"
#include "request.h"
#include "sampling.h"
#include "tokenizer.h"

namespace rrm {

// Samples one request may ask for; beyond the engine's maxSequences they wait their turn.
constexpr int32_t kMaxSamplesPerRequest = 1024;

struct SchedulerConfig {
  int32_t context_size = 4096;   // unified: cells in all; split: cells per sequence
  int32_t max_sequences = 8;     // samples decoding at once
  int32_t cache_slots = 16;      // sequence ids kept for prompts (the prefix cache)
  int32_t batch_size = 512;      // tokens per llama_decode (prompt chunk + one per live sample)
  int32_t threads = 0;           // 0: hardware concurrency
  int32_t sampling_threads = 0;  // 0: same as threads
  KvMode kv_mode = KvMode::Unified;
  bool flash_attn = true;
  int32_t kv_type = 1;           // ggml_type of K and V: 1 = F16, 8 = Q8_0, 2 = Q4_0
  // Sample inside the decode graph (llama.cpp's experimental backend sampling): on a GPU it saves
  // copying n_vocab logits per sample per step to the host. Results differ from CPU sampling
  // for the same seed (another RNG), but repeat for the same seed.
  bool backend_sampling = false;
  int32_t defer_prefix_min = 32; // wait for a prompt being prefilled that shares this many more tokens
  Admission admission = Admission::ByUse;
  // Cells kept free per admitted or resumed sample (unified, by use), so work let in now is not
  // preempted at its next step. 64 tokens: a few steps of growth for every sample.
  int32_t sample_headroom = 64;
  // Starvation guard: the request at the head of the queue (highest priority, oldest) may be
  // overtaken by smaller requests this many times; then nothing else is admitted until it fits.
  int32_t max_overtakes = 8;
  // Results that do not depend on the load (patches/0001-0003): the CPU's reference attention
  // and matmul, each sequence's cells in position order, swapped samples saved with their prompt.
  bool batch_invariant = false;
};

class Scheduler {
 public:
  using EventSink = std::function<void(Event &&)>;
  Scheduler(llama_model * model, const Tokenizer * tokenizer, const SchedulerConfig & config, EventSink sink);
  ~Scheduler();

  // Throws std::invalid_argument when the request can never run on this engine.
  uint64_t submit(RequestSpec spec);
  // The request's remaining samples end as Cancelled at the next step; RequestDone follows.
  void cancel(uint64_t id);
  // Cancels everything, reports it, and joins the thread. Idempotent.
  void shutdown();
  // Every live scheduler's shutdown(), from an atexit handler (see scheduler.cpp).
  static void shutdown_all();
  EngineStats stats();
  int32_t n_ctx() const { return n_ctx_; }
  int32_t cells_per_sequence() const { return kv_mode_ == KvMode::Unified ? n_ctx_ : n_ctx_seq_; }
  int32_t max_sequences() const { return config_.max_sequences; }
  void set_prefix_cache_enabled(bool on) { prefix_cache_enabled_ = on; }
  // While held, submitted requests wait in the incoming queue; release() lets them in together.
  // The JS engine holds for the length of one event-loop turn, so requests submitted together
  // (a pair's two orders, a knockout round, a best-of-4 item) enter the same step whatever the
  // thread timing: their batches, and so their results, do not depend on it.
  void hold();
  void release();

 private:
  static void track_for_exit(Scheduler * s, bool live);
  struct Sample;
  struct Request;
  using Clock = std::chrono::steady_clock;

  // scheduler.cpp
  void loop();
  void finish_sample(Request & r, Sample & s, Finish f);
  void finish_request(Request & r, const std::string & error, bool cancelled);
  void fail_requests(const std::vector<Request *> & failed, const std::string & error);
  void process_cancellations();
  void publish_stats();
  void flush_done();
  void release_entry(CacheEntry * e);
  void free_sample_seq(Sample & s);
  int32_t seqs_free() const { return (int32_t) free_seqs_.size(); }
  llama_seq_id take_seq(llama_seq_id prefer = -1);
  llama_seq_id lowest_free_run(int32_t n) const;
  void give_seq(llama_seq_id id);
  void emit(Event && e);

  // scheduler_capacity.cpp
  int32_t cells_used() const;
  // Batch-invariant unified KV: cells kept in position order, so a swapped sample carries its
  // prompt and a step that finds no cell in order packs the cache (relocate_for_order).
  bool ordered_unified() const { return config_.batch_invariant && kv_mode_ == KvMode::Unified; }
  int32_t samples_running() const;
  bool make_room(int32_t cells_needed, int32_t seqs_needed);
  void admit();
  bool try_admit(Request & r);
  void unadmit(Request & r);
  void resume_swapped();
  void make_room_for_step();
  Request * pick_victim();
  void swap_out(Request & r, Sample & s, bool relocation = false);
  bool swap_in(Request & r, Sample & s);
  void end_stalled_work();

  // scheduler_step.cpp
  struct StepPlan {
    int32_t budget = 0;
    std::vector<Request *> in_batch;
    std::vector<Sample *> samples;                     // their feed is in the batch
    std::vector<std::pair<Request *, int32_t>> chunks; // prompt tokens in the batch
  };
  struct SampleJob {
    Request * r;
    Sample * s;
    const float * logits;  // nullptr: sampled on the backend
  };
  bool step();
  int32_t add_to_batch(llama_token t, llama_pos pos, llama_seq_id seq, bool logits);
  void plan_sample_tokens(StepPlan & plan);
  void plan_prompt_chunks(StepPlan & plan);
  void commit_plan(const StepPlan & plan);
  void relocate_for_order();
  std::vector<SampleJob> gather_rows(const std::vector<Request *> & in_batch);
  void sample_rows(std::vector<SampleJob> & jobs);
  void apply_sampled(std::vector<SampleJob> & jobs);
  void emit_progress();
  void collect_deltas(Request & r, std::vector<SampleDelta> & out);
  int32_t sample_limit(const Request & r, const Sample & s) const;

  llama_model * model_;
  const Tokenizer * tok_;
  SchedulerConfig config_;
  EventSink sink_;
  KvMode kv_mode_;
  llama_context * ctx_ = nullptr;
  llama_memory_t mem_ = nullptr;
  llama_batch batch_{};
  int32_t n_ctx_ = 0, n_ctx_seq_ = 0, n_seq_max_ = 0, n_batch_ = 0, n_vocab_ = 0;
  std::unique_ptr<ParallelFor> pool_;
  std::vector<std::vector<llama_token_data>> scratch_;
  llama_sampler * placeholder_sampler_ = nullptr;  // enables backend sampling at context creation

  // Shared with callers, under mutex_.
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Request>> incoming_;
  int32_t holds_ = 0;  // guarded by mutex_
  std::set<uint64_t> cancel_ids_;
  bool stopping_ = false;
  uint64_t next_id_ = 1;
  EngineStats shared_stats_;

  // Owned by the scheduler thread.
  std::deque<std::unique_ptr<Request>> waiting_;  // highest priority first, then oldest
  std::vector<std::unique_ptr<Request>> live_;    // in admission order
  std::set<llama_seq_id> free_seqs_;
  PrefixCache cache_;
  int32_t reserved_cells_ = 0;   // WorstCase admission: generated cells reserved by live requests
  int32_t generated_cells_ = 0;  // cells holding live samples' own (generated) tokens
  int32_t swapped_ = 0;          // samples swapped out to host memory, waiting to resume
  bool relax_headroom_ = false;  // admit/resume with no headroom (nothing else can run)
  bool relocated_last_step_ = false;  // batch-invariant: the last step failed for placement and packed the cache
  uint64_t tick_ = 0;
  EngineStats stats_;
  std::vector<Event> done_events_;  // RequestDone events of this step, sent after its stats
  std::atomic<bool> prefix_cache_enabled_{true};
  std::thread thread_;
  bool joined_ = false;
};

}  // namespace rrm
