#include "fast_exp.h"

#include <cmath>

// The portable build is not compiled for the build machine's CPU, so these two loops over the
// vocabulary carry AVX2 and AVX-512 clones that the loader picks for the CPU it runs on. They must
// give the same bits, or sampling would depend on the machine whatever CPU library is pinned: the
// file is compiled with -ffp-contract=off (CMakeLists.txt), so no clone fuses a multiply-add.
#if defined(RRM_BACKEND_DL) && defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define RRM_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RRM_VECTOR_CLONES
#endif

namespace rrm {

RRM_VECTOR_CLONES void exp_shifted(const float * __restrict x, float * __restrict out, int32_t n, float shift, float scale) {
  for (int32_t t = 0; t < n; ++t) {
    // exp(v) = 2^(v log2 e): integer part into the exponent bits, fraction by a degree-6 polynomial.
    const float v = std::fmax((x[t] - shift) * scale, -87.0f) * 1.44269504088896341f;
    const float whole = std::floor(v);
    const float f = v - whole;
    const float p = 1.0f + f * (0.693147182f + f * (0.240226507f + f * (0.0555041087f + f * (0.00961812911f + f * (0.00133335581f + f * 0.000154035304f)))));
    out[t] = p * __builtin_bit_cast(float, ((int32_t) whole + 127) << 23);
  }
}

RRM_VECTOR_CLONES float max_of(const float * __restrict x, int32_t n) {
  float m = -INFINITY;
  for (int32_t t = 0; t < n; ++t) m = std::fmax(m, x[t]);
  return m;
}

}  // namespace rrm
