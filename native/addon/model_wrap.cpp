#include "model_wrap.h"

#include <cmath>
#include <string>

#include "log_capture.h"

namespace rrm {

// Loads on a worker thread; progress goes to JS through a thread-safe function.
class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, ModelWrap * owner, std::string path, int32_t gpu_layers, bool use_mmap, bool repack, Napi::Function progress)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), owner_(owner), path_(std::move(path)),
        gpu_layers_(gpu_layers), use_mmap_(use_mmap), repack_(repack) {
    owner_ref_ = Napi::Persistent(owner->Value());  // pin the owner while the worker runs
    if (!progress.IsEmpty()) {
      progress_ = Napi::ThreadSafeFunction::New(env, progress, "rrm-load-progress", 0, 1);
      has_progress_ = true;
    }
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = gpu_layers_;
    // No GPU layers means no GPU at all: with the default device list llama.cpp would still put
    // the weights in the GPU's pinned host buffers and, with op_offload, send every large batch
    // to the GPU (a CPU device such as lavapipe is then much slower, and results follow its kernels).
    static ggml_backend_dev_t no_devices[] = {nullptr};
    if (gpu_layers_ == 0) mp.devices = no_devices;
    if (!use_mmap_) mp.load_mode = LLAMA_LOAD_MODE_NONE;
    // Weights repacked for the CPU's wide kernels (llama.cpp's extra buffer types) are faster,
    // but those kernels differ by row count: batch-invariant engines need them off.
    mp.use_extra_bufts = repack_;
    mp.progress_callback = [](float p, void * self) -> bool {
      auto * w = static_cast<LoadWorker *>(self);
      if (w->owner_->abort_load_.load()) return false;
      if (w->has_progress_ && p - w->last_progress_ >= 0.01f) {
        w->last_progress_ = p;
        w->progress_.NonBlockingCall(new float(p), [](Napi::Env env, Napi::Function fn, float * v) {
          fn.Call({Napi::Number::New(env, *v)});
          delete v;
        });
      }
      return true;
    };
    mp.progress_callback_user_data = this;
    clear_log_error();
    model_ = llama_model_load_from_file(path_.c_str(), mp);
    if (!model_) {
      if (owner_->abort_load_.load()) {
        SetError("AbortError: loading was aborted");
        return;
      }
      std::string why = last_log_error();
      SetError("llama.cpp could not load the model '" + path_ + "'" + (why.empty() ? "" : ": " + why));
      return;
    }
    try {
      tokenizer_ = std::make_unique<Tokenizer>(llama_model_get_vocab(model_));
    } catch (const std::exception & e) {
      llama_model_free(model_);
      model_ = nullptr;
      SetError(std::string("could not read the vocabulary: ") + e.what());
    }
  }

  void OnOK() override {
    owner_->loading_ = false;
    if (owner_->disposed_) {
      llama_model_free(model_);
      deferred_.Reject(Napi::Error::New(Env(), "the model was disposed while loading").Value());
    } else {
      owner_->model_ = model_;
      owner_->tokenizer_ = std::move(tokenizer_);
      deferred_.Resolve(Env().Undefined());
    }
    cleanup();
  }

  void OnError(const Napi::Error & e) override {
    owner_->loading_ = false;
    deferred_.Reject(e.Value());
    cleanup();
  }

 private:
  void cleanup() {
    if (has_progress_) progress_.Release();
    owner_ref_.Reset();
  }
  Napi::Promise::Deferred deferred_;
  ModelWrap * owner_;
  Napi::ObjectReference owner_ref_;
  std::string path_;
  int32_t gpu_layers_;
  bool use_mmap_;
  bool repack_;
  Napi::ThreadSafeFunction progress_;
  bool has_progress_ = false;
  float last_progress_ = -1.0f;
  llama_model * model_ = nullptr;
  std::unique_ptr<Tokenizer> tokenizer_;
};

Napi::Function ModelWrap::Init(Napi::Env env) {
  return DefineClass(env, "Model", {
    InstanceMethod("load", &ModelWrap::Load),
    InstanceMethod("abortLoad", &ModelWrap::AbortLoad),
    InstanceMethod("info", &ModelWrap::Info),
    InstanceMethod("tokenize", &ModelWrap::Tokenize),
    InstanceMethod("tokenizePlain", &ModelWrap::TokenizePlain),
    InstanceMethod("detokenize", &ModelWrap::Detokenize),
    InstanceMethod("specialTokens", &ModelWrap::SpecialTokens),
    InstanceMethod("dispose", &ModelWrap::Dispose),
  });
}

ModelWrap::ModelWrap(const Napi::CallbackInfo & info) : Napi::ObjectWrap<ModelWrap>(info) {}

ModelWrap::~ModelWrap() { free_model(); }

void ModelWrap::free_model() {
  tokenizer_.reset();
  if (model_) llama_model_free(model_);
  model_ = nullptr;
}

void ModelWrap::require_loaded(Napi::Env env, const char * what) const {
  if (disposed_) throw Napi::Error::New(env, std::string("cannot ") + what + ": the model has been disposed");
  if (!model_) throw Napi::Error::New(env, std::string("cannot ") + what + ": the model is not loaded");
}

Napi::Value ModelWrap::Load(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  if (disposed_) throw Napi::Error::New(env, "cannot load: the model has been disposed");
  if (loading_ || model_) throw Napi::Error::New(env, "this Model object is already loaded or loading");
  std::string path = info[0].As<Napi::String>();
  Napi::Object opts = info[1].As<Napi::Object>();
  int32_t gpu_layers = opts.Get("gpuLayers").As<Napi::Number>().Int32Value();
  bool use_mmap = opts.Get("useMmap").ToBoolean();
  // llama.cpp's extra (repacked) weight buffers: { repack: true }, the default
  const bool repack = !opts.Get("repack").IsBoolean() || opts.Get("repack").ToBoolean();
  Napi::Function progress = info[2].IsFunction() ? info[2].As<Napi::Function>() : Napi::Function();
  abort_load_ = false;
  loading_ = true;
  auto * worker = new LoadWorker(env, this, path, gpu_layers, use_mmap, repack, progress);
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

Napi::Value ModelWrap::AbortLoad(const Napi::CallbackInfo & info) {
  abort_load_ = true;
  return info.Env().Undefined();
}

static std::string meta(const llama_model * m, const char * key) {
  char buf[512];
  int32_t n = llama_model_meta_val_str(m, key, buf, sizeof(buf));
  if (n < 0) return "";
  if ((size_t) n < sizeof(buf)) return std::string(buf, n);
  std::string big(n + 1, '\0');
  llama_model_meta_val_str(m, key, big.data(), big.size());
  big.resize(n);
  return big;
}

Napi::Value ModelWrap::Info(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  require_loaded(env, "read model info");
  const llama_vocab * vocab = llama_model_get_vocab(model_);
  Napi::Object o = Napi::Object::New(env);
  o.Set("architecture", meta(model_, "general.architecture"));
  o.Set("name", meta(model_, "general.name"));
  char desc[256];
  llama_model_desc(model_, desc, sizeof(desc));
  o.Set("description", std::string(desc));
  o.Set("trainingContextSize", llama_model_n_ctx_train(model_));
  o.Set("embeddingSize", llama_model_n_embd(model_));
  o.Set("layers", llama_model_n_layer(model_));
  o.Set("heads", llama_model_n_head(model_));
  o.Set("kvHeads", llama_model_n_head_kv(model_));
  o.Set("parameters", (double) llama_model_n_params(model_));
  o.Set("sizeBytes", (double) llama_model_size(model_));
  o.Set("vocabularySize", llama_vocab_n_tokens(vocab));
  const char * tmpl = llama_model_chat_template(model_, nullptr);
  o.Set("chatTemplate", tmpl ? Napi::Value(Napi::String::New(env, tmpl)) : env.Null());
  llama_token bos = llama_vocab_bos(vocab), eos = llama_vocab_eos(vocab);
  o.Set("bos", bos);
  o.Set("eos", eos);
  o.Set("bosText", bos >= 0 ? tokenizer_->piece(bos, true) : "");
  o.Set("eosText", eos >= 0 ? tokenizer_->piece(eos, true) : "");
  o.Set("addBos", llama_vocab_get_add_bos(vocab));
  return o;
}

static Napi::Int32Array to_js(Napi::Env env, const std::vector<llama_token> & tokens) {
  Napi::Int32Array a = Napi::Int32Array::New(env, tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) a[i] = tokens[i];
  return a;
}

Napi::Value ModelWrap::Tokenize(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  require_loaded(env, "tokenize");
  std::string text = info[0].As<Napi::String>();
  bool special = info[1].ToBoolean();
  bool add_special = info[2].ToBoolean();
  try {
    return to_js(env, tokenizer_->tokenize_raw(text, add_special, special));
  } catch (const std::exception & e) {
    throw Napi::Error::New(env, e.what());
  }
}

Napi::Value ModelWrap::TokenizePlain(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  require_loaded(env, "tokenize");
  std::string text = info[0].As<Napi::String>();
  try {
    return to_js(env, tokenizer_->tokenize_plain(text));
  } catch (const std::exception & e) {
    throw Napi::Error::New(env, e.what());
  }
}

Napi::Value ModelWrap::Detokenize(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  require_loaded(env, "detokenize");
  Napi::Int32Array a = info[0].As<Napi::Int32Array>();
  bool special = info[1].ToBoolean();
  std::vector<llama_token> tokens(a.Data(), a.Data() + a.ElementLength());
  try {
    return Napi::String::New(env, tokenizer_->detokenize(tokens, special));
  } catch (const std::exception & e) {
    throw Napi::RangeError::New(env, e.what());
  }
}

Napi::Value ModelWrap::SpecialTokens(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  require_loaded(env, "list special tokens");
  const llama_vocab * vocab = llama_model_get_vocab(model_);
  const auto & ids = tokenizer_->special_tokens();
  Napi::Array out = Napi::Array::New(env, ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", ids[i]);
    o.Set("text", tokenizer_->piece(ids[i], true));
    int attr = llama_vocab_get_attr(vocab, ids[i]);
    o.Set("kind", (attr & LLAMA_TOKEN_ATTR_CONTROL) ? "control" : (attr & LLAMA_TOKEN_ATTR_USER_DEFINED) ? "user-defined" : "unknown");
    out.Set(i, o);
  }
  return out;
}

Napi::Value ModelWrap::Dispose(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  if (engines_ > 0) throw Napi::Error::New(env, "cannot dispose the model: " + std::to_string(engines_) + " engine(s) still use it; dispose them first");
  disposed_ = true;
  abort_load_ = true;
  if (!loading_) free_model();
  return env.Undefined();
}

}  // namespace rrm
