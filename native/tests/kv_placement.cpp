// Proof by behaviour that patches/0007 (run placement) is in the binary: 4 sequences decoded
// together in one unified KV cache, one token each per step. llama.cpp's own map of the cache
// (LLAMA_KV_CACHE_DEBUG=3: one character per cell, the sequence that holds it, logged before each
// placement) is read back after the last step, and every place where two neighbouring used cells
// belong to different sequences is counted. In runs of 64 cells that is a handful; interleaved
// (LLAMA_KV_RUN=0, or a llama.cpp without the patch) it is about one per cell.
//
// --full: the cache first filled by a fifth sequence decoded alone, then every other 32 of its
// positions removed, so free cells come in stretches of 32 and no block of 64 is entirely free
// (a full cache under admission by use). Then only the token that cannot continue its run leaves
// it, and the runs are as long as the stretches; without that fallback the whole step went back
// to the old placement, interleaved. Only the 4 sequences' cells are counted.
//
//   rrm-kv-placement MODEL.gguf [--full]
// Prints the count and exits 0 when the cells lie in runs, 1 when they are interleaved.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "llama.h"

namespace {

constexpr int kSeqs = 4;
constexpr int kFiller = kSeqs;  // the fifth sequence, --full
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
  const bool full = argc > 2 && std::string(argv[2]) == "--full";
  if (argc < 2 || (argc > 2 && !full)) {
    std::fprintf(stderr, "usage: %s MODEL.gguf [--full]\n", argv[0]);
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
  cp.n_seq_max = kSeqs + 1;
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
  auto decode = [&](const char * what) {
    if (llama_decode(ctx, batch) == 0) return true;
    std::fprintf(stderr, "llama_decode failed: %s\n", what);
    return false;
  };
  // Each sequence's prompt, then one token for every sequence a step (the last step's map is the
  // cache as the step before left it).
  for (int step = 0; step <= kSteps; ++step) {
    if (step == 1 && full) {
      // every cell left taken by the filler, 496 at a time; then half of it removed in stretches
      const int n_fill = (int) llama_n_ctx(ctx) - kSeqs * kPrompt;
      for (int p = 0; p < n_fill;) {
        batch.n_tokens = 0;
        for (; batch.n_tokens < 496 && p < n_fill; ++p) add(100 + p % 700, p, kFiller);
        if (!decode("the filler")) return 2;
      }
      for (int p = 0; p < n_fill; p += 64) llama_memory_seq_rm(llama_get_memory(ctx), kFiller, p, p + 32);
    }
    batch.n_tokens = 0;
    for (int s = 0; s < kSeqs; ++s) {
      if (step == 0) for (int i = 0; i < kPrompt; ++i) add(200 + 10 * s + i, i, s);
      else add(300 + (step * 7 + s) % 500, kPrompt + step - 1, s);
    }
    batch.logits[batch.n_tokens - 1] = true;
    if (!decode(step == 0 ? "the prompts" : "a step")) return 2;
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
    if (c < '0' || c >= '0' + kSeqs) continue;  // neither free nor the filler's
    used++;
    if (prev && c != prev) changes++;
    prev = c;
  }
  const bool runs = changes < used / 8;
  std::printf("sequence changes between neighbouring used cells: %d of %d used cells (%s)\n", changes, used, runs ? "runs" : "interleaved");
  return runs ? 0 : 1;
}
