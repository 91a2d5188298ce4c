// Module entry: registers Model and Engine and a few process-wide facts.
#include <napi.h>

#include "backends.h"
#include "engine_wrap.h"
#include "ggml-backend.h"
#include "llama.h"
#include "log_capture.h"
#include "model_wrap.h"

namespace rrm {

static Napi::Value SystemInfo(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  Napi::Array backends = Napi::Array::New(env);
  Napi::Object features = Napi::Object::New(env);
  for (size_t i = 0; i < ggml_backend_reg_count(); ++i) {
    ggml_backend_reg_t reg = ggml_backend_reg_get(i);
    backends.Set(i, ggml_backend_reg_name(reg));
    features.Set(ggml_backend_reg_name(reg), BackendFeatures(env, reg));
  }
  o.Set("backends", backends);
  o.Set("backendFeatures", features);
  Napi::Array devices = Napi::Array::New(env);
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t d = ggml_backend_dev_get(i);
    size_t free = 0, total = 0;
    ggml_backend_dev_memory(d, &free, &total);
    Napi::Object dev = Napi::Object::New(env);
    dev.Set("name", ggml_backend_dev_name(d));
    dev.Set("description", ggml_backend_dev_description(d));
    enum ggml_backend_dev_type t = ggml_backend_dev_type(d);
    dev.Set("type", t == GGML_BACKEND_DEVICE_TYPE_CPU ? "cpu" : t == GGML_BACKEND_DEVICE_TYPE_GPU ? "gpu" : t == GGML_BACKEND_DEVICE_TYPE_IGPU ? "igpu" : "accelerator");
    dev.Set("memoryFree", (double) free);
    dev.Set("memoryTotal", (double) total);
    devices.Set(i, dev);
  }
  o.Set("devices", devices);
  o.Set("gpuOffload", llama_supports_gpu_offload());
  o.Set("features", llama_print_system_info());
  return o;
}

static Napi::Value SetLogEcho(const Napi::CallbackInfo & info) {
  set_log_echo(info[0].ToBoolean());
  return info.Env().Undefined();
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  install_log_capture();
  llama_backend_init();
  exports.Set("Model", ModelWrap::Init(env));
  exports.Set("Engine", EngineWrap::Init(env));
  exports.Set("systemInfo", Napi::Function::New(env, SystemInfo));
  exports.Set("setLogEcho", Napi::Function::New(env, SetLogEcho));
  // Portable layout: the JS loader picks the folders; nothing is loaded before it asks.
  exports.Set("loadCpuBackend", Napi::Function::New(env, LoadCpuBackend));
  exports.Set("loadBackend", Napi::Function::New(env, LoadBackend));
  return exports;
}

}  // namespace rrm

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return rrm::Init(env, exports); }

NODE_API_MODULE(rrm_engine, InitModule)
