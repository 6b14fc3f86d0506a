// The optimizers' fused in-place updates: SGD (momentum, Nesterov) and Adam/AdamW, each then masked.
#include "common.h"
#include "options.h"
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <limits>

namespace sprig {

// sgd(w, g, m|null, mask|null, {lr, momentum, weightDecay, nesterov}), PyTorch's SGD semantics:
//   d = g + wd*w; m = mu*m + d; d = nesterov ? d + mu*m : m; w -= lr*d; w *= mask.
static Napi::Value Sgd(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* w = f32(info, 0);
  const float* g = f32(info, 1);
  float* m = f32(info, 2, true);
  const float* mask = f32(info, 3, true);
  Options opt(info, 4, "sgd");
  const float lr = (float)opt.number("lr"), mu = (float)opt.number("momentum"), wd = (float)opt.number("weightDecay");
  const bool nesterov = opt.boolean("nesterov");
  const int64_t n = f32len(info, 0);
  if ((int64_t)f32len(info, 1) != n || (m && (int64_t)f32len(info, 2) != n) || (mask && (int64_t)f32len(info, 3) != n))
    throw std::invalid_argument("sgd: arrays must have the same length");
#pragma omp parallel for if (n >= kParMin) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    float d = g[i] + wd * w[i];
    if (m) {
      const float mi = mu * m[i] + d;
      m[i] = mi;
      d = nesterov ? d + mu * mi : mi;
    }
    float wi = w[i] - lr * d;
    if (mask) wi *= mask[i];
    w[i] = wi;
  }
  return info.Env().Undefined();
}

// adam(w, g, m, v, mask|null, {lr, beta1, beta2, eps, weightDecay, step, decoupled})
// PyTorch's Adam (L2 added to the gradient) or AdamW (decoupled: w -= lr*wd*w), bias-corrected.
static Napi::Value Adam(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* w = f32(info, 0);
  const float* g = f32(info, 1);
  float* m = f32(info, 2);
  float* v = f32(info, 3);
  const float* mask = f32(info, 4, true);
  Options opt(info, 5, "adam");
  const double lr = opt.number("lr"), b1 = opt.number("beta1"), b2 = opt.number("beta2"), eps = opt.number("eps"),
               wd = opt.number("weightDecay");
  const double t = opt.number("step");
  const bool decoupled = opt.boolean("decoupled");
  const int64_t n = f32len(info, 0);
  if ((int64_t)f32len(info, 1) != n || (int64_t)f32len(info, 2) != n || (int64_t)f32len(info, 3) != n ||
      (mask && (int64_t)f32len(info, 4) != n))
    throw std::invalid_argument("adam: arrays must have the same length");
  const float bc1 = (float)(1.0 - std::pow(b1, t)), bc2s = (float)std::sqrt(1.0 - std::pow(b2, t));
  const float fb1 = (float)b1, fb2 = (float)b2, flr = (float)lr, feps = (float)eps, fwd = (float)wd;
  const float stepSize = flr / bc1;
#pragma omp parallel for if (n >= kParMin) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    float wi = w[i];
    float gi = g[i];
    if (decoupled) wi -= flr * fwd * wi; else gi += fwd * wi;
    const float mi = fb1 * m[i] + (1.f - fb1) * gi;
    const float vi = fb2 * v[i] + (1.f - fb2) * gi * gi;
    m[i] = mi; v[i] = vi;
    wi -= stepSize * mi / (std::sqrt(vi) / bc2s + feps);
    if (mask) wi *= mask[i];
    w[i] = wi;
  }
  return info.Env().Undefined();
}

void registerOptimizers(Napi::Env env, Napi::Object exports) {
  exports.Set("sgd", Napi::Function::New(env, Sgd));
  exports.Set("adam", Napi::Function::New(env, Adam));
}

}  // namespace sprig
