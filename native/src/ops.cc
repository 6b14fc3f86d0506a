// Element-wise ops (with broadcasting), reductions, pooling, batch norm, softmax and the fused
// optimizer updates. Plain loops the compiler vectorises, parallel over OpenMP threads when large.
#include "common.h"
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

// binary(op, out, a, b, mode, bn, outShape, aStrides, bStrides)
static Napi::Value Binary(const Napi::CallbackInfo& info) {
  adaptThreads();
  int op = (int)i64(info, 0);
  float* o = f32(info, 1);
  const float* a = f32(info, 2);
  const float* b = f32(info, 3);
  int mode = (int)i64(info, 4);
  int64_t bn = i64(info, 5);
  int64_t n = (int64_t)f32len(info, 1);
  std::vector<int64_t> shp, sa, sb;
  if (mode == 6) { shp = dims(info, 6); sa = dims(info, 7); sb = dims(info, 8); }
  const int rank = (int)shp.size();
  if (mode == 6 && (rank < 1 || rank > 8)) throw std::invalid_argument("bad rank");
  switch (op) {
    case B_ADD: binaryT<B_ADD>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    case B_SUB: binaryT<B_SUB>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    case B_MUL: binaryT<B_MUL>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    case B_DIV: binaryT<B_DIV>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    case B_MAX: binaryT<B_MAX>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    case B_MIN: binaryT<B_MIN>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    case B_SQDIFF: binaryT<B_SQDIFF>(o, a, b, n, mode, bn, shp.data(), sa.data(), sb.data(), rank); break;
    default: throw std::invalid_argument("unknown binary op");
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

// unary(op, out, x, alpha)
static Napi::Value Unary(const Napi::CallbackInfo& info) {
  adaptThreads();
  int op = (int)i64(info, 0);
  float* o = f32(info, 1);
  const float* x = f32(info, 2);
  float alpha = (float)num(info, 3);
  int64_t n = (int64_t)f32len(info, 1);
  switch (op) {
#define U(K) case K: unaryT<K>(o, x, n, alpha); break;
    U(U_RELU) U(U_STEP) U(U_NEG) U(U_EXP) U(U_LOG) U(U_SQRT) U(U_RSQRT) U(U_SQUARE) U(U_SIGMOID) U(U_TANH)
    U(U_ABS) U(U_RELU6)
#undef U
    default: throw std::invalid_argument("unknown unary op");
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- reductions over [outer, R, inner]
enum Red { R_SUM = 0, R_MEAN = 1, R_MAX = 2, R_MIN = 3 };

// reduce(op, out, x, outer, R, inner). Sums accumulate in double, as the JS kernels do.
static Napi::Value Reduce(const Napi::CallbackInfo& info) {
  adaptThreads();
  int op = (int)i64(info, 0);
  float* o = f32(info, 1);
  const float* x = f32(info, 2);
  int64_t outer = i64(info, 3), R = i64(info, 4), inner = i64(info, 5);
  const bool par = outer * R * inner >= kParMin;
  const bool isSum = op == R_SUM || op == R_MEAN;
  const double scale = op == R_MEAN ? 1.0 / (double)R : 1.0;
  if (inner == 1) {
#pragma omp parallel for if (par) schedule(static)
    for (int64_t r = 0; r < outer; r++) {
      const float* xr = x + r * R;
      if (isSum) {
        double s = 0;
        for (int64_t j = 0; j < R; j++) s += xr[j];
        o[r] = (float)(s * scale);
      } else {
        float m = R ? xr[0] : 0.f;
        for (int64_t j = 1; j < R; j++) m = op == R_MAX ? (xr[j] > m ? xr[j] : m) : (xr[j] < m ? xr[j] : m);
        o[r] = m;
      }
    }
    return info.Env().Undefined();
  }
  const int nt = par ? omp_get_max_threads() : 1;
  if (isSum && outer == 1 && inner < 64) {
    // Column sums of a tall, narrow matrix (a conv's bias gradient: [N*H*W, C] with C = 6 or 16).
    // Rows are split across threads, and each thread adds k rows at a time as one k*inner-wide row,
    // so the inner loop is long enough to vectorise; the k-wide accumulator is folded at the end.
    const int64_t k = (64 + inner - 1) / inner, wide = k * inner, blocks = R / k;
    std::vector<double> part((size_t)nt * inner, 0.0);
#pragma omp parallel num_threads(nt) if (par)
    {
      const int t = omp_get_thread_num(), T = omp_get_num_threads();
      const int64_t chunk = (blocks + T - 1) / T, b0 = t * chunk, b1 = std::min(blocks, b0 + chunk);
      std::vector<double> acc(wide, 0.0);
      for (int64_t b = b0; b < b1; b++) {
        const float* row = x + b * wide;
        for (int64_t i = 0; i < wide; i++) acc[i] += row[i];
      }
      for (int64_t i = 0; i < wide; i++) part[(size_t)t * inner + i % inner] += acc[i];
    }
    for (int64_t j = blocks * k; j < R; j++)
      for (int64_t c = 0; c < inner; c++) part[c] += x[j * inner + c];
    for (int64_t c = 0; c < inner; c++) {
      double sum = 0;
      for (int t = 0; t < nt; t++) sum += part[(size_t)t * inner + c];
      o[c] = (float)(sum * scale);
    }
    return info.Env().Undefined();
  }
  // Column reduction: each thread takes a slice of (outer, inner) columns.
  if (outer >= nt || inner < 64) {
#pragma omp parallel for if (par) schedule(static)
    for (int64_t q = 0; q < outer; q++) {
      const float* xq = x + q * R * inner;
      float* oq = o + q * inner;
      if (isSum) {
        std::vector<double> acc(inner, 0.0);
        for (int64_t j = 0; j < R; j++) {
          const float* row = xq + j * inner;
          for (int64_t c = 0; c < inner; c++) acc[c] += row[c];
        }
        for (int64_t c = 0; c < inner; c++) oq[c] = (float)(acc[c] * scale);
      } else {
        for (int64_t c = 0; c < inner; c++) oq[c] = R ? xq[c] : 0.f;
        for (int64_t j = 1; j < R; j++) {
          const float* row = xq + j * inner;
          for (int64_t c = 0; c < inner; c++)
            oq[c] = op == R_MAX ? (row[c] > oq[c] ? row[c] : oq[c]) : (row[c] < oq[c] ? row[c] : oq[c]);
        }
      }
    }
  } else {
    // Few outer slices, wide rows: split the inner columns across threads.
#pragma omp parallel
    {
      int t = omp_get_thread_num(), T = omp_get_num_threads();
      int64_t chunk = (inner + T - 1) / T, c0 = t * chunk, c1 = std::min(inner, c0 + chunk);
      if (c0 < c1) {
        std::vector<double> acc(c1 - c0);
        for (int64_t q = 0; q < outer; q++) {
          const float* xq = x + q * R * inner;
          float* oq = o + q * inner;
          if (isSum) {
            std::fill(acc.begin(), acc.end(), 0.0);
            for (int64_t j = 0; j < R; j++) {
              const float* row = xq + j * inner;
              for (int64_t c = c0; c < c1; c++) acc[c - c0] += row[c];
            }
            for (int64_t c = c0; c < c1; c++) oq[c] = (float)(acc[c - c0] * scale);
          } else {
            for (int64_t c = c0; c < c1; c++) oq[c] = R ? xq[c] : 0.f;
            for (int64_t j = 1; j < R; j++) {
              const float* row = xq + j * inner;
              for (int64_t c = c0; c < c1; c++)
                oq[c] = op == R_MAX ? (row[c] > oq[c] ? row[c] : oq[c]) : (row[c] < oq[c] ? row[c] : oq[c]);
            }
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- pooling (NHWC)
// p: N,H,W,C, OH,OW, fh,fw, sh,sw, pt,pl
struct PoolP { int64_t N, H, W, C, OH, OW, fh, fw, sh, sw, pt, pl; };
static PoolP readPool(const Napi::CallbackInfo& info, size_t i) {
  auto d = dims(info, i);
  if (d.size() != 12) throw std::invalid_argument("pool params must have 12 entries");
  return PoolP{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11]};
}

// maxPool(out, x, p) / avgPool(out, x, p)
static Napi::Value Pool(const Napi::CallbackInfo& info, bool isMax) {
  adaptThreads();
  float* o = f32(info, 0);
  const float* x = f32(info, 1);
  PoolP p = readPool(info, 2);
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

// maxPoolGrad(dx, dy, x, p[, y]): dy goes to the first maximum of each window (as TF.js picks it).
static Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dx = f32(info, 0);
  const float* dy = f32(info, 1);
  const float* x = f32(info, 2);
  PoolP p = readPool(info, 3);
  const int64_t C = p.C;
  const float* y = info.Length() > 4 ? f32(info, 4, true) : nullptr;
  if (y && p.sh >= p.fh && p.sw >= p.fw) {
    if ((int64_t)f32len(info, 4) != p.N * p.OH * p.OW * C) throw std::invalid_argument("maxPoolGrad: y has the wrong length");
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

// avgPoolGrad(dx, dy, p): each window's gradient spread over its in-bounds inputs, / (fh*fw) as TF.js does.
static Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dx = f32(info, 0);
  const float* dy = f32(info, 1);
  PoolP p = readPool(info, 2);
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

// ---------------------------------------------------------------- batch norm (inference form)
// batchNorm(out, x, mean, variance, offset|null, scale|null, C, eps); each parameter has C or 1 entries.
static Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* o = f32(info, 0);
  const float* x = f32(info, 1);
  const float* mean = f32(info, 2);
  const float* var = f32(info, 3);
  const float* off = f32(info, 4, true);
  const float* sc = f32(info, 5, true);
  const int64_t C = i64(info, 6);
  const float eps = (float)num(info, 7);
  const int64_t lm = f32len(info, 2), lv = f32len(info, 3);
  const int64_t lo = off ? f32len(info, 4) : 0, ls = sc ? f32len(info, 5) : 0;
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

// ---------------------------------------------------------------- softmax over the last axis
static Napi::Value Softmax(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* o = f32(info, 0);
  const float* x = f32(info, 1);
  const int64_t D = i64(info, 2);
  const bool logOut = flag(info, 3);
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

// ---------------------------------------------------------------- optimizer updates (in place)
// sgd(w, g, m|null, mask|null, lr, momentum, weightDecay, nesterov), PyTorch's SGD semantics:
//   d = g + wd*w; m = mu*m + d; d = nesterov ? d + mu*m : m; w -= lr*d; w *= mask.
static Napi::Value Sgd(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* w = f32(info, 0);
  const float* g = f32(info, 1);
  float* m = f32(info, 2, true);
  const float* mask = f32(info, 3, true);
  const float lr = (float)num(info, 4), mu = (float)num(info, 5), wd = (float)num(info, 6);
  const bool nesterov = flag(info, 7);
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

// adam(w, g, m, v, mask|null, lr, beta1, beta2, eps, weightDecay, step, decoupled)
// PyTorch's Adam (L2 added to the gradient) or AdamW (decoupled: w -= lr*wd*w), bias-corrected.
static Napi::Value Adam(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* w = f32(info, 0);
  const float* g = f32(info, 1);
  float* m = f32(info, 2);
  float* v = f32(info, 3);
  const float* mask = f32(info, 4, true);
  const double lr = num(info, 5), b1 = num(info, 6), b2 = num(info, 7), eps = num(info, 8), wd = num(info, 9);
  const double t = num(info, 10);
  const bool decoupled = flag(info, 11);
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

void registerOps(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("avgPool", Napi::Function::New(env, AvgPool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("avgPoolGrad", Napi::Function::New(env, AvgPoolGrad));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("sgd", Napi::Function::New(env, Sgd));
  exports.Set("adam", Napi::Function::New(env, Adam));
}

}  // namespace sprig

// ---------------------------------------------------------------- fused gradients / batch norm training
namespace sprig {

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

// reluGrad(dx, dy, x): dx = dy * step(x), exactly as TF.js's mul(dy, step(x)).
static Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dx = f32(info, 0);
  const float* dy = f32(info, 1);
  const float* x = f32(info, 2);
  const int64_t n = f32len(info, 0);
#pragma omp parallel for if (n >= kParMin) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const float s = std::isnan(x[i]) ? x[i] : (x[i] > 0 ? 1.f : 0.f);
    dx[i] = dy[i] * s;
  }
  return info.Env().Undefined();
}

// fusedBatchNormGrad(dx|null, dmean, dvar, dscale, doffset, dy, x, mean, variance, scale|null, C, eps):
// the gradient TF.js's FusedBatchNorm gradient computes, in two passes over x and dy.
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
  const int64_t C = i64(info, 10);
  const float eps = (float)num(info, 11);
  const int64_t n = f32len(info, 6), rows = n / C;
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

// bnTrain(y, mean, variance, x, gamma|null, beta|null, C, eps[, residual|null, relu]): batch
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
  const int64_t C = i64(info, 6);
  const float eps = (float)num(info, 7);
  const float* res = info.Length() > 8 ? f32(info, 8, true) : nullptr;
  const bool relu = info.Length() > 9 && flag(info, 9);
  const int64_t n = f32len(info, 3), rows = n / C;
  if ((int64_t)f32len(info, 0) != n || (res && (int64_t)f32len(info, 8) != n))
    throw std::invalid_argument("bnTrain: y, x and residual must have the same length");
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

// bnTrainGrad(dx, dgamma, dbeta, dy, x, mean, variance, gamma|null, C, eps[, y|null, dres|null]): the
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
  const int64_t C = i64(info, 8);
  const float eps = (float)num(info, 9);
  const float* yRelu = info.Length() > 10 ? f32(info, 10, true) : nullptr;
  float* dres = info.Length() > 11 ? f32(info, 11, true) : nullptr;
  const int64_t n = f32len(info, 4), rows = n / C;
  if ((int64_t)f32len(info, 0) != n || (int64_t)f32len(info, 3) != n || (yRelu && (int64_t)f32len(info, 10) != n) ||
      (dres && (int64_t)f32len(info, 11) != n))
    throw std::invalid_argument("bnTrainGrad: dx, dy, x, y and dres must have the same length");
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

void registerFused(Napi::Env env, Napi::Object exports) {
  exports.Set("reluGrad", Napi::Function::New(env, ReluGrad));
  exports.Set("fusedBatchNormGrad", Napi::Function::New(env, FusedBatchNormGrad));
  exports.Set("bnTrain", Napi::Function::New(env, BnTrain));
  exports.Set("bnTrainGrad", Napi::Function::New(env, BnTrainGrad));
}
}  // namespace sprig
