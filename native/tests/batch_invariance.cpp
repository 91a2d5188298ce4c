// Teacher-forced batch-invariance check on the real llama.cpp (patches/0001-0003): one target
// sequence (a 600-token prompt, then 32 forced tokens, one per step) decoded under different
// loads and placements; every logits row it gets must equal, byte for byte (memcmp), the rows of
// the same sequence decoded alone. Scenarios cross what changes the kernels or the cells' order:
// batch rows 1, 2, 4, 5, 64 (n = 1, n % 4, 64), the prompt in one chunk or in 7-token chunks,
// holes left by other sequences, a prefix copied from another sequence instead of computed, a
// save and restore of the sequence's state in the middle (a swap), the cache's top reached (by
// default placement wraps around; ordered placement fails the decode and the sequence is packed).
//
//   rrm-batch-invariance MODEL.gguf [--control] [--threads N] [--digest] [--repack] [--kv-type q8_0]
// Prints one line per scenario ("same" or how many rows differ) and exits 0 when, with batch
// invariance on, every scenario is the same (1 otherwise). --control runs with it off: the same
// scenarios then show what the patches fix (test/native/batch-invariance.test.ts checks both).
// --digest adds each scenario's rows as one hash (FNV-1a over their bytes), to compare two runs
// of the same build whose settings should not change a bit (e.g. LLAMA_KV_MASK_BY_CELL=0, patch 0009).
// --repack loads the weights the default way (llama.cpp's repacked buffers: Q4_0 / Q4_K / IQ4_NL on
// AVX2 take a 4-row gemm and a gemv; patch 0013); --kv-type stores K and V quantized (q8_0, q4_0).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "llama.h"
#include "llama-batch-invariant.h"

namespace {

constexpr int kPrompt = 600;
constexpr int kForced = 32;
constexpr int kOtherPrompt = 40;
constexpr llama_seq_id kTarget = 0;

struct Run {
  llama_model * model = nullptr;
  llama_context * ctx = nullptr;
  llama_memory_t mem = nullptr;
  llama_batch batch{};
  int n_vocab = 0;
  std::vector<std::vector<float>> rows;  // the target's logits rows, in order
};

std::vector<llama_token> tokens(uint32_t seed, int n, int n_vocab) {
  std::vector<llama_token> t(n);
  uint32_t x = seed * 2654435761u + 1;
  for (int i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    t[i] = 100 + (llama_token) (x % (uint32_t) std::min(n_vocab - 200, 30000));
  }
  return t;
}

void add(llama_batch & b, llama_token t, llama_pos pos, llama_seq_id seq, bool logits) {
  const int i = b.n_tokens++;
  b.token[i] = t;
  b.pos[i] = pos;
  b.n_seq_id[i] = 1;
  b.seq_id[i][0] = seq;
  b.logits[i] = logits;
}

bool decode(Run & r) {
  const int ret = llama_decode(r.ctx, r.batch);
  if (ret != 0) std::fprintf(stderr, "llama_decode returned %d\n", ret);
  return ret == 0;
}

// Fresh context for one scenario: unified KV, room for 64 others and fillers.
ggml_type g_kv_type = GGML_TYPE_F16;

bool open(Run & r, llama_model * model, bool invariant, int threads, int n_ctx = 8192) {
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = n_ctx;
  cp.n_batch = 1024;
  cp.n_ubatch = 1024;
  cp.n_seq_max = 128;
  cp.kv_unified = true;
  cp.n_threads = cp.n_threads_batch = threads;
  cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_ENABLED;
  cp.type_k = cp.type_v = g_kv_type;
  cp.no_perf = true;
  r.model = model;
  r.ctx = llama_init_from_model(model, cp);
  if (!r.ctx) return false;
  if (invariant && !llama_set_batch_invariant(r.ctx, true)) {
    std::fprintf(stderr, "llama_set_batch_invariant failed\n");
    return false;
  }
  r.mem = llama_get_memory(r.ctx);
  r.batch = llama_batch_init(2048, 0, 1);
  r.n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
  return true;
}

void close(Run & r) {
  llama_batch_free(r.batch);
  llama_free(r.ctx);
}

void keep_row(Run & r, int i) {
  const float * p = llama_get_logits_ith(r.ctx, i);
  r.rows.emplace_back(p, p + r.n_vocab);
}

// Prefills `seq` with `prompt` in chunks of `chunk` tokens, alone in each batch.
bool prefill(Run & r, llama_seq_id seq, const std::vector<llama_token> & prompt, int chunk, bool keep_last) {
  for (int at = 0; at < (int) prompt.size(); at += chunk) {
    r.batch.n_tokens = 0;
    const int end = std::min((int) prompt.size(), at + chunk);
    for (int i = at; i < end; ++i) add(r.batch, prompt[i], i, seq, i == (int) prompt.size() - 1);
    if (!decode(r)) return false;
    if (keep_last && end == (int) prompt.size()) keep_row(r, r.batch.n_tokens - 1);
  }
  return true;
}

struct Others {
  int count = 0;
  llama_seq_id first = 1;
  std::vector<int> pos;
};

// Forced tokens [from, to) for the target, each step with one token for every other sequence.
bool force(Run & r, const std::vector<llama_token> & forced, int from, int to, Others & o) {
  for (int k = from; k < to; ++k) {
    r.batch.n_tokens = 0;
    // The target sits among the others, not always first.
    const int at = o.count ? k % (o.count + 1) : 0;
    int row = -1;
    for (int j = 0, other = 0; j <= o.count; ++j) {
      if (j == at) {
        row = r.batch.n_tokens;
        add(r.batch, forced[k], kPrompt + k, kTarget, true);
      } else {
        add(r.batch, 500 + (k * 7 + other) % 1000, o.pos[other]++, o.first + other, true);
        other++;
      }
    }
    if (!decode(r)) return false;
    keep_row(r, row);
  }
  return true;
}

bool start_others(Run & r, Others & o, int count, llama_seq_id first) {
  o.count = count;
  o.first = first;
  o.pos.assign(count, kOtherPrompt);
  r.batch.n_tokens = 0;
  for (int s = 0; s < count; ++s) {
    auto p = tokens(1000 + s, kOtherPrompt, r.n_vocab);
    for (int i = 0; i < kOtherPrompt; ++i) add(r.batch, p[i], i, first + s, false);
    if (r.batch.n_tokens + kOtherPrompt > 1024) {  // n_batch
      if (!decode(r)) return false;
      r.batch.n_tokens = 0;
    }
  }
  return r.batch.n_tokens == 0 || decode(r);
}

struct Scenario {
  std::string name;
  std::function<bool(Run &, const std::vector<llama_token> &, const std::vector<llama_token> &)> run;
  int n_ctx = 8192;
};

}  // namespace

int main(int argc, char ** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.gguf [--control] [--threads N] [--digest] [--repack] [--kv-type f16|q8_0|q4_0]\n", argv[0]);
    return 2;
  }
  bool invariant = true, digest = false, repack = false;
  int threads = 2;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--control") == 0) invariant = false;
    else if (std::strcmp(argv[i], "--digest") == 0) digest = true;
    else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--repack") == 0) repack = true;
    else if (std::strcmp(argv[i], "--kv-type") == 0 && i + 1 < argc) {
      const std::string t = argv[++i];
      if (t == "q8_0") g_kv_type = GGML_TYPE_Q8_0;
      else if (t == "q4_0") g_kv_type = GGML_TYPE_Q4_0;
      else if (t != "f16") { std::fprintf(stderr, "--kv-type takes f16, q8_0 or q4_0 (got %s)\n", t.c_str()); return 2; }
    }
  }
  llama_log_set([](ggml_log_level level, const char * text, void *) { if (level >= GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr); }, nullptr);
  ggml_backend_load_all();
  llama_model_params mp = llama_model_default_params();
  mp.use_extra_bufts = repack;  // repacked weights: a 4-row gemm and a gemv (patch 0013 pads to the gemm)
  mp.progress_callback = [](float, void *) { return true; };  // no progress dots
  llama_model * model = llama_model_load_from_file(argv[1], mp);
  if (!model) {
    std::fprintf(stderr, "could not load %s\n", argv[1]);
    return 2;
  }
  const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
  const auto prompt = tokens(7, kPrompt, n_vocab);
  const auto forced = tokens(8, kForced, n_vocab);

  auto amid = [](int count) {
    return [count](Run & r, const std::vector<llama_token> & p, const std::vector<llama_token> & f) {
      Others o;
      return start_others(r, o, count, 1) && prefill(r, kTarget, p, 1024, true) && force(r, f, 0, kForced, o);
    };
  };
  std::vector<Scenario> scenarios = {
    {"alone, prompt in one chunk (the reference)", amid(0)},
    {"alone, prompt in 7-token chunks", [](Run & r, auto & p, auto & f) { Others o; return prefill(r, kTarget, p, 7, true) && force(r, f, 0, kForced, o); }},
    {"amid 1 other (2 rows a step)", amid(1)},
    {"amid 3 others (4 rows)", amid(3)},
    {"amid 4 others (5 rows)", amid(4)},
    {"amid 63 others (64 rows)", amid(63)},
    {"prompt and others in one batch", [](Run & r, auto & p, auto & f) {
      Others o;
      o.count = 5, o.first = 1, o.pos.assign(5, kOtherPrompt);
      r.batch.n_tokens = 0;
      for (int s = 0; s < 5; ++s) { auto q = tokens(1000 + s, kOtherPrompt, r.n_vocab); for (int i = 0; i < kOtherPrompt; ++i) add(r.batch, q[i], i, 1 + s, false); }
      for (int i = 0; i < kPrompt; ++i) add(r.batch, p[i], i, kTarget, i == kPrompt - 1);
      if (!decode(r)) return false;
      keep_row(r, r.batch.n_tokens - 1);
      return force(r, f, 0, kForced, o);
    }},
    {"holes left by other sequences", [](Run & r, auto & p, auto & f) {
      // 40 fillers of 40 cells, every other one removed: the target's cells land between them.
      Others fill;
      if (!start_others(r, fill, 40, 20)) return false;
      for (int s = 0; s < 40; s += 2) llama_memory_seq_rm(r.mem, 20 + s, -1, -1);
      Others o;
      return start_others(r, o, 3, 1) && prefill(r, kTarget, p, 256, true) && force(r, f, 0, kForced, o);
    }},
    {"prefix copied from another sequence", [](Run & r, auto & p, auto & f) {
      // Sequence 9 computes the prompt; the target takes its cells (metadata) and its last row.
      if (!prefill(r, 9, p, 1024, true)) return false;
      llama_memory_seq_cp(r.mem, 9, kTarget, -1, -1);
      Others o;
      return start_others(r, o, 2, 1) && force(r, f, 0, kForced, o);
    }},
    {"saved and restored in the middle (a swap), other work in between", [](Run & r, auto & p, auto & f) {
      Others o;
      if (!start_others(r, o, 3, 1) || !prefill(r, kTarget, p, 1024, true) || !force(r, f, 0, kForced / 2, o)) return false;
      std::vector<uint8_t> state(llama_state_seq_get_size(r.ctx, kTarget));
      llama_state_seq_get_data(r.ctx, state.data(), state.size(), kTarget);
      llama_memory_seq_rm(r.mem, kTarget, -1, -1);
      Others fill;  // other work takes the freed cells meanwhile
      if (!start_others(r, fill, 8, 40)) return false;
      if (llama_state_seq_set_data(r.ctx, state.data(), state.size(), kTarget) == 0) {
        std::fprintf(stderr, "could not restore the target's state\n");
        return false;
      }
      return force(r, f, kForced / 2, kForced, o);
    }},
    {"the cache's top reached: by default it wraps, ordered it is saved and restored", [](Run & r, auto & p, auto & f) {
      // Fillers below, the target's prompt up to near the top, the fillers gone: the forced
      // tokens run out of cells above the target's. Default placement wraps to the bottom (out of
      // position order); ordered placement fails the decode and the target is packed (what the
      // engine's scheduler does, relocate_for_order).
      // 16 x 40 + 24 filler cells, the prompt's 600 above them: 16 cells left at the top.
      Others fill;
      if (!start_others(r, fill, 16, 20) || !prefill(r, 50, tokens(50, 24, r.n_vocab), 1024, false) || !prefill(r, kTarget, p, 1024, true)) return false;
      for (int s = 0; s < 16; ++s) llama_memory_seq_rm(r.mem, 20 + s, -1, -1);
      llama_memory_seq_rm(r.mem, 50, -1, -1);
      for (int k = 0; k < kForced; ++k) {
        r.batch.n_tokens = 0;
        add(r.batch, f[k], kPrompt + k, kTarget, true);
        int ret = llama_decode(r.ctx, r.batch);
        if (ret == 1) {
          std::vector<uint8_t> state(llama_state_seq_get_size(r.ctx, kTarget));
          llama_state_seq_get_data(r.ctx, state.data(), state.size(), kTarget);
          llama_memory_seq_rm(r.mem, kTarget, -1, -1);
          if (llama_state_seq_set_data(r.ctx, state.data(), state.size(), kTarget) == 0) return false;
          std::printf("  (relocated at forced token %d)\n", k);
          ret = llama_decode(r.ctx, r.batch);
        }
        if (ret != 0) return false;
        keep_row(r, 0);
      }
      return true;
    }, 640 + 16 * kOtherPrompt},
  };

  std::vector<std::vector<float>> reference;
  int differing = 0;
  for (const Scenario & sc : scenarios) {
    Run r;
    if (!open(r, model, invariant, threads, sc.n_ctx)) {
      std::fprintf(stderr, "could not create a context\n");
      return 2;
    }
    const bool ok = sc.run(r, prompt, forced);
    close(r);
    if (!ok) {
      std::printf("%-66s FAILED to run\n", sc.name.c_str());
      return 2;
    }
    if (digest) {
      uint64_t h = 1469598103934665603ull;
      for (const auto & row : r.rows) {
        const auto * b = reinterpret_cast<const unsigned char *>(row.data());
        for (size_t i = 0; i < row.size() * sizeof(float); ++i) h = (h ^ b[i]) * 1099511628211ull;
      }
      std::printf("digest %016llx %s\n", (unsigned long long) h, sc.name.c_str());
    }
    if (reference.empty()) {
      reference = std::move(r.rows);
      std::printf("%-66s %zu rows\n", sc.name.c_str(), reference.size());
      continue;
    }
    int diff = 0;
    float max_abs = 0;
    if (r.rows.size() != reference.size()) {
      std::printf("%-66s %zu rows, the reference has %zu\n", sc.name.c_str(), r.rows.size(), reference.size());
      return 2;
    }
    for (size_t i = 0; i < reference.size(); ++i) {
      const auto & a = reference[i];
      const auto & b = r.rows[i];
      if (std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) != 0) {
        diff++;
        for (size_t j = 0; j < a.size(); ++j) max_abs = std::max(max_abs, std::fabs(a[j] - b[j]));
      }
    }
    if (diff) differing++;
    if (diff) std::printf("%-66s %d of %zu rows differ (max |d| %.3g)\n", sc.name.c_str(), diff, r.rows.size(), max_abs);
    else std::printf("%-66s same (%zu rows)\n", sc.name.c_str(), r.rows.size());
  }
  llama_model_free(model);
  std::printf("%s: %d of %zu scenarios differ from the reference\n", invariant ? "batch-invariant" : "control (batch invariance off)", differing, scenarios.size() - 1);
  return invariant && differing > 0 ? 1 : 0;
}
