// Trains the arithmetic judge (lib/train, scripts/train-judge.mjs) with llama.cpp's training API,
// as examples/training/finetune.cpp does: F32 weights on the CPU, AdamW, one sequence per step.
//
//   rrm-train-judge train --model M.gguf --data D.bin --out DIR --steps N [--start S] [--total T]
//                         [--lr 1e-3] [--lr-min 1e-4] [--warmup 200] [--ckpt-every 1000]
//                         [--eval D2.bin] [--threads 2] [--chunk 16] [--sched-start S0] [--data-start I0]
//   rrm-train-judge quantize IN.gguf OUT.gguf [--ctx 4096]        (Q8_0)
//
// Data (written by lib/train/dataset.ts): "RRMT", u32 n_ctx, u32 n_examples, then per example
// n_ctx int32 tokens and n_ctx int32 labels; a label of -1 is a position without loss.
//
// Loss masking: a label of -1 is a position without loss (patches/0019: llama_opt_epoch leaves its
// label row at zero; patches/0017: a zero row has no gradient on the CPU). Only the judgment's own
// tokens carry loss, whatever precedes them in the window.
// Checkpoints: DIR/ckpt-STEP.gguf every --ckpt-every steps and DIR/last.gguf at the end (AdamW's
// moments are not saved: a resumed run restarts them). DIR/loss.tsv: step, loss, lr, tokens/s.
// The process tolerates SIGSTOP/SIGCONT (another job's benchmark may pause it): nothing is timed
// against a deadline; tokens/s is measured per chunk, so a pause shows as one slow chunk.
#include "llama.h"
#include "ggml-opt.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <string>
#include <vector>

namespace {

struct Data {
  uint32_t n_ctx = 0;
  uint32_t n = 0;
  std::vector<int32_t> buf; // n * 2 * n_ctx: tokens then labels per example
};

bool read_data(const char * path, Data & d) {
  FILE * f = fopen(path, "rb");
  if (!f) { fprintf(stderr, "cannot open %s\n", path); return false; }
  char magic[4];
  bool ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "RRMT", 4) == 0 &&
            fread(&d.n_ctx, 4, 1, f) == 1 && fread(&d.n, 4, 1, f) == 1;
  if (ok) {
    d.buf.resize(size_t(d.n) * 2 * d.n_ctx);
    ok = fread(d.buf.data(), 4, d.buf.size(), f) == d.buf.size();
  }
  fclose(f);
  if (!ok) { fprintf(stderr, "%s is not a complete RRMT data file\n", path); return false; }
  return true;
}

// Warmup then cosine decay to lr_min, from step `origin` (a phase's first) to `total`; the
// optimizer asks once per step.
struct Schedule {
  float lr0 = 1e-3f, lr_min = 1e-4f;
  int64_t warmup = 200, total = 10000, step = 0, origin = 0;
  float lr() const {
    const int64_t s = step - origin, n = total - origin;
    if (s < warmup) return lr0 * float(s + 1) / float(warmup);
    const double t = std::min(1.0, double(s - warmup) / double(std::max<int64_t>(1, n - warmup)));
    return float(lr_min + 0.5 * (lr0 - lr_min) * (1 + std::cos(M_PI * t)));
  }
};

ggml_opt_optimizer_params schedule_params(void * ud) {
  auto * s = static_cast<Schedule *>(ud);
  ggml_opt_optimizer_params p = ggml_opt_get_default_optimizer_params(nullptr);
  p.adamw.alpha = s->lr();
  p.adamw.beta2 = 0.99f;
  p.adamw.wd = 0.0f;
  s->step++;
  return p;
}

// Copies examples [from, from + count) into a dataset (wrapping around the data).
ggml_opt_dataset_t make_dataset(const Data & d, uint32_t from, uint32_t count) {
  ggml_opt_dataset_t ds = ggml_opt_dataset_init(GGML_TYPE_I32, GGML_TYPE_I32, d.n_ctx, d.n_ctx, count, 1);
  auto * tok = static_cast<int32_t *>(ggml_opt_dataset_data(ds)->data);
  auto * lab = static_cast<int32_t *>(ggml_opt_dataset_labels(ds)->data);
  for (uint32_t i = 0; i < count; i++) {
    const int32_t * src = d.buf.data() + size_t((from + i) % d.n) * 2 * d.n_ctx;
    memcpy(tok + size_t(i) * d.n_ctx, src, d.n_ctx * 4);
    memcpy(lab + size_t(i) * d.n_ctx, src + d.n_ctx, d.n_ctx * 4);
  }
  return ds;
}

// The share of rows with loss: ggml's loss is a mean over all rows, so reported losses are divided
// by it (per token with loss).
double unmasked_fraction(const Data & d) {
  size_t n = 0;
  for (uint32_t i = 0; i < d.n; i++)
    for (uint32_t p = 0; p < d.n_ctx; p++) n += d.buf[(size_t(i) * 2 + 1) * d.n_ctx + p] >= 0;
  return double(n) / (double(d.n) * d.n_ctx);
}

const char * arg(int argc, char ** argv, const char * name, const char * def) {
  for (int i = 1; i + 1 < argc; i++) if (!strcmp(argv[i], name)) return argv[i + 1];
  return def;
}

int quantize(int argc, char ** argv) {
  if (argc < 4) { fprintf(stderr, "usage: rrm-train-judge quantize IN.gguf OUT.gguf [--ctx N]\n"); return 2; }
  llama_model_quantize_params qp = llama_model_quantize_default_params();
  qp.ftype = LLAMA_FTYPE_MOSTLY_Q8_0;
  qp.nthread = 2;
  // Training set context_length to the training window; the shipped model declares a usable one.
  std::vector<llama_model_kv_override> kv(2);
  memset(kv.data(), 0, kv.size() * sizeof(kv[0]));
  snprintf(kv[0].key, sizeof(kv[0].key), "qwen2.context_length");
  kv[0].tag = LLAMA_KV_OVERRIDE_TYPE_INT;
  kv[0].val_i64 = atoll(arg(argc, argv, "--ctx", "4096"));
  qp.kv_overrides = kv.data();
  const uint32_t rc = llama_model_quantize(argv[2], argv[3], &qp);
  if (rc) fprintf(stderr, "llama_model_quantize failed (%u)\n", rc);
  return rc ? 1 : 0;
}

int train(int argc, char ** argv) {
  const char * model_path = arg(argc, argv, "--model", nullptr);
  const char * data_path = arg(argc, argv, "--data", nullptr);
  const char * out = arg(argc, argv, "--out", nullptr);
  if (!model_path || !data_path || !out) { fprintf(stderr, "train needs --model, --data and --out\n"); return 2; }
  const int64_t steps = atoll(arg(argc, argv, "--steps", "1000"));
  const int64_t start = atoll(arg(argc, argv, "--start", "0"));
  const int64_t ckpt_every = atoll(arg(argc, argv, "--ckpt-every", "1000"));
  const uint32_t chunk = uint32_t(atoi(arg(argc, argv, "--chunk", "16")));
  const int threads = atoi(arg(argc, argv, "--threads", "2"));
  const char * eval_path = arg(argc, argv, "--eval", nullptr);
  Schedule sched;
  sched.lr0 = float(atof(arg(argc, argv, "--lr", "1e-3")));
  sched.lr_min = float(atof(arg(argc, argv, "--lr-min", "1e-4")));
  sched.warmup = atoll(arg(argc, argv, "--warmup", "200"));
  sched.total = atoll(arg(argc, argv, "--total", std::to_string(start + steps).c_str()));
  sched.step = start;
  sched.origin = atoll(arg(argc, argv, "--sched-start", "0"));
  // Which example step `origin` reads (a resumed phase goes on where the last one stopped).
  const int64_t data_start = atoll(arg(argc, argv, "--data-start", "0"));

  Data data, eval;
  if (!read_data(data_path, data)) return 1;
  if (eval_path && !read_data(eval_path, eval)) return 1;
  if (eval.n && eval.n_ctx != data.n_ctx) { fprintf(stderr, "%s has windows of %u tokens, %s of %u\n", eval_path, eval.n_ctx, data_path, data.n_ctx); return 1; }
  const double frac = unmasked_fraction(data);

  // Cells in token order: patches/0018 reads K and V from the ubatch against the cache's mask, so a
  // window's tokens must sit in cells 0..n-1 in order; run placement (patches/0007) would start
  // each packed judgment at a block of its own.
  setenv("LLAMA_KV_RUN", "0", 1);
  llama_backend_init();
  llama_model_params mp = llama_model_default_params();
  mp.load_mode = LLAMA_LOAD_MODE_NONE; // the optimizer writes the weights in place
  llama_model * model = llama_model_load_from_file(model_path, mp);
  if (!model) { fprintf(stderr, "cannot load %s\n", model_path); return 1; }
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = data.n_ctx;
  cp.n_batch = data.n_ctx;
  cp.n_ubatch = data.n_ctx; // one ubatch per window: attn_k and attn_v train only so (patches/0018)
  cp.n_threads = cp.n_threads_batch = threads;
  cp.type_k = cp.type_v = GGML_TYPE_F32; // OUT_PROD has no F16 backward (finetune.cpp)
  cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  // Packed windows: a judgment a sequence (llama_opt_params::split_at_bos, patches/0020), all in
  // one stream of cells so one ubatch holds the window.
  cp.n_seq_max = 64;
  cp.kv_unified = true;
  llama_context * ctx = llama_init_from_model(model, cp);
  if (!ctx) { fprintf(stderr, "cannot create a context\n"); return 1; }
  const int32_t n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));

  llama_opt_params op{};
  op.n_ctx_train = 0;
  op.param_filter = llama_opt_param_filter_all;
  op.get_opt_pars = schedule_params;
  op.get_opt_pars_ud = &sched;
  op.optimizer_type = GGML_OPT_OPTIMIZER_TYPE_ADAMW;
  op.split_at_bos = true; // each BOS opens a judgment that sees nothing before it
  llama_opt_init(ctx, model, op);

  const std::string log_path = std::string(out) + "/loss.tsv";
  FILE * log = fopen(log_path.c_str(), start > 0 ? "a" : "w");
  if (!log) { fprintf(stderr, "cannot write %s\n", log_path.c_str()); return 1; }
  if (start == 0) fprintf(log, "step\tloss\teval_loss\tlr\ttokens_per_s\n");
  fprintf(stderr, "train: %u windows of %u tokens (%.1f%% of positions with loss), vocab %d, steps %lld..%lld of %lld\n",
          data.n, data.n_ctx, 100 * frac, n_vocab, (long long) start, (long long) (start + steps), (long long) sched.total);

  ggml_opt_result_t res_train = ggml_opt_result_init();
  ggml_opt_result_t res_eval = ggml_opt_result_init();
  // Reported losses are per token with loss: the mean over rows divided by the unmasked share.
  auto eval_loss = [&]() -> double {
    if (!eval.n) return NAN;
    ggml_opt_dataset_t ds = make_dataset(eval, 0, eval.n);
    ggml_opt_result_reset(res_eval);
    llama_opt_epoch(ctx, ds, res_train, res_eval, 0, nullptr, nullptr);
    double loss, unc;
    ggml_opt_result_loss(res_eval, &loss, &unc);
    ggml_opt_dataset_free(ds);
    return loss / unmasked_fraction(eval);
  };

  int64_t step = start;
  const auto t_begin = std::chrono::steady_clock::now();
  while (step < start + steps) {
    const uint32_t n = uint32_t(std::min<int64_t>(chunk, start + steps - step));
    ggml_opt_dataset_t ds = make_dataset(data, uint32_t((step - sched.origin + data_start) % data.n), n);
    ggml_opt_result_reset(res_train);
    const auto t0 = std::chrono::steady_clock::now();
    llama_opt_epoch(ctx, ds, res_train, res_eval, n, nullptr, nullptr);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ggml_opt_dataset_free(ds);
    double loss, unc;
    ggml_opt_result_loss(res_train, &loss, &unc);
    step += n;
    const bool ckpt = step % ckpt_every < n || step == start + steps;
    const double el = ckpt ? eval_loss() : NAN;
    fprintf(log, "%lld\t%.5f\t%.5f\t%.3g\t%.0f\n", (long long) step, loss / frac, el, sched.lr(), n * data.n_ctx / s);
    fflush(log);
    fprintf(stderr, "step %lld loss %.4f%s lr %.3g %.0f tok/s elapsed %.0fs\n", (long long) step, loss / frac,
            ckpt ? (" eval " + std::to_string(el)).c_str() : "", sched.lr(), n * data.n_ctx / s,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t_begin).count());
    if (ckpt) {
      const std::string p = std::string(out) + "/ckpt-" + std::to_string(step) + ".gguf";
      llama_model_save_to_file(model, p.c_str());
      llama_model_save_to_file(model, (std::string(out) + "/last.gguf").c_str());
      FILE * st = fopen((std::string(out) + "/last.step").c_str(), "w");
      if (st) { fprintf(st, "%lld\n", (long long) step); fclose(st); }
    }
  }
  fclose(log);
  ggml_opt_result_free(res_train);
  ggml_opt_result_free(res_eval);
  llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  return 0;
}

} // namespace

int main(int argc, char ** argv) {
  if (argc >= 2 && !strcmp(argv[1], "train")) return train(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "quantize")) return quantize(argc, argv);
  fprintf(stderr, "usage: rrm-train-judge train|quantize ... (see native/train/train_judge.cpp)\n");
  return 2;
}
