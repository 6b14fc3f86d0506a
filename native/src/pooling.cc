// Max and average pooling over NHWC images, forward and gradients.
#include "common.h"
#include "options.h"
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <limits>

namespace sprig {

// ---------------------------------------------------------------- pooling (NHWC)
// A pooling's geometry, read from the call's options object (TF.js's Conv2DInfo field names).
struct PoolP { int64_t N, H, W, C, OH, OW, fh, fw, sh, sw, pt, pl; };
static PoolP readPool(const Options& o) {
  PoolP p{o.integer("batchSize"),   o.integer("inHeight"),    o.integer("inWidth"),     o.integer("inChannels"),
          o.integer("outHeight"),   o.integer("outWidth"),    o.integer("filterHeight"), o.integer("filterWidth"),
          o.integer("strideHeight"), o.integer("strideWidth"), o.integer("padTop"),      o.integer("padLeft")};
  o.require(p.sh > 0 && p.sw > 0 && p.fh > 0 && p.fw > 0, "filter sizes and strides must be >= 1");
  return p;
}
// Checks that the input-sized array `in` and the output-sized array `out` match the geometry.
static void checkPoolLengths(const Options& o, const PoolP& p, const Napi::CallbackInfo& info, size_t in, size_t out) {
  o.require((int64_t)f32len(info, in) == p.N * p.H * p.W * p.C, "an input-sized array does not match the geometry");
  o.require((int64_t)f32len(info, out) == p.N * p.OH * p.OW * p.C, "an output-sized array does not match the geometry");
}

// maxPool(out, x, geometry) / avgPool(out, x, geometry)
static Napi::Value Pool(const Napi::CallbackInfo& info, bool isMax) {
  adaptThreads();
  float* o = f32(info, 0);
  const float* x = f32(info, 1);
  Options opt(info, 2, isMax ? "maxPool" : "avgPool");
  PoolP p = readPool(opt);
  checkPoolLengths(opt, p, info, 1, 0);
  const int64_t C = p.C;
#pragma omp parallel for if (p.N * p.OH * p.OW * C >= kParMin / 4) schedule(static)
  for (int64_t no = 0; no < p.N * p.OH; no++) {
    const int64_t n = no / p.OH, oy = no % p.OH;
    const int64_t y0 = oy * p.sh - p.pt, r0 = std::max<int64_t>(0, y0), r1 = std::min(p.H, y0 + p.fh);
    for (int64_t ox = 0; ox < p.OW; ox++) {
      const int64_t x0 = ox * p.sw - p.pl, c0 = std::max<int64_t>(0, x0), c1 = std::min(p.W, x0 + p.fw);
      float* out = o + ((n * p.OH + oy) * p.OW + ox) * C;
      if (isMax) {
        for (int64_t c = 0; c < C; c++) out[c] = -std::numeric_limits<float>::infinity();
        for (int64_t r = r0; r < r1; r++)
          for (int64_t cc = c0; cc < c1; cc++) {
            const float* in = x + ((n * p.H + r) * p.W + cc) * C;
            for (int64_t c = 0; c < C; c++) out[c] = in[c] > out[c] ? in[c] : out[c];
          }
      } else {
        for (int64_t c = 0; c < C; c++) out[c] = 0.f;
        for (int64_t r = r0; r < r1; r++)
          for (int64_t cc = c0; cc < c1; cc++) {
            const float* in = x + ((n * p.H + r) * p.W + cc) * C;
            for (int64_t c = 0; c < C; c++) out[c] += in[c];
          }
        const float inv = 1.f / (float)((r1 - r0) * (c1 - c0));
        for (int64_t c = 0; c < C; c++) out[c] = out[c] * inv;
      }
    }
  }
  return info.Env().Undefined();
}
static Napi::Value MaxPool(const Napi::CallbackInfo& info) { return Pool(info, true); }
static Napi::Value AvgPool(const Napi::CallbackInfo& info) { return Pool(info, false); }

// Max-pool gradient for disjoint windows (2x2 stride 2, as in LeNet-5 and Conv-4): every input lies in
// at most one window, so dx is written, not scattered into, and the window maxima come from the
// forward output y instead of a second pass over x. Each window hands dy to the first position that
// holds its maximum (none when the maximum is -inf, i.e. all inputs -inf or NaN), as TF.js does:
// `rem` is the gradient not yet handed out, so ties after the first get 0 without a branch.
// CC > 0 fixes the channel count at compile time for LeNet-5's 6 and 16 channels, whose short
// run-time channel loops would cost more than their arithmetic.
template <int CC>
static void maxPoolGradDisjointT(float* dx, const float* dy, const float* x, const float* y, const PoolP& p) {
  const int64_t C = CC > 0 ? CC : p.C;
  const bool covers =
      p.pt == 0 && p.pl == 0 && p.sh == p.fh && p.sw == p.fw && p.OH * p.sh == p.H && p.OW * p.sw == p.W;
  if (!covers) std::fill(dx, dx + p.N * p.H * p.W * C, 0.f);
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
#pragma omp parallel if (p.N * p.OH * p.OW * C >= kParMin / 4)
  {
    // Gradients as bit patterns, selected with masks: GCC turns float selects here into branches,
    // which mispredict on every tie test.
    std::vector<uint32_t> rv(CC > 0 ? 0 : C);
    uint32_t ra[CC > 0 ? CC : 1];
    uint32_t* rem = CC > 0 ? ra : rv.data();
    const uint32_t* gbits = reinterpret_cast<const uint32_t*>(dy);
    uint32_t* dbits = reinterpret_cast<uint32_t*>(dx);
#pragma omp for schedule(static)
    for (int64_t no = 0; no < p.N * p.OH; no++) {
      const int64_t n = no / p.OH, oy = no % p.OH;
      const int64_t y0 = oy * p.sh - p.pt, r0 = std::max<int64_t>(0, y0), r1 = std::min(p.H, y0 + p.fh);
      for (int64_t ox = 0; ox < p.OW; ox++) {
        const int64_t x0 = ox * p.sw - p.pl, c0 = std::max<int64_t>(0, x0), c1 = std::min(p.W, x0 + p.fw);
        const int64_t o = ((n * p.OH + oy) * p.OW + ox) * C;
        const float* m = y + o;
        for (int64_t c = 0; c < C; c++) rem[c] = gbits[o + c] & -(uint32_t)(m[c] > kNegInf);
        for (int64_t r = r0; r < r1; r++)
          for (int64_t cc = c0; cc < c1; cc++) {
            const int64_t base = ((n * p.H + r) * p.W + cc) * C;
            const float* in = x + base;
            uint32_t* d = dbits + base;
            for (int64_t c = 0; c < C; c++) {
              const uint32_t hit = -(uint32_t)(in[c] == m[c]);
              d[c] = rem[c] & hit;
              rem[c] &= ~hit;
            }
          }
      }
    }
  }
}

static void maxPoolGradDisjoint(float* dx, const float* dy, const float* x, const float* y, const PoolP& p) {
  switch (p.C) {
    case 6: return maxPoolGradDisjointT<6>(dx, dy, x, y, p);
    case 16: return maxPoolGradDisjointT<16>(dx, dy, x, y, p);
    default: return maxPoolGradDisjointT<0>(dx, dy, x, y, p);
  }
}

// maxPoolGrad(dx, dy, x, y|null, geometry): dy goes to the first maximum of each window (as TF.js
// picks it). y, the forward output, lets disjoint windows skip a pass over x.
static Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dx = f32(info, 0);
  const float* dy = f32(info, 1);
  const float* x = f32(info, 2);
  const float* y = f32(info, 3, true);
  Options opt(info, 4, "maxPoolGrad");
  PoolP p = readPool(opt);
  checkPoolLengths(opt, p, info, 0, 1);
  checkPoolLengths(opt, p, info, 2, 1);
  const int64_t C = p.C;
  if (y && p.sh >= p.fh && p.sw >= p.fw) {
    opt.require((int64_t)f32len(info, 3) == p.N * p.OH * p.OW * C, "y has the wrong length");
    maxPoolGradDisjoint(dx, dy, x, y, p);
    return info.Env().Undefined();
  }
  std::fill(dx, dx + p.N * p.H * p.W * C, 0.f);
  // Windows of different images never overlap; within an image they may, so one image per thread.
#pragma omp parallel for if (p.N * p.OH * p.OW * C >= kParMin / 4) schedule(static)
  for (int64_t n = 0; n < p.N; n++) {
    std::vector<float> best(C);
    std::vector<int64_t> pos(C);
    for (int64_t oy = 0; oy < p.OH; oy++) {
      const int64_t y0 = oy * p.sh - p.pt, r0 = std::max<int64_t>(0, y0), r1 = std::min(p.H, y0 + p.fh);
      for (int64_t ox = 0; ox < p.OW; ox++) {
        const int64_t x0 = ox * p.sw - p.pl, c0 = std::max<int64_t>(0, x0), c1 = std::min(p.W, x0 + p.fw);
        for (int64_t c = 0; c < C; c++) { best[c] = -std::numeric_limits<float>::infinity(); pos[c] = -1; }
        for (int64_t r = r0; r < r1; r++)
          for (int64_t cc = c0; cc < c1; cc++) {
            const int64_t base = ((n * p.H + r) * p.W + cc) * C;
            const float* in = x + base;
            for (int64_t c = 0; c < C; c++)
              if (in[c] > best[c]) { best[c] = in[c]; pos[c] = base + c; }
          }
        const float* g = dy + ((n * p.OH + oy) * p.OW + ox) * C;
        for (int64_t c = 0; c < C; c++)
          if (pos[c] >= 0) dx[pos[c]] += g[c];
      }
    }
  }
  return info.Env().Undefined();
}

// avgPoolGrad(dx, dy, geometry): each window's gradient spread over its in-bounds inputs, / (fh*fw) as
// TF.js does.
static Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dx = f32(info, 0);
  const float* dy = f32(info, 1);
  Options opt(info, 2, "avgPoolGrad");
  PoolP p = readPool(opt);
  checkPoolLengths(opt, p, info, 0, 1);
  const int64_t C = p.C;
  const float mult = 1.f / (float)(p.fh * p.fw);
  std::fill(dx, dx + p.N * p.H * p.W * C, 0.f);
#pragma omp parallel for if (p.N * p.OH * p.OW * C >= kParMin / 4) schedule(static)
  for (int64_t n = 0; n < p.N; n++) {
    for (int64_t oy = 0; oy < p.OH; oy++) {
      const int64_t y0 = oy * p.sh - p.pt, r0 = std::max<int64_t>(0, y0), r1 = std::min(p.H, y0 + p.fh);
      for (int64_t ox = 0; ox < p.OW; ox++) {
        const int64_t x0 = ox * p.sw - p.pl, c0 = std::max<int64_t>(0, x0), c1 = std::min(p.W, x0 + p.fw);
        const float* g = dy + ((n * p.OH + oy) * p.OW + ox) * C;
        for (int64_t r = r0; r < r1; r++)
          for (int64_t cc = c0; cc < c1; cc++) {
            float* d = dx + ((n * p.H + r) * p.W + cc) * C;
            for (int64_t c = 0; c < C; c++) d[c] += g[c];
          }
      }
    }
  }
  const int64_t total = p.N * p.H * p.W * C;
#pragma omp parallel for if (total >= kParMin) schedule(static)
  for (int64_t i = 0; i < total; i++) dx[i] *= mult;
  return info.Env().Undefined();
}

void registerPooling(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("avgPool", Napi::Function::New(env, AvgPool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("avgPoolGrad", Napi::Function::New(env, AvgPoolGrad));
}

}  // namespace sprig
