// Module entry: registers Model and Engine and a few process-wide facts.
#include <napi.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

// For `rrm serve`, which runs for days and receives bodies of up to a few MiB, hostile ones
// included. glibc raises its mmap threshold to the size of each large block freed (up to 32 MiB),
// so later large buffers come from the heap and stay in RSS once freed: the server's RSS at rest
// wandered with whatever was largest last (+115 MiB over a 5,000-request fuzz run). A fixed
// threshold keeps large blocks in mappings of their own, unmapped on free; a trim when idle hands
// the heaps' free pages back. glibc only: elsewhere both return false and change nothing.
static Napi::Value TuneAllocatorForServer(const Napi::CallbackInfo & info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), mallopt(M_MMAP_THRESHOLD, 128 * 1024) == 1);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

static Napi::Value ReleaseFreeMemory(const Napi::CallbackInfo & info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) == 1);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

// What glibc's malloc holds, for `rrm serve`'s /metrics: the native side of RSS that V8's own
// figures do not cover (llama.cpp's buffers, node's, the addon's). mallinfo2 (glibc 2.33+) has
// size_t fields; mallinfo's ints wrap past 2 GiB. Elsewhere: undefined.
static Napi::Value NativeHeapStats(const Napi::CallbackInfo & info) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 m = mallinfo2();
  Napi::Object out = Napi::Object::New(info.Env());
  // glibc sums these over every arena (the main heap and each thread's)
  out.Set("heapTotal", Napi::Number::New(info.Env(), (double) m.arena));      // the arenas' memory
  out.Set("heapInUse", Napi::Number::New(info.Env(), (double) m.uordblks));   // ... allocated
  out.Set("heapFree", Napi::Number::New(info.Env(), (double) m.fordblks));    // ... free, kept by malloc
  out.Set("mapped", Napi::Number::New(info.Env(), (double) m.hblkhd));        // blocks in mappings of their own
  return out;
#else
  return info.Env().Undefined();
#endif
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  install_log_capture();
  llama_backend_init();
  exports.Set("Model", ModelWrap::Init(env));
  exports.Set("Engine", EngineWrap::Init(env));
  exports.Set("systemInfo", Napi::Function::New(env, SystemInfo));
  exports.Set("setLogEcho", Napi::Function::New(env, SetLogEcho));
  exports.Set("tuneAllocatorForServer", Napi::Function::New(env, TuneAllocatorForServer));
  exports.Set("releaseFreeMemory", Napi::Function::New(env, ReleaseFreeMemory));
  exports.Set("nativeHeapStats", Napi::Function::New(env, NativeHeapStats));
  // Portable layout: the JS loader picks the folders; nothing is loaded before it asks.
  exports.Set("loadCpuBackend", Napi::Function::New(env, LoadCpuBackend));
  exports.Set("loadBackend", Napi::Function::New(env, LoadBackend));
  return exports;
}

}  // namespace rrm

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return rrm::Init(env, exports); }

NODE_API_MODULE(rrm_engine, InitModule)
