// Checks the two training fixes the judge trainer (native/train/train_judge.cpp) rests on, on
// ggml's own optimizer, as llama_opt_epoch drives it (graphs rebuilt every step):
//   patches/0016: each step's gradient is that step's alone (the accumulators are zeroed), not
//                 the sum of every gradient so far;
//   patches/0017: the cross-entropy backward of a label row that does not sum to 1 (zeros for a
//                 position without loss, 2 for a doubled weight) is softmax * sum(labels) - labels.
// A 3 x 8 parameter matrix W is the logits (outputs = W + inputs, inputs zero); AdamW's learning
// rate is 1e-20 (below the weights' ulp), so W, and with it the true gradient, is the same at
// every step. After each of 3 steps the gradient accumulator of W is compared with the gradient
// computed here in double precision: step 1 checks 0017, steps 2 and 3 check 0016.
// Prints one line per step and "ok" or the first mismatch; exit 0 when every step matches.
//   rrm-opt-check
#include "ggml.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml-opt.h"

#include <cmath>
#include <cstdio>
#include <vector>

namespace {

constexpr int NC = 8, NR = 3, STEPS = 3;

// Labels per row: a one-hot row, a row without loss (all zeros), a row of weight 2.
const float LABELS[NR][NC] = {
  {0, 0, 1, 0, 0, 0, 0, 0},
  {0, 0, 0, 0, 0, 0, 0, 0},
  {0, 0, 0, 0, 0, 2, 0, 0},
};

ggml_opt_optimizer_params frozen(void *) {
  ggml_opt_optimizer_params p = ggml_opt_get_default_optimizer_params(nullptr);
  p.adamw.alpha = 1e-20f; // (must be > 0) far below W's ulp: W never moves, so every step has the same true gradient
  p.adamw.wd = 0.0f;
  return p;
}

// d loss / d W for ggml's loss, -(1/NR) * sum_r sum_c y_rc * log_softmax(W_r)_c.
std::vector<double> true_gradient(const std::vector<float> & w) {
  std::vector<double> g(NC * NR);
  for (int r = 0; r < NR; r++) {
    double mx = -INFINITY, z = 0, sy = 0;
    for (int c = 0; c < NC; c++) mx = std::max(mx, double(w[r * NC + c]));
    for (int c = 0; c < NC; c++) z += std::exp(w[r * NC + c] - mx);
    for (int c = 0; c < NC; c++) sy += LABELS[r][c];
    for (int c = 0; c < NC; c++) g[r * NC + c] = (std::exp(w[r * NC + c] - mx) / z * sy - LABELS[r][c]) / NR;
  }
  return g;
}

} // namespace

int main() {
  ggml_backend_load_all();
  ggml_backend_t cpu = ggml_backend_init_by_type(GGML_BACKEND_DEVICE_TYPE_CPU, nullptr);
  if (!cpu) { fprintf(stderr, "no CPU backend\n"); return 2; }
  ggml_backend_sched_t sched = ggml_backend_sched_new(&cpu, nullptr, 1, GGML_DEFAULT_GRAPH_SIZE, false, true);

  // The parameter lives in its own context and buffer, as a model's weights do.
  ggml_init_params wp = { ggml_tensor_overhead() * 4, nullptr, true };
  ggml_context * ctx_w = ggml_init(wp);
  ggml_tensor * W = ggml_new_tensor_2d(ctx_w, GGML_TYPE_F32, NC, NR);
  ggml_set_name(W, "W");
  ggml_backend_buffer_t buf_w = ggml_backend_alloc_ctx_tensors(ctx_w, cpu);
  std::vector<float> w(NC * NR);
  for (int i = 0; i < NC * NR; i++) w[i] = 0.3f * std::sin(1.7f * i) + 0.1f * (i % 5);
  ggml_backend_tensor_set(W, w.data(), 0, w.size() * sizeof(float));
  ggml_set_param(W);

  ggml_opt_params op = ggml_opt_default_params(sched, GGML_OPT_LOSS_TYPE_CROSS_ENTROPY);
  op.opt_period = 1;
  op.get_opt_pars = frozen;
  ggml_opt_context_t opt = ggml_opt_init(op);
  ggml_opt_result_t result = ggml_opt_result_init();

  const std::vector<double> want = true_gradient(w);
  bool ok = true;
  for (int step = 1; step <= STEPS && ok; step++) {
    // A graph of this step, in a context of its own, as llama_opt_epoch builds one per ubatch.
    ggml_init_params cp = { 4 * GGML_DEFAULT_GRAPH_SIZE * ggml_tensor_overhead() + 4 * ggml_graph_overhead_custom(GGML_DEFAULT_GRAPH_SIZE, true), nullptr, true };
    ggml_context * ctx = ggml_init(cp);
    ggml_tensor * inputs = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, NC, NR);
    ggml_set_name(inputs, "inputs");
    ggml_tensor * outputs = ggml_add(ctx, W, inputs);
    ggml_set_name(outputs, "outputs");
    ggml_cgraph * gf = ggml_new_graph_custom(ctx, GGML_DEFAULT_GRAPH_SIZE, true);
    ggml_build_forward_expand(gf, outputs);
    ggml_opt_prepare_alloc(opt, ctx, gf, inputs, outputs);
    ggml_opt_alloc(opt, /*backward =*/ true);
    // (the graphs, and the lookup through them, are gone after the eval; the accumulator is not)
    ggml_tensor * grad_w = ggml_opt_grad_acc(opt, W);
    if (!grad_w) { fprintf(stderr, "no gradient accumulator for W\n"); return 2; }
    std::vector<float> zero(NC * NR, 0.0f);
    ggml_backend_tensor_set(inputs, zero.data(), 0, zero.size() * sizeof(float));
    ggml_backend_tensor_set(ggml_opt_labels(opt), LABELS, 0, sizeof(LABELS));
    ggml_opt_eval(opt, result);

    std::vector<float> got(NC * NR);
    ggml_backend_tensor_get(grad_w, got.data(), 0, got.size() * sizeof(float));
    double worst = 0;
    int worst_i = 0;
    for (int i = 0; i < NC * NR; i++) {
      const double d = std::fabs(got[i] - want[i]);
      if (d > worst) { worst = d; worst_i = i; }
    }
    printf("step %d: max |gradient - true| %.3g (row %d col %d: %.6f, true %.6f)\n", step, worst, worst_i / NC, worst_i % NC, got[worst_i], want[worst_i]);
    if (worst > 1e-5) {
      printf("mismatch at step %d: %s\n", step,
             step == 1 ? "the cross-entropy backward of rows that do not sum to 1 (patches/0017)"
                       : "the gradient grows step by step: the accumulators are not zeroed (patches/0016)");
      ok = false;
    }
    ggml_free(ctx);
  }
  printf("%s\n", ok ? "ok" : "FAILED");

  ggml_opt_result_free(result);
  ggml_opt_free(opt);
  ggml_backend_buffer_free(buf_w);
  ggml_free(ctx_w);
  ggml_backend_sched_free(sched);
  ggml_backend_free(cpu);
  return ok ? 0 : 1;
}
