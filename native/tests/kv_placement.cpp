// Proof by behaviour that patches/0007 (run placement) is in the binary: 4 sequences decoded
// together in one unified KV cache, one token each per step. llama.cpp's own map of the cache
// (LLAMA_KV_CACHE_DEBUG=3: one character per cell, the sequence that holds it, logged before each
// placement) is read back after the last step, and every place where two neighbouring used cells
// belong to different sequences is counted. In runs of 64 cells that is a handful; interleaved
// (LLAMA_KV_RUN=0, or a llama.cpp without the patch) it is about one per cell.
//
//   rrm-kv-placement MODEL.gguf
// Prints the count and exits 0 when the cells lie in runs, 1 when they are interleaved.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "llama.h"

namespace {

constexpr int kSeqs = 4;
constexpr int kPrompt = 8;
constexpr int kSteps = 96;

std::string last_map;  // the newest cache map llama.cpp logged

bool is_seq_map(const char * text) {
  // "\n0000....1111 *\n...": cells as sequence digits, '.', 'M', and " *" every 256 cells; the
  // position map that follows pads numbers with several spaces.
  if (text[0] != '\n' || std::string(text).find("  ") != std::string::npos) return false;
  for (const char * c = text; *c; ++c) {
    if (!((*c >= '0' && *c <= '9') || *c == '.' || *c == 'M' || *c == ' ' || *c == '*' || *c == '\n')) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char ** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.gguf\n", argv[0]);
    return 2;
  }
  setenv("LLAMA_KV_CACHE_DEBUG", "3", 1);  // read when the cache is created
  llama_log_set([](ggml_log_level level, const char * text, void *) {
    if (level == GGML_LOG_LEVEL_DEBUG && is_seq_map(text)) last_map = text;
    else if (level >= GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
  }, nullptr);
  ggml_backend_load_all();
  llama_model_params mp = llama_model_default_params();
  mp.progress_callback = [](float, void *) { return true; };
  llama_model * model = llama_model_load_from_file(argv[1], mp);
  if (!model) {
    std::fprintf(stderr, "could not load %s\n", argv[1]);
    return 2;
  }
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = 1024;
  cp.n_batch = cp.n_ubatch = 512;
  cp.n_seq_max = kSeqs;
  cp.kv_unified = true;
  cp.n_threads = cp.n_threads_batch = 2;
  cp.no_perf = true;
  llama_context * ctx = llama_init_from_model(model, cp);
  if (!ctx) {
    std::fprintf(stderr, "could not create a context\n");
    return 2;
  }
  llama_batch batch = llama_batch_init(512, 0, 1);
  auto add = [&](llama_token t, llama_pos pos, llama_seq_id seq) {
    const int i = batch.n_tokens++;
    batch.token[i] = t, batch.pos[i] = pos, batch.n_seq_id[i] = 1, batch.seq_id[i][0] = seq, batch.logits[i] = false;
  };
  // Each sequence's prompt, then one token for every sequence a step (the last step's map is the
  // cache as the step before left it).
  for (int step = 0; step <= kSteps; ++step) {
    batch.n_tokens = 0;
    for (int s = 0; s < kSeqs; ++s) {
      if (step == 0) for (int i = 0; i < kPrompt; ++i) add(200 + 10 * s + i, i, s);
      else add(300 + (step * 7 + s) % 500, kPrompt + step - 1, s);
    }
    batch.logits[batch.n_tokens - 1] = true;
    if (llama_decode(ctx, batch) != 0) {
      std::fprintf(stderr, "llama_decode failed at step %d\n", step);
      return 2;
    }
  }
  llama_batch_free(batch);
  llama_free(ctx);
  llama_model_free(model);
  if (last_map.empty()) {
    std::fprintf(stderr, "llama.cpp logged no cache map (LLAMA_KV_CACHE_DEBUG)\n");
    return 2;
  }
  int used = 0, changes = 0;
  char prev = 0;
  for (char c : last_map) {
    if (c < '0' || c > '9') continue;
    used++;
    if (prev && c != prev) changes++;
    prev = c;
  }
  const bool runs = changes < used / 8;
  std::printf("sequence changes between neighbouring used cells: %d of %d used cells (%s)\n", changes, used, runs ? "runs" : "interleaved");
  return runs ? 0 : 1;
}
