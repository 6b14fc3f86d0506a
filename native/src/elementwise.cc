// Element-wise kernels: binary ops with broadcasting, unary ops, and the ReLU gradient. Plain loops
// the compiler vectorises, parallel over OpenMP threads when large.
#include "common.h"
#include "options.h"
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <limits>

namespace sprig {

// ---------------------------------------------------------------- binary ops with broadcasting
enum Bin { B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_MAX = 4, B_MIN = 5, B_SQDIFF = 6 };

template <int OP>
static inline float bin(float a, float b) {
  if constexpr (OP == B_ADD) return a + b;
  if constexpr (OP == B_SUB) return a - b;
  if constexpr (OP == B_MUL) return a * b;
  if constexpr (OP == B_DIV) return a / b;
  if constexpr (OP == B_MAX) return (a > b || std::isnan(a)) ? a : b;
  if constexpr (OP == B_MIN) return (a < b || std::isnan(a)) ? a : b;
  if constexpr (OP == B_SQDIFF) { float d = a - b; return d * d; }
  return 0;
}

// mode 0: same size; 1: b scalar; 2: a scalar; 3: b repeats every bn (rows of a); 4: a repeats;
// 5: b is per-row (b[i / inner]) ; 6: general strided (rank <= 6)
template <int OP>
static void binaryT(float* o, const float* a, const float* b, int64_t n, int mode, int64_t bn,
                    const int64_t* shp, const int64_t* sa, const int64_t* sb, int rank) {
  const bool par = n >= kParMin;
  switch (mode) {
    case 0:
#pragma omp parallel for if (par) schedule(static)
      for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(a[i], b[i]);
      return;
    case 1: {
      const float s = b[0];
#pragma omp parallel for if (par) schedule(static)
      for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(a[i], s);
      return;
    }
    case 2: {
      const float s = a[0];
#pragma omp parallel for if (par) schedule(static)
      for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(s, b[i]);
      return;
    }
    case 3: {
      const int64_t rows = n / bn;
#pragma omp parallel for if (par) schedule(static)
      for (int64_t r = 0; r < rows; r++) {
        const float* ar = a + r * bn; float* orow = o + r * bn;
        for (int64_t j = 0; j < bn; j++) orow[j] = bin<OP>(ar[j], b[j]);
      }
      return;
    }
    case 4: {
      const int64_t rows = n / bn;
#pragma omp parallel for if (par) schedule(static)
      for (int64_t r = 0; r < rows; r++) {
        const float* br = b + r * bn; float* orow = o + r * bn;
        for (int64_t j = 0; j < bn; j++) orow[j] = bin<OP>(a[j], br[j]);
      }
      return;
    }
    case 5: {  // b[r] for each row r of length bn (b has n / bn elements)
      const int64_t rows = n / bn;
#pragma omp parallel for if (par) schedule(static)
      for (int64_t r = 0; r < rows; r++) {
        const float* ar = a + r * bn; float* orow = o + r * bn; const float s = b[r];
        for (int64_t j = 0; j < bn; j++) orow[j] = bin<OP>(ar[j], s);
      }
      return;
    }
    default: {
      // General broadcast: iterate over all but the last dim, inner loop strided.
      const int64_t last = shp[rank - 1];
      const int64_t rows = n / last;
#pragma omp parallel for if (par) schedule(static)
      for (int64_t r = 0; r < rows; r++) {
        int64_t rem = r, ia = 0, ib = 0;
        for (int d = rank - 2; d >= 0; d--) {
          int64_t idx = rem % shp[d]; rem /= shp[d];
          ia += idx * sa[d]; ib += idx * sb[d];
        }
        float* orow = o + r * last;
        const int64_t la = sa[rank - 1], lb = sb[rank - 1];
        for (int64_t j = 0; j < last; j++) orow[j] = bin<OP>(a[ia + j * la], b[ib + j * lb]);
      }
    }
  }
}

// binary(out, a, b, {op, mode, bn, shape, stridesA, stridesB}): the modes above; bn only for modes
// 3-5, shape and strides (of a and b over the broadcast output shape) only for mode 6.
static Napi::Value Binary(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* o = f32(info, 0);
  const float* a = f32(info, 1);
  const float* b = f32(info, 2);
  Options opt(info, 3, "binary");
  const int op = (int)opt.integer("op");
  const int mode = (int)opt.integer("mode");
  const int64_t n = (int64_t)f32len(info, 0), la = (int64_t)f32len(info, 1), lb = (int64_t)f32len(info, 2);
  const int64_t bn = mode >= 3 && mode <= 5 ? opt.integer("bn") : 0;
  opt.require(mode <= 6, "mode must be 0..6");
  opt.require(mode < 3 || mode > 5 || (bn > 0 && n % bn == 0), "bn must divide the output length");
  opt.require(mode == 2 || mode == 4 || mode == 6 || la == n, "a must have the output's length");
  opt.require(mode == 1 || mode == 3 || mode == 5 || mode == 6 || lb == n, "b must have the output's length");
  opt.require((mode != 1 || lb >= 1) && (mode != 2 || la >= 1) && (mode != 3 || lb >= bn) && (mode != 4 || la >= bn) &&
                  (mode != 5 || lb >= n / std::max<int64_t>(bn, 1)),
              "the broadcast operand is too short");
  std::vector<int64_t> shp, sa, sb;
  if (mode == 6) { shp = opt.integers("shape"); sa = opt.integers("stridesA"); sb = opt.integers("stridesB"); }
  const int rank = (int)shp.size();
  opt.require(mode != 6 || (rank >= 1 && rank <= 8 && sa.size() == shp.size() && sb.size() == shp.size()),
              "shape, stridesA and stridesB must have the same rank, 1..8");
  switch (op) {
    case B_ADD: binaryT<B_ADD>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    case B_SUB: binaryT<B_SUB>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    case B_MUL: binaryT<B_MUL>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    case B_DIV: binaryT<B_DIV>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    case B_MAX: binaryT<B_MAX>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    case B_MIN: binaryT<B_MIN>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    case B_SQDIFF: binaryT<B_SQDIFF>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    default: opt.require(false, "unknown op " + std::to_string(op));
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- unary ops
enum Un { U_RELU = 0, U_STEP, U_NEG, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_SQUARE, U_SIGMOID, U_TANH, U_ABS, U_RELU6 };

template <int OP>
static void unaryT(float* o, const float* x, int64_t n, float alpha) {
#pragma omp parallel for if (n >= kParMin) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const float v = x[i];
    float r;
    if constexpr (OP == U_RELU) r = v < 0 ? 0.f : v;
    else if constexpr (OP == U_STEP) r = std::isnan(v) ? v : (v > 0 ? 1.f : alpha);
    else if constexpr (OP == U_NEG) r = -v;
    else if constexpr (OP == U_EXP) r = std::exp(v);
    else if constexpr (OP == U_LOG) r = std::log(v);
    else if constexpr (OP == U_SQRT) r = std::sqrt(v);
    else if constexpr (OP == U_RSQRT) r = 1.f / std::sqrt(v);
    else if constexpr (OP == U_SQUARE) r = v * v;
    else if constexpr (OP == U_SIGMOID) r = 1.f / (1.f + std::exp(-v));
    else if constexpr (OP == U_TANH) r = std::tanh(v);
    else if constexpr (OP == U_ABS) r = std::fabs(v);
    else if constexpr (OP == U_RELU6) r = v < 0 ? 0.f : (v > 6 ? 6.f : v);
    else r = v;
    o[i] = r;
  }
}

// unary(out, x, {op, alpha}): alpha (Step's value at x <= 0) defaults to 0.
static Napi::Value Unary(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* o = f32(info, 0);
  const float* x = f32(info, 1);
  Options opt(info, 2, "unary");
  const int op = (int)opt.integer("op");
  const float alpha = (float)opt.number("alpha", 0);
  const int64_t n = (int64_t)f32len(info, 0);
  opt.require((int64_t)f32len(info, 1) == n, "out and x must have the same length");
  switch (op) {
#define U(K) case K: unaryT<K>(o, x, n, alpha); break;
    U(U_RELU) U(U_STEP) U(U_NEG) U(U_EXP) U(U_LOG) U(U_SQRT) U(U_RSQRT) U(U_SQUARE) U(U_SIGMOID) U(U_TANH)
    U(U_ABS) U(U_RELU6)
#undef U
    default: opt.require(false, "unknown op " + std::to_string(op));
  }
  return info.Env().Undefined();
}

// reluGrad(dx, dy, x): dx = dy * step(x), exactly as TF.js's mul(dy, step(x)).
static Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dx = f32(info, 0);
  const float* dy = f32(info, 1);
  const float* x = f32(info, 2);
  const int64_t n = f32len(info, 0);
  if ((int64_t)f32len(info, 1) != n || (int64_t)f32len(info, 2) != n)
    throw std::invalid_argument("reluGrad: dx, dy and x must have the same length");
#pragma omp parallel for if (n >= kParMin) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const float s = std::isnan(x[i]) ? x[i] : (x[i] > 0 ? 1.f : 0.f);
    dx[i] = dy[i] * s;
  }
  return info.Env().Undefined();
}

void registerElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("reluGrad", Napi::Function::New(env, ReluGrad));
}

}  // namespace sprig
