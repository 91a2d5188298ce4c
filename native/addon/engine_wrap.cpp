#include "engine_wrap.h"

#include <string>

namespace rrm {

namespace {
int32_t int_opt(const Napi::Object & o, const char * key, int32_t fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : fallback;
}
double num_opt(const Napi::Object & o, const char * key, double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}
std::vector<llama_token> tokens_opt(const Napi::Object & o, const char * key) {
  Napi::Value v = o.Get(key);
  std::vector<llama_token> out;
  if (v.IsTypedArray()) {
    Napi::Int32Array a = v.As<Napi::Int32Array>();
    out.assign(a.Data(), a.Data() + a.ElementLength());
  }
  return out;
}

Napi::Object stats_to_js(Napi::Env env, const RequestStats & s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("promptTokens", s.prompt_tokens);
  o.Set("prefillTokensComputed", s.prefill_computed);
  o.Set("prefixTokensReused", s.prefix_reused);
  o.Set("generatedTokens", s.generated);
  o.Set("steps", s.steps);
  o.Set("preemptions", s.preemptions);
  Napi::Object t = Napi::Object::New(env);
  t.Set("queuedMs", s.queued_ms);
  t.Set("prefillMs", s.prefill_ms);
  t.Set("decodeMs", s.decode_ms);
  t.Set("totalMs", s.total_ms);
  o.Set("timings", t);
  return o;
}

// Log probabilities as flat typed arrays: logprob[i] for token i; its k alternatives at
// topTokens / topLogprobs[i * k .. i * k + k) (k: the request's count; fewer only past the vocabulary).
void set_logprobs(Napi::Env env, Napi::Object & o, const std::vector<TokenLogprob> & lps) {
  const size_t k = lps.empty() ? 0 : lps[0].top.size();
  Napi::Float32Array lp = Napi::Float32Array::New(env, lps.size());
  Napi::Int32Array top_tokens = Napi::Int32Array::New(env, lps.size() * k);
  Napi::Float32Array top_lps = Napi::Float32Array::New(env, lps.size() * k);
  for (size_t i = 0; i < lps.size(); ++i) {
    lp[i] = lps[i].logprob;
    for (size_t j = 0; j < k && j < lps[i].top.size(); ++j) {
      top_tokens[i * k + j] = lps[i].top[j].first;
      top_lps[i * k + j] = lps[i].top[j].second;
    }
  }
  o.Set("logprob", lp);
  o.Set("topTokens", top_tokens);
  o.Set("topLogprobs", top_lps);
}

Napi::Int32Array tokens_to_js(Napi::Env env, const std::vector<llama_token> & tokens) {
  Napi::Int32Array a = Napi::Int32Array::New(env, tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) a[i] = tokens[i];
  return a;
}

void deliver(Napi::Env env, Napi::Function fn, Event * e) {
  std::unique_ptr<Event> owned(e);
  if (env == nullptr || fn.IsEmpty()) return;
  Napi::Object payload = Napi::Object::New(env);
  const char * type = "progress";
  if (e->type == Event::Progress) {
    payload.Set("generated", e->generated);
    payload.Set("prefilled", e->prefilled);
    if (!e->deltas.empty()) {
      Napi::Array deltas = Napi::Array::New(env, e->deltas.size());
      for (size_t i = 0; i < e->deltas.size(); ++i) {
        const SampleDelta & d = e->deltas[i];
        Napi::Object o = Napi::Object::New(env);
        o.Set("index", d.index);
        o.Set("text", Napi::String::New(env, d.text));
        o.Set("tokens", tokens_to_js(env, d.tokens));
        if (!d.logprobs.empty()) set_logprobs(env, o, d.logprobs);
        deltas.Set(i, o);
      }
      payload.Set("deltas", deltas);
    }
  } else if (e->type == Event::SampleDone) {
    type = "sample";
    const SampleOutput & s = e->sample;
    payload.Set("index", s.index);
    payload.Set("tokens", tokens_to_js(env, s.tokens));
    if (!s.logprobs.empty()) set_logprobs(env, payload, s.logprobs);
    payload.Set("text", Napi::String::New(env, s.text));
    payload.Set("finishReason", finish_name(s.finish));
    Napi::Array probe = Napi::Array::New(env, s.probe_probs.size());
    for (size_t i = 0; i < s.probe_probs.size(); ++i) probe.Set(i, s.probe_probs[i]);
    payload.Set("probe", probe);
  } else {
    type = "done";
    payload.Set("stats", stats_to_js(env, e->stats));
    payload.Set("cancelled", e->cancelled);
    if (!e->error.empty()) payload.Set("error", e->error);
  }
  fn.Call({Napi::String::New(env, type), Napi::Number::New(env, (double) e->request_id), payload});
}
}  // namespace

Napi::Function EngineWrap::Init(Napi::Env env) {
  return DefineClass(env, "Engine", {
    InstanceMethod("submit", &EngineWrap::Submit),
    InstanceMethod("cancel", &EngineWrap::Cancel),
    InstanceMethod("stats", &EngineWrap::Stats),
    InstanceMethod("info", &EngineWrap::Info),
    InstanceMethod("setPrefixCache", &EngineWrap::SetPrefixCache),
    InstanceMethod("hold", &EngineWrap::Hold),
    InstanceMethod("release", &EngineWrap::Release),
    InstanceMethod("ref", &EngineWrap::Ref),
    InstanceMethod("unref", &EngineWrap::Unref),
    InstanceMethod("dispose", &EngineWrap::Dispose),
  });
}

// new Engine(model, options, onEvent). Options arrive validated by lib/engine.
EngineWrap::EngineWrap(const Napi::CallbackInfo & info) : Napi::ObjectWrap<EngineWrap>(info) {
  Napi::Env env = info.Env();
  Napi::Object model_obj = info[0].As<Napi::Object>();
  model_ = Napi::ObjectWrap<ModelWrap>::Unwrap(model_obj);
  model_->require_loaded(env, "create an engine");
  Napi::Object o = info[1].As<Napi::Object>();
  SchedulerConfig cfg;
  cfg.context_size = int_opt(o, "contextSize", cfg.context_size);
  cfg.max_sequences = int_opt(o, "maxSequences", cfg.max_sequences);
  cfg.cache_slots = int_opt(o, "prefixCacheSlots", cfg.cache_slots);
  cfg.batch_size = int_opt(o, "batchSize", cfg.batch_size);
  cfg.threads = int_opt(o, "threads", 0);
  cfg.sampling_threads = int_opt(o, "samplingThreads", 0);
  cfg.flash_attn = o.Get("flashAttention").IsBoolean() ? o.Get("flashAttention").ToBoolean().Value() : true;
  cfg.backend_sampling = o.Get("backendSampling").ToBoolean();
  cfg.kv_type = int_opt(o, "kvType", cfg.kv_type);
  cfg.admission = o.Get("admission").IsString() && o.Get("admission").As<Napi::String>().Utf8Value() == "worst-case" ? Admission::WorstCase : Admission::ByUse;
  cfg.sample_headroom = int_opt(o, "sampleHeadroom", cfg.sample_headroom);
  std::string kv = o.Get("kvMode").IsString() ? o.Get("kvMode").As<Napi::String>().Utf8Value() : "unified";
  cfg.kv_mode = kv == "split" ? KvMode::Split : KvMode::Unified;
  kv_mode_ = cfg.kv_mode;
  cfg.batch_invariant = o.Get("batchInvariant").ToBoolean();

  events_ = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "rrm-engine-events", 0, 1);
  events_.Unref(env);  // the JS side refs it while requests are in flight
  auto tsfn = events_;
  try {
    scheduler_ = std::make_unique<Scheduler>(model_->model(), model_->tokenizer(), cfg, [tsfn](Event && e) mutable {
      tsfn.NonBlockingCall(new Event(std::move(e)), deliver);
    });
  } catch (const std::exception & e) {
    events_.Release();
    closed_ = true;
    throw Napi::Error::New(env, e.what());
  }
  model_ref_ = Napi::Persistent(model_obj);
  model_->engine_opened();
}

EngineWrap::~EngineWrap() {
  if (scheduler_) scheduler_->shutdown();
}

void EngineWrap::require_open(Napi::Env env, const char * what) const {
  if (closed_) throw Napi::Error::New(env, std::string("cannot ") + what + ": the engine has been disposed");
}

Napi::Value EngineWrap::Submit(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  require_open(env, "generate");
  Napi::Object o = info[0].As<Napi::Object>();
  RequestSpec spec;
  spec.prompt = tokens_opt(o, "prompt");
  spec.n = int_opt(o, "n", 1);
  spec.max_tokens = int_opt(o, "maxTokens", 16);
  spec.sampling.temperature = (float) num_opt(o, "temperature", 0.8);
  spec.sampling.top_p = (float) num_opt(o, "topP", 1.0);
  spec.sampling.top_k = int_opt(o, "topK", 0);
  spec.sampling.min_p = (float) num_opt(o, "minP", 0.0);
  spec.sampling.seed = (uint32_t) num_opt(o, "seed", 0);
  spec.ignore_eos = o.Get("ignoreEos").ToBoolean();
  spec.prefix_cache = !o.Get("prefixCache").IsBoolean() || o.Get("prefixCache").ToBoolean().Value();
  spec.want_progress = o.Get("progress").ToBoolean();
  spec.stream = o.Get("stream").ToBoolean();
  spec.logprobs = int_opt(o, "logprobs", -1);
  spec.priority = int_opt(o, "priority", 0);
  spec.sample_max_tokens = tokens_opt(o, "sampleMaxTokens");
  Napi::Value stop = o.Get("stop");
  if (stop.IsArray()) {
    Napi::Array a = stop.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) spec.stop.push_back(a.Get(i).As<Napi::String>());
  }
  Napi::Value forced = o.Get("forced");
  if (forced.IsObject()) {
    Napi::Object f = forced.As<Napi::Object>();
    spec.forced.budget = int_opt(f, "budget", -1);
    spec.forced.end_token = int_opt(f, "endToken", -1);
    spec.forced.tokens = tokens_opt(f, "tokens");
    spec.forced.probe = tokens_opt(f, "probe");
  }
  try {
    return Napi::Number::New(env, (double) scheduler_->submit(std::move(spec)));
  } catch (const std::invalid_argument & e) {
    throw Napi::RangeError::New(env, e.what());
  } catch (const std::exception & e) {
    throw Napi::Error::New(env, e.what());
  }
}

Napi::Value EngineWrap::Cancel(const Napi::CallbackInfo & info) {
  if (!closed_) scheduler_->cancel((uint64_t) info[0].As<Napi::Number>().Int64Value());
  return info.Env().Undefined();
}

Napi::Value EngineWrap::Stats(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  require_open(env, "read stats");
  EngineStats s = scheduler_->stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("requestsSubmitted", (double) s.requests_submitted);
  o.Set("requestsDone", (double) s.requests_done);
  o.Set("promptTokensSubmitted", (double) s.prompt_tokens_submitted);
  o.Set("promptTokensComputed", (double) s.prompt_tokens_computed);
  o.Set("promptTokensReused", (double) s.prompt_tokens_reused);
  o.Set("generatedTokens", (double) s.generated_tokens);
  o.Set("steps", (double) s.steps);
  o.Set("batchTokens", (double) s.batch_tokens);
  o.Set("decodeMs", s.decode_ms);
  o.Set("sampleMs", s.sample_ms);
  o.Set("busyMs", s.busy_ms);
  o.Set("liveSequences", s.live_sequences);
  o.Set("liveRequests", s.live_requests);
  o.Set("waitingRequests", s.waiting_requests);
  o.Set("prefixCacheEntries", s.cache_entries);
  o.Set("prefixCacheCells", s.cells_used);
  o.Set("reservedCells", s.cells_reserved);
  o.Set("generatedCells", s.generated_cells);
  o.Set("peakCells", s.peak_cells);
  o.Set("peakLiveSequences", s.peak_live_sequences);
  o.Set("swappedSequences", s.swapped_sequences);
  o.Set("preemptions", (double) s.preemptions);
  o.Set("resumes", (double) s.resumes);
  o.Set("swapBytes", (double) s.swap_bytes);
  o.Set("swapMs", s.swap_ms);
  o.Set("edgeFinishes", (double) s.edge_finishes);
  o.Set("relocations", (double) s.relocations);
  return o;
}

Napi::Value EngineWrap::Info(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  require_open(env, "read engine info");
  Napi::Object o = Napi::Object::New(env);
  o.Set("contextSize", scheduler_->n_ctx());
  o.Set("cellsPerSequence", scheduler_->cells_per_sequence());
  o.Set("maxSequences", scheduler_->max_sequences());
  o.Set("kvMode", kv_mode_ == KvMode::Split ? "split" : "unified");
  return o;
}

Napi::Value EngineWrap::SetPrefixCache(const Napi::CallbackInfo & info) {
  require_open(info.Env(), "configure the prefix cache");
  scheduler_->set_prefix_cache_enabled(info[0].ToBoolean());
  return info.Env().Undefined();
}

Napi::Value EngineWrap::Hold(const Napi::CallbackInfo & info) {
  if (!closed_) scheduler_->hold();
  return info.Env().Undefined();
}

Napi::Value EngineWrap::Release(const Napi::CallbackInfo & info) {
  if (!closed_) scheduler_->release();
  return info.Env().Undefined();
}

Napi::Value EngineWrap::Ref(const Napi::CallbackInfo & info) {
  if (!closed_) events_.Ref(info.Env());
  return info.Env().Undefined();
}

Napi::Value EngineWrap::Unref(const Napi::CallbackInfo & info) {
  if (!closed_) events_.Unref(info.Env());
  return info.Env().Undefined();
}

void EngineWrap::close() {
  if (closed_) return;
  closed_ = true;
  // Joins the decode thread; every unfinished request is reported as failed through events_,
  // whose queued calls still run after Release.
  scheduler_->shutdown();
  // Free the context now, while the model is certainly alive: once engine_closed() runs, the model
  // may be disposed, and a context left for the finalizer would be freed after its model
  // (AddressSanitizer: heap-use-after-free in ~llama_context, from engine.dispose(); model.dispose()).
  scheduler_.reset();
  events_.Release();
  model_->engine_closed();
  model_ref_.Reset();
}

Napi::Value EngineWrap::Dispose(const Napi::CallbackInfo & info) {
  close();
  return info.Env().Undefined();
}

}  // namespace rrm
