// libFuzzer target: llama.cpp's GGUF parser on any bytes. Model files are named by users (and
// fetched from wherever they found them); lib/gguf checks the header first, but the bytes that
// pass those checks go to this parser, so it must reject damage without a bad access or abort.
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "ggml.h"
#include "gguf.h"

static void quiet(ggml_log_level, const char *, void *) {}

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  ggml_log_set(quiet, nullptr);  // every rejected input logs why; millions of lines otherwise
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
  // Both ways a loader asks: no tensor context, and the metadata context llama.cpp's model
  // loader takes (no_alloc=true: tensor infos, no data). no_alloc=false (the data copied into the
  // context) is left out: llama.cpp never loads a model that way, and there a header that
  // declares a huge data section aborts in ggml_init's GGML_ASSERT rather than failing
  // (test/fuzz/regressions/gguf/huge-data-section; RELIABILITY.md, llama.cpp findings).
  for (bool with_ctx : {false, true}) {
    ggml_context * ctx = nullptr;
    gguf_init_params params = {/*no_alloc=*/true, /*ctx=*/with_ctx ? &ctx : nullptr};
    gguf_context * g = gguf_init_from_buffer(data, size, params);
    if (g) {
      // Walk what was parsed, as a loader does.
      const int64_t n_kv = gguf_get_n_kv(g);
      for (int64_t i = 0; i < n_kv; ++i) {
        (void) gguf_get_key(g, i);
        if (gguf_get_kv_type(g, i) == GGUF_TYPE_STRING) (void) gguf_get_val_str(g, i);
        if (gguf_get_kv_type(g, i) == GGUF_TYPE_ARRAY && gguf_get_arr_type(g, i) == GGUF_TYPE_STRING && gguf_get_arr_n(g, i) > 0) (void) gguf_get_arr_str(g, i, 0);
      }
      for (int64_t i = 0; i < gguf_get_n_tensors(g); ++i) (void) gguf_get_tensor_name(g, i);
      gguf_free(g);
    }
    if (ctx) ggml_free(ctx);
  }
  return 0;
}
