#pragma once
// JS class `Engine`: a Scheduler over one Model. Results stream back to a JS callback through a
// thread-safe function; the JS side turns them into promises.
#include <memory>
#include <napi.h>

#include "model_wrap.h"
#include "scheduler.h"

namespace rrm {

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit EngineWrap(const Napi::CallbackInfo & info);
  ~EngineWrap() override;

 private:
  Napi::Value Submit(const Napi::CallbackInfo & info);
  Napi::Value Cancel(const Napi::CallbackInfo & info);
  Napi::Value Stats(const Napi::CallbackInfo & info);
  Napi::Value Info(const Napi::CallbackInfo & info);
  Napi::Value SetPrefixCache(const Napi::CallbackInfo & info);
  Napi::Value Hold(const Napi::CallbackInfo & info);
  Napi::Value Release(const Napi::CallbackInfo & info);
  Napi::Value Ref(const Napi::CallbackInfo & info);
  Napi::Value Unref(const Napi::CallbackInfo & info);
  Napi::Value Dispose(const Napi::CallbackInfo & info);
  void close();
  void require_open(Napi::Env env, const char * what) const;

  Napi::ObjectReference model_ref_;  // keeps the Model alive while the engine is
  ModelWrap * model_ = nullptr;
  std::unique_ptr<Scheduler> scheduler_;
  Napi::ThreadSafeFunction events_;
  bool closed_ = false;
  KvMode kv_mode_ = KvMode::Unified;
};

}  // namespace rrm
