// Reductions (sum, mean, max, min) over the middle axis of an [outer, R, inner] view.
#include "common.h"
#include "options.h"
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <limits>

namespace sprig {

// ---------------------------------------------------------------- reductions over [outer, R, inner]
enum Red { R_SUM = 0, R_MEAN = 1, R_MAX = 2, R_MIN = 3 };

// One reduction of x[outer, R, inner] into o[outer, inner]. Sums accumulate in double, as the JS
// kernels do; `scale` is 1/R for a mean.
struct Red3 {
  float* o;
  const float* x;
  int64_t outer, R, inner;
  int op;
  bool par, isSum;
  double scale;
  float pick(float a, float m) const { return op == R_MAX ? (a > m ? a : m) : (a < m ? a : m); }
};

// inner == 1: one contiguous row per output.
static void reduceRows(const Red3& d) {
  const int64_t R = d.R;
#pragma omp parallel for if (d.par) schedule(static)
  for (int64_t r = 0; r < d.outer; r++) {
    const float* xr = d.x + r * R;
    if (d.isSum) {
      double s = 0;
      for (int64_t j = 0; j < R; j++) s += xr[j];
      d.o[r] = (float)(s * d.scale);
    } else {
      float m = R ? xr[0] : 0.f;
      for (int64_t j = 1; j < R; j++) m = d.pick(xr[j], m);
      d.o[r] = m;
    }
  }
}

// Column sums of a tall, narrow matrix (a conv's bias gradient: [N*H*W, C] with C = 6 or 16).
// Rows are split across threads, and each thread adds k rows at a time as one k*inner-wide row,
// so the inner loop is long enough to vectorise; the k-wide accumulator is folded at the end.
static void sumTallNarrow(const Red3& d, int nt) {
  const int64_t inner = d.inner, R = d.R;
  const int64_t k = (64 + inner - 1) / inner, wide = k * inner, blocks = R / k;
  std::vector<double> part((size_t)nt * inner, 0.0);
#pragma omp parallel num_threads(nt) if (d.par)
  {
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
    const int64_t chunk = (blocks + T - 1) / T, b0 = t * chunk, b1 = std::min(blocks, b0 + chunk);
    std::vector<double> acc(wide, 0.0);
    for (int64_t b = b0; b < b1; b++) {
      const float* row = d.x + b * wide;
      for (int64_t i = 0; i < wide; i++) acc[i] += row[i];
    }
    for (int64_t i = 0; i < wide; i++) part[(size_t)t * inner + i % inner] += acc[i];
  }
  for (int64_t j = blocks * k; j < R; j++)
    for (int64_t c = 0; c < inner; c++) part[c] += d.x[j * inner + c];
  for (int64_t c = 0; c < inner; c++) {
    double sum = 0;
    for (int t = 0; t < nt; t++) sum += part[(size_t)t * inner + c];
    d.o[c] = (float)(sum * d.scale);
  }
}

// Columns c0..c1 of outer slice q.
static void reduceSlice(const Red3& d, int64_t q, int64_t c0, int64_t c1, double* acc) {
  const float* xq = d.x + q * d.R * d.inner;
  float* oq = d.o + q * d.inner;
  if (d.isSum) {
    std::fill(acc, acc + (c1 - c0), 0.0);
    for (int64_t j = 0; j < d.R; j++) {
      const float* row = xq + j * d.inner;
      for (int64_t c = c0; c < c1; c++) acc[c - c0] += row[c];
    }
    for (int64_t c = c0; c < c1; c++) oq[c] = (float)(acc[c - c0] * d.scale);
  } else {
    for (int64_t c = c0; c < c1; c++) oq[c] = d.R ? xq[c] : 0.f;
    for (int64_t j = 1; j < d.R; j++) {
      const float* row = xq + j * d.inner;
      for (int64_t c = c0; c < c1; c++) oq[c] = d.pick(row[c], oq[c]);
    }
  }
}

// Each thread takes whole outer slices.
static void reduceSlices(const Red3& d) {
#pragma omp parallel for if (d.par) schedule(static)
  for (int64_t q = 0; q < d.outer; q++) {
    std::vector<double> acc(d.inner);
    reduceSlice(d, q, 0, d.inner, acc.data());
  }
}

// Few outer slices, wide rows: each thread takes a range of the inner columns.
static void reduceColumnRanges(const Red3& d) {
#pragma omp parallel
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    int64_t chunk = (d.inner + T - 1) / T, c0 = t * chunk, c1 = std::min(d.inner, c0 + chunk);
    if (c0 < c1) {
      std::vector<double> acc(c1 - c0);
      for (int64_t q = 0; q < d.outer; q++) reduceSlice(d, q, c0, c1, acc.data());
    }
  }
}

// reduce(out, x, {op, outer, r, inner}): out[outer, inner] from x[outer, r, inner].
static Napi::Value Reduce(const Napi::CallbackInfo& info) {
  adaptThreads();
  Options opt(info, 2, "reduce");
  const int op = (int)opt.integer("op");
  const int64_t outer = opt.integer("outer"), R = opt.integer("r"), inner = opt.integer("inner");
  opt.require(op <= R_MIN, "unknown op " + std::to_string(op));
  opt.require((int64_t)f32len(info, 0) >= outer * inner && (int64_t)f32len(info, 1) >= outer * R * inner,
              "out must hold outer*inner and x outer*r*inner elements");
  const bool isSum = op == R_SUM || op == R_MEAN;
  const Red3 d{f32(info, 0), f32(info, 1), outer, R, inner, op, outer * R * inner >= kParMin, isSum,
               op == R_MEAN ? 1.0 / (double)R : 1.0};
  const int nt = d.par ? omp_get_max_threads() : 1;
  if (inner == 1) reduceRows(d);
  else if (isSum && outer == 1 && inner < 64) sumTallNarrow(d, nt);
  else if (outer >= nt || inner < 64) reduceSlices(d);
  else reduceColumnRanges(d);
  return info.Env().Undefined();
}

void registerReduce(Napi::Env env, Napi::Object exports) { exports.Set("reduce", Napi::Function::New(env, Reduce)); }

}  // namespace sprig
