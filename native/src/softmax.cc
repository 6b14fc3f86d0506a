// Softmax (or log-softmax) over the last axis.
#include "common.h"
#include "options.h"
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <limits>

namespace sprig {

// softmax(out, x, {depth, log}): rows of `depth` entries, each through softmax (log-softmax with log).
static Napi::Value Softmax(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* o = f32(info, 0);
  const float* x = f32(info, 1);
  Options opt(info, 2, "softmax");
  const int64_t D = opt.integer("depth");
  const bool logOut = opt.boolean("log");
  opt.require(D > 0 && f32len(info, 1) % D == 0 && f32len(info, 0) == f32len(info, 1),
              "out and x must have the same length, a multiple of depth");
  const int64_t rows = f32len(info, 1) / D;
#pragma omp parallel for if (rows * D >= kParMin) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * D; float* orow = o + r * D;
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < D; j++) m = xr[j] > m ? xr[j] : m;
    double s = 0;
    for (int64_t j = 0; j < D; j++) s += std::exp((double)(xr[j] - m));
    if (logOut) {
      const float ls = (float)std::log(s);
      for (int64_t j = 0; j < D; j++) orow[j] = xr[j] - m - ls;
    } else {
      const float inv = (float)(1.0 / s);
      for (int64_t j = 0; j < D; j++) orow[j] = std::exp(xr[j] - m) * inv;
    }
  }
  return info.Env().Undefined();
}

void registerSoftmax(Napi::Env env, Napi::Object exports) { exports.Set("softmax", Napi::Function::New(env, Softmax)); }

}  // namespace sprig
