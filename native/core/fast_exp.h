#pragma once
#include <cstdint>

namespace rrm {
// out[t] = exp((x[t] - shift) * scale) for arguments <= 0 (shift is the maximum of x, scale > 0).
// Compiled with -ffast-math (CMakeLists.txt) so it vectorizes: ~15x faster than std::exp over a
// 152k vocabulary, relative error below 2e-7. Inputs must be finite.
void exp_shifted(const float * x, float * out, int32_t n, float shift, float scale);
// The maximum of finite x (vectorized the same way).
float max_of(const float * x, int32_t n);
}
