#pragma once
// JS class `Model`: owns a llama_model and its Tokenizer. Loading runs on a worker thread.
#include <atomic>
#include <memory>
#include <napi.h>

#include "llama.h"
#include "tokenizer.h"

namespace rrm {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit ModelWrap(const Napi::CallbackInfo & info);
  ~ModelWrap() override;

  llama_model * model() const { return model_; }
  const Tokenizer * tokenizer() const { return tokenizer_.get(); }
  void engine_opened() { ++engines_; }
  void engine_closed() { --engines_; }
  // Throws a JS error unless the model is loaded and not disposed.
  void require_loaded(Napi::Env env, const char * what) const;

 private:
  friend class LoadWorker;
  Napi::Value Load(const Napi::CallbackInfo & info);
  Napi::Value AbortLoad(const Napi::CallbackInfo & info);
  Napi::Value Info(const Napi::CallbackInfo & info);
  Napi::Value Tokenize(const Napi::CallbackInfo & info);
  Napi::Value TokenizePlain(const Napi::CallbackInfo & info);
  Napi::Value Detokenize(const Napi::CallbackInfo & info);
  Napi::Value SpecialTokens(const Napi::CallbackInfo & info);
  Napi::Value Dispose(const Napi::CallbackInfo & info);
  void free_model();

  llama_model * model_ = nullptr;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::atomic<bool> abort_load_{false};
  bool loading_ = false;
  bool disposed_ = false;
  int engines_ = 0;
};

}  // namespace rrm
