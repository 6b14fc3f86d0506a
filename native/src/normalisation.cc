// Batch normalisation: the inference form (TF.js's FusedBatchNorm) and its gradient, and the
// training form with batch statistics (optionally fused with a residual add and ReLU) and its gradient.
#include "common.h"
#include "options.h"
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <limits>

namespace sprig {

// ---------------------------------------------------------------- batch norm (inference form)
// batchNorm(out, x, mean, variance, offset|null, scale|null, {channels, eps}); each parameter has
// `channels` or 1 entries.
static Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* o = f32(info, 0);
  const float* x = f32(info, 1);
  const float* mean = f32(info, 2);
  const float* var = f32(info, 3);
  const float* off = f32(info, 4, true);
  const float* sc = f32(info, 5, true);
  Options opt(info, 6, "batchNorm");
  const int64_t C = opt.integer("channels");
  const float eps = (float)opt.number("eps");
  const int64_t lm = f32len(info, 2), lv = f32len(info, 3);
  const int64_t lo = off ? f32len(info, 4) : 0, ls = sc ? f32len(info, 5) : 0;
  auto perChannel = [C](int64_t len) { return len == 1 || len == C; };
  opt.require(C > 0 && (int64_t)f32len(info, 1) % C == 0 && f32len(info, 0) == f32len(info, 1),
              "out and x must have the same length, a multiple of channels");
  opt.require(perChannel(lm) && perChannel(lv) && (!off || perChannel(lo)) && (!sc || perChannel(ls)),
              "mean, variance, offset and scale must have 1 or `channels` entries");
  std::vector<float> mul(C), add(C);
  for (int64_t c = 0; c < C; c++) {
    const float m = mean[lm == 1 ? 0 : c], v = var[lv == 1 ? 0 : c];
    const float s = sc ? sc[ls == 1 ? 0 : c] : 1.f, b = off ? off[lo == 1 ? 0 : c] : 0.f;
    mul[c] = s / std::sqrt(v + eps);
    add[c] = b - m * mul[c];
  }
  const int64_t n = f32len(info, 0), rows = n / C;
#pragma omp parallel for if (n >= kParMin) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C; float* orow = o + r * C;
    for (int64_t c = 0; c < C; c++) orow[c] = xr[c] * mul[c] + add[c];
  }
  return info.Env().Undefined();
}


// Per-channel sums over rows of a [rows, C] layout, parallel over row blocks (double accumulators).
// f(r, c) gives the value(s) to add; K accumulators per channel.
template <int K, typename F>
static void channelSums(int64_t rows, int64_t C, double* out, F f) {
  const bool par = rows * C >= kParMin;
  const int T = par ? omp_get_max_threads() : 1;
  std::vector<double> part((size_t)T * K * C, 0.0);
#pragma omp parallel num_threads(T) if (par)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    double* acc = part.data() + (size_t)t * K * C;
    const int64_t chunk = (rows + nt - 1) / nt, r0 = t * chunk, r1 = std::min(rows, r0 + chunk);
    for (int64_t r = r0; r < r1; r++) f(r, acc);
  }
  std::fill(out, out + K * C, 0.0);
  for (int t = 0; t < T; t++)
    for (int64_t i = 0; i < K * C; i++) out[i] += part[(size_t)t * K * C + i];
}

// fusedBatchNormGrad(dx|null, dmean, dvar, dscale, doffset, dy, x, mean, variance, scale|null,
// {channels, eps}): the gradient TF.js's FusedBatchNorm gradient computes, in two passes over x and dy.
static Napi::Value FusedBatchNormGrad(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dx = f32(info, 0, true);
  float* dmean = f32(info, 1);
  float* dvar = f32(info, 2);
  float* dscale = f32(info, 3);
  float* doff = f32(info, 4);
  const float* dy = f32(info, 5);
  const float* x = f32(info, 6);
  const float* mean = f32(info, 7);
  const float* var = f32(info, 8);
  const float* sc = f32(info, 9, true);
  Options opt(info, 10, "fusedBatchNormGrad");
  const int64_t C = opt.integer("channels");
  const float eps = (float)opt.number("eps");
  const int64_t n = f32len(info, 6), rows = C ? n / C : 0;
  opt.require(C > 0 && n % C == 0 && (int64_t)f32len(info, 5) == n && (!dx || (int64_t)f32len(info, 0) == n),
              "dx, dy and x must have the same length, a multiple of channels");
  for (size_t i : {1, 2, 3, 4, 7, 8})
    opt.require((int64_t)f32len(info, i) == C, "dmean, dvar, dscale, doffset, mean and variance need `channels` entries");
  opt.require(!sc || (int64_t)f32len(info, 9) == C, "scale needs `channels` entries");
  std::vector<float> inv(C), s(C);
  for (int64_t c = 0; c < C; c++) { inv[c] = 1.f / std::sqrt(var[c] + eps); s[c] = sc ? sc[c] : 1.f; }
  // sums: dy, dy*(x-mean)
  std::vector<double> sums(2 * C);
  channelSums<2>(rows, C, sums.data(), [&](int64_t r, double* acc) {
    const float* yr = dy + r * C; const float* xr = x + r * C;
    for (int64_t c = 0; c < C; c++) { acc[c] += yr[c]; acc[C + c] += (double)yr[c] * (xr[c] - mean[c]); }
  });
  if (dx) {
#pragma omp parallel for if (n >= kParMin) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const float* yr = dy + r * C; float* dr = dx + r * C;
      for (int64_t c = 0; c < C; c++) dr[c] = yr[c] * inv[c] * s[c];
    }
  }
  for (int64_t c = 0; c < C; c++) {
    const double i = inv[c];
    doff[c] = (float)sums[c];
    dscale[c] = (float)(sums[C + c] * i);
    dmean[c] = (float)(-i * s[c] * sums[c]);
    dvar[c] = (float)(-0.5 * i * i * i * s[c] * sums[C + c]);
  }
  return info.Env().Undefined();
}

// bnTrain(y, mean, variance, x, gamma|null, beta|null, residual|null, {channels, eps, relu}): batch
// statistics over all rows (biased variance, in double) and y = (x - mean)/sqrt(var + eps)*gamma + beta,
// optionally followed by + residual and ReLU in the same output pass (ResNet's bn -> add -> relu and
// bn -> relu: saves two full passes, two arrays and two TF.js kernel calls per use).
static Napi::Value BnTrain(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* y = f32(info, 0);
  float* mean = f32(info, 1);
  float* var = f32(info, 2);
  const float* x = f32(info, 3);
  const float* g = f32(info, 4, true);
  const float* b = f32(info, 5, true);
  const float* res = f32(info, 6, true);
  Options opt(info, 7, "bnTrain");
  const int64_t C = opt.integer("channels");
  const float eps = (float)opt.number("eps");
  const bool relu = opt.boolean("relu");
  const int64_t n = f32len(info, 3), rows = C ? n / C : 0;
  opt.require(C > 0 && n % C == 0 && (int64_t)f32len(info, 0) == n && (!res || (int64_t)f32len(info, 6) == n),
              "y, x and residual must have the same length, a multiple of channels");
  opt.require((int64_t)f32len(info, 1) == C && (int64_t)f32len(info, 2) == C && (!g || (int64_t)f32len(info, 4) == C) &&
                  (!b || (int64_t)f32len(info, 5) == C),
              "mean, variance, gamma and beta need `channels` entries");
  // One pass: per-channel sum and sum of squares about a shift (the first row), in double, so the
  // variance keeps its precision (shifted data: no catastrophic cancellation for |mean| >> std).
  std::vector<double> s(2 * C);
  channelSums<2>(rows, C, s.data(), [&](int64_t r, double* acc) {
    const float* xr = x + r * C;
    for (int64_t c = 0; c < C; c++) { const double d = (double)xr[c] - x[c]; acc[c] += d; acc[C + c] += d * d; }
  });
  for (int64_t c = 0; c < C; c++) {
    const double m = s[c] / (double)rows;
    mean[c] = (float)(x[c] + m);
    s[C + c] = std::max(0.0, s[C + c] / (double)rows - m * m);
  }
  std::vector<float> mul(C), add(C);
  for (int64_t c = 0; c < C; c++) {
    var[c] = (float)s[C + c];
    mul[c] = (g ? g[c] : 1.f) / std::sqrt(var[c] + eps);
    add[c] = (b ? b[c] : 0.f) - mean[c] * mul[c];
  }
  const float* mu = mul.data();
  const float* ad = add.data();
#pragma omp parallel for if (n >= kParMin) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C; float* yr = y + r * C;
    if (res) {
      const float* sr = res + r * C;
      if (relu) {
        for (int64_t c = 0; c < C; c++) { const float v = (xr[c] * mu[c] + ad[c]) + sr[c]; yr[c] = v < 0 ? 0.f : v; }
      } else {
        for (int64_t c = 0; c < C; c++) yr[c] = (xr[c] * mu[c] + ad[c]) + sr[c];
      }
    } else if (relu) {
      for (int64_t c = 0; c < C; c++) { const float v = xr[c] * mu[c] + ad[c]; yr[c] = v < 0 ? 0.f : v; }
    } else {
      for (int64_t c = 0; c < C; c++) yr[c] = xr[c] * mu[c] + ad[c];
    }
  }
  return info.Env().Undefined();
}

// bnTrainGrad(dx, dgamma, dbeta, dy, x, mean, variance, gamma|null, y|null, dres|null, {channels, eps}): the
// full gradient of batch norm with batch statistics (through the mean and variance), as autodiff of
// moments + batchNorm gives it: dx = g·inv/M · (M·dy − Σdy − x̂·Σ(dy·x̂)). With y (the output of a
// fused ReLU) dy is first masked as TF.js's Relu gradient does, dy·step(y); dres, when given,
// receives that masked dy (the gradient of the fused residual input).
static Napi::Value BnTrainGrad(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dx = f32(info, 0);
  float* dg = f32(info, 1);
  float* db = f32(info, 2);
  const float* dyIn = f32(info, 3);
  const float* x = f32(info, 4);
  const float* mean = f32(info, 5);
  const float* var = f32(info, 6);
  const float* g = f32(info, 7, true);
  const float* yRelu = f32(info, 8, true);
  float* dres = f32(info, 9, true);
  Options opt(info, 10, "bnTrainGrad");
  const int64_t C = opt.integer("channels");
  const float eps = (float)opt.number("eps");
  const int64_t n = f32len(info, 4), rows = C ? n / C : 0;
  opt.require(C > 0 && n % C == 0 && (int64_t)f32len(info, 0) == n && (int64_t)f32len(info, 3) == n &&
                  (!yRelu || (int64_t)f32len(info, 8) == n) && (!dres || (int64_t)f32len(info, 9) == n),
              "dx, dy, x, y and dres must have the same length, a multiple of channels");
  for (size_t i : {1, 2, 5, 6})
    opt.require((int64_t)f32len(info, i) == C, "dgamma, dbeta, mean and variance need `channels` entries");
  opt.require(!g || (int64_t)f32len(info, 7) == C, "gamma needs `channels` entries");
  // step(y) as TF.js's Relu gradient: 1 where y > 0, 0 elsewhere, NaN where y is NaN.
  auto stepOf = [](float v) { return std::isnan(v) ? v : (v > 0 ? 1.f : 0.f); };
  std::vector<double> sums(2 * C);
  channelSums<2>(rows, C, sums.data(), [&](int64_t r, double* acc) {
    const float* yr = dyIn + r * C; const float* xr = x + r * C;
    if (yRelu) {
      const float* mr = yRelu + r * C;
      float* dr = dres ? dres + r * C : nullptr;
      for (int64_t c = 0; c < C; c++) {
        const float gc = yr[c] * stepOf(mr[c]);
        if (dr) dr[c] = gc;
        acc[c] += gc; acc[C + c] += (double)gc * (xr[c] - mean[c]);
      }
    } else {
      if (dres) std::copy(yr, yr + C, dres + r * C);
      for (int64_t c = 0; c < C; c++) { acc[c] += yr[c]; acc[C + c] += (double)yr[c] * (xr[c] - mean[c]); }
    }
  });
  std::vector<float> k1(C), k2(C), k0(C);
  const double M = (double)rows;
  for (int64_t c = 0; c < C; c++) {
    const double i = 1.0 / std::sqrt((double)var[c] + eps);
    const double gc = g ? g[c] : 1.0;
    db[c] = (float)sums[c];
    dg[c] = (float)(sums[C + c] * i);
    // dx = gc*i*dy - gc*i/M*sum(dy) - gc*i^3/M * (x-mean) * sum(dy*(x-mean))
    k0[c] = (float)(gc * i);
    k1[c] = (float)(gc * i / M * sums[c]);
    k2[c] = (float)(gc * i * i * i / M * sums[C + c]);
  }
  const float *K0 = k0.data(), *K1 = k1.data(), *K2 = k2.data();
  // The masked dy: already in dres when it was asked for, else recomputed from dy and y.
  const float* gm = dres ? dres : dyIn;
#pragma omp parallel for if (n >= kParMin) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float* yr = gm + r * C; const float* xr = x + r * C; float* dr = dx + r * C;
    if (yRelu && !dres) {
      const float* mr = yRelu + r * C;
      for (int64_t c = 0; c < C; c++) dr[c] = K0[c] * (yr[c] * stepOf(mr[c])) - K1[c] - K2[c] * (xr[c] - mean[c]);
    } else {
      for (int64_t c = 0; c < C; c++) dr[c] = K0[c] * yr[c] - K1[c] - K2[c] * (xr[c] - mean[c]);
    }
  }
  return info.Env().Undefined();
}

void registerNormalisation(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
  exports.Set("fusedBatchNormGrad", Napi::Function::New(env, FusedBatchNormGrad));
  exports.Set("bnTrain", Napi::Function::New(env, BnTrain));
  exports.Set("bnTrainGrad", Napi::Function::New(env, BnTrainGrad));
}

}  // namespace sprig
