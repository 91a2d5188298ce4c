// Run-time loading of ggml backends in the portable layout (see backends.cpp).
#pragma once

#include <napi.h>

#include "ggml-backend.h"

namespace rrm {

Napi::Value LoadCpuBackend(const Napi::CallbackInfo & info);
Napi::Value LoadBackend(const Napi::CallbackInfo & info);
Napi::Object BackendFeatures(Napi::Env env, ggml_backend_reg_t reg);

}  // namespace rrm
