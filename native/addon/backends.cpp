// Loads ggml's backends in the portable layout (RRM_BACKEND_DL): the CPU library best suited to
// this CPU from a folder (one library per instruction set, each scoring itself against the CPU it
// runs on), and GPU libraries that the JS loader found and test-loaded in a child process first.
// In the static layout the backends are linked in and these calls only report that.
#include "backends.h"

#include <filesystem>
#include <string>
#include <vector>

#include "ggml-backend.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace rrm {

namespace fs = std::filesystem;

#ifdef _WIN32
static const char * kPrefix = "ggml-cpu-";
static const char * kExt = ".dll";
#elif defined(__APPLE__)
static const char * kPrefix = "libggml-cpu-";
static const char * kExt = ".dylib";
#else
static const char * kPrefix = "libggml-cpu-";
static const char * kExt = ".so";
#endif

struct Candidate {
  std::string variant;
  std::string path;
  int score = 0;
  std::string error;
};

// ggml_backend_score() of one CPU library: 0 when this CPU lacks its instructions. The library is
// only opened to ask; its code compiled for other instruction sets never runs.
static int score_of(const fs::path & path, std::string & error) {
  typedef int (*score_fn)(void);
#ifdef _WIN32
  HMODULE h = LoadLibraryW(path.wstring().c_str());
  if (!h) { error = "LoadLibrary failed"; return 0; }
  auto fn = (score_fn) GetProcAddress(h, "ggml_backend_score");
  int s = fn ? fn() : 0;
  if (!fn) error = "no ggml_backend_score";
  FreeLibrary(h);
#else
  void * h = dlopen(path.string().c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) { const char * e = dlerror(); error = e ? e : "dlopen failed"; return 0; }
  auto fn = (score_fn) dlsym(h, "ggml_backend_score");
  int s = fn ? fn() : 0;
  if (!fn) error = "no ggml_backend_score";
  dlclose(h);
#endif
  return s;
}

// ggml's backend registry dlcloses the libraries it loaded when the process exits. A process that
// exits while the scheduler thread is computing in one of them (process.exit() from a Ctrl-C
// handler) would then run on unmapped code. Pinning keeps each library mapped until the end.
static void pin(const std::string & path) {
#ifdef _WIN32
  HMODULE h = nullptr;
  GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_PIN, fs::u8path(path).wstring().c_str(), &h);
#else
  dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
#endif
}

Napi::Object BackendFeatures(Napi::Env env, ggml_backend_reg_t reg) {
  Napi::Object o = Napi::Object::New(env);
  auto get = (ggml_backend_get_features_t) ggml_backend_reg_get_proc_address(reg, "ggml_backend_get_features");
  if (!get) return o;
  for (ggml_backend_feature * f = get(reg); f && f->name; ++f) o.Set(f->name, f->value);
  return o;
}

// loadCpuBackend(dir, variant?) -> { dynamic, variant, path, candidates: [{variant, score, error?}] }
Napi::Value LoadCpuBackend(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
#ifndef RRM_BACKEND_DL
  out.Set("dynamic", false);
  return out;
#else
  out.Set("dynamic", true);
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "loadCpuBackend: expected the folder of the CPU libraries");
  const fs::path dir = fs::u8path(info[0].As<Napi::String>().Utf8Value());
  const std::string forced = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";

  std::vector<Candidate> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kPrefix, 0) != 0 || it->path().extension().string() != kExt) continue;
    Candidate c;
    c.variant = name.substr(std::string(kPrefix).size(), name.size() - std::string(kPrefix).size() - std::string(kExt).size());
    c.path = it->path().string();
    c.score = score_of(it->path(), c.error);
    found.push_back(c);
  }
  if (ec) throw Napi::Error::New(env, "cannot list the CPU libraries in " + dir.string() + ": " + ec.message());
  Napi::Array list = Napi::Array::New(env);
  const Candidate * best = nullptr;
  for (size_t i = 0; i < found.size(); ++i) {
    Napi::Object c = Napi::Object::New(env);
    c.Set("variant", found[i].variant);
    c.Set("score", found[i].score);
    if (!found[i].error.empty()) c.Set("error", found[i].error);
    list.Set(i, c);
    const bool eligible = forced.empty() ? found[i].score > 0 : found[i].variant == forced;
    if (eligible && (!best || found[i].score > best->score)) best = &found[i];
  }
  out.Set("candidates", list);
  if (!forced.empty() && (!best || best->score == 0)) {
    throw Napi::Error::New(env, best ? "the CPU library \"" + forced + "\" needs instructions this CPU lacks"
                                     : "no CPU library \"" + forced + "\" in " + dir.string());
  }
  if (!best) throw Napi::Error::New(env, "no CPU library in " + dir.string() + " runs on this CPU (" + std::to_string(found.size()) + " found)");
  ggml_backend_reg_t reg = ggml_backend_load(best->path.c_str());
  if (!reg) throw Napi::Error::New(env, "could not load " + best->path);
  pin(best->path);
  out.Set("variant", best->variant);
  out.Set("path", best->path);
  out.Set("score", best->score);
  out.Set("features", BackendFeatures(env, reg));
  return out;
#endif
}

// loadBackend(path) -> { name, devices } for one GPU library; throws when it does not load.
Napi::Value LoadBackend(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "loadBackend: expected a library path");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  ggml_backend_reg_t reg = ggml_backend_load(path.c_str());
  if (!reg) throw Napi::Error::New(env, "could not load " + path);
  pin(path);
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", ggml_backend_reg_name(reg));
  out.Set("devices", (double) ggml_backend_reg_dev_count(reg));
  return out;
}


}  // namespace rrm
